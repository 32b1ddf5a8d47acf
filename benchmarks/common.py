"""What the benchmarks share: timing a call, and stopping a notifier child they started."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import IO


def per_call(work: Callable[[], object], count: int) -> float:
    """Seconds one call of ``work`` takes, averaged over ``count`` calls in a row."""
    started = time.perf_counter()
    for _ in range(count):
        work()
    return (time.perf_counter() - started) / count


def stop_child(child: subprocess.Popen, log: IO) -> None:
    """SIGTERM, up to 15 s to finish, then SIGKILL; the child's log closed either way."""
    child.terminate()
    try:
        child.wait(timeout=15)
    except subprocess.TimeoutExpired:
        child.kill()
    log.close()
