"""Crash safety: a process killed with SIGKILL while deliveries are pending loses no alert."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from notifier.delivery import Deliverer, Outbox, build_targets
from tests.delivery.conftest import wait_until

CHILD = Path(__file__).with_name("crash_child.py")
COUNT = 5


@pytest.mark.parametrize("mode", ["refuse", "hang"])
async def test_sigkill_while_pending_then_restart_delivers_every_alert(tmp_path, receiver, mode):
    """Alerts enqueued by a process killed mid-retry (server refusing) or mid-send (server hanging)
    all arrive, exactly once each, after a restart on the same database."""
    db = tmp_path / "state.db"
    if mode == "refuse":
        receiver.refuse()
    else:
        receiver.hang()
    url = receiver.json_url(rto="10")
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(db), url, str(COUNT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert await wait_until(db.exists, timeout=15), "the child never created its database"
        with Outbox(db) as box:

            def under_way() -> bool:
                if child.poll() is not None:
                    return True  # reported below with the child's stderr
                rows = box.rows()
                if len(rows) < COUNT:
                    return False
                if mode == "refuse":
                    return all(row.attempts >= 1 for row in rows)
                return len(receiver.requests) >= 1

            assert await wait_until(under_way, timeout=15), "the child never started delivering"
            assert child.poll() is None, f"the child died on its own:\n{child.stderr.read()}"
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=10)
            assert child.returncode == -signal.SIGKILL
            assert receiver.received == []
            assert box.depth() == COUNT

        receiver.recover()
        with Outbox(db) as box:
            deliverer = Deliverer(box, build_targets({"hook": url}))
            await deliverer.start()
            try:
                assert await receiver.wait_for_async(lambda r: len(r.received) >= COUNT, timeout=10)
                assert await deliverer.drain(timeout=5)
            finally:
                await deliverer.aclose()
            assert box.depth() == 0
        arrivals = Counter(receiver.titles)
        assert arrivals == Counter(f"crash alert {n}" for n in range(COUNT))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
        child.stdout.close()
        child.stderr.close()
