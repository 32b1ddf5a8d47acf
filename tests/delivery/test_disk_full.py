"""A state file that cannot be written after a send: the row backs off, it is never re-sent in a burst."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

from notifier.delivery import Outbox
from tests.delivery.conftest import wait_until

CHILD = Path(__file__).with_name("disk_full_child.py")


def _collect(stream: IO[str]) -> list[str]:
    """Read ``stream``'s lines into a list in a thread (the child may write no file, pipes only)."""
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(stream), daemon=True).start()
    return lines


async def test_unwritable_state_after_a_send_is_not_a_send_storm(tmp_path, receiver):
    """With every write failing after a send, the alert is POSTed once while recording its outcome is
    retried with backoff; the deliverer reports the state file unwritable; once writes work it is sent."""
    db = tmp_path / "state.db"
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(db), receiver.json_url()],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    out, err = _collect(child.stdout), _collect(child.stderr)

    def said(line: str) -> int:
        return sum(1 for seen in list(out) if seen.strip() == line)

    def stopped() -> bool:
        return child.poll() is not None

    try:
        assert await wait_until(lambda: said("unwritable") or stopped(), timeout=15)
        assert not stopped() and said("unwritable"), "".join(err)
        # Twenty tries to record the outcome, 50 ms apart: a second's worth of chances to re-send.
        failures = lambda: sum("cannot record the delivery" in line for line in list(err))  # noqa: E731
        assert await wait_until(lambda: failures() >= 20 or stopped(), timeout=15), "".join(err)
        assert not stopped(), "".join(err)
        assert len(receiver.requests) == 1
        assert said("sent") == 0

        child.send_signal(signal.SIGUSR1)
        assert await wait_until(lambda: said("writable") or stopped(), timeout=15), "".join(err)
        assert said("sent") == 1
        with Outbox(db) as box:
            assert [row.state for row in box.rows()] == ["sent"]
        assert len(receiver.requests) == 1
    finally:
        child.kill()
        child.wait(timeout=10)
        child.stdout.close()
        child.stderr.close()
