"""One notifier per state file: a second `run` on a state file in use refuses to start."""

from __future__ import annotations

import signal
import time

from tests.fakes.live_pipeline import FakeLivePipeline
from tests.fakes.receiver import Receiver

from .conftest import TWEET, StartNotifier, WriteRules
from .test_run import THRESHOLD_AND_MILESTONES, stop, subscribed

TWEET_TOPIC = f"/tweet_engagement/{TWEET}"


def test_second_run_on_the_same_state_file_exits_1_at_once(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """A second `run` on a state file in use exits 1 at once, naming the first one's pid."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    first = start_notifier(str(rules), "--state", "state.db")
    first.wait_for_event("starting")
    started = time.monotonic()
    second = start_notifier(str(rules), "--state", "state.db")
    assert second.wait(timeout=15) == 1
    assert time.monotonic() - started < 10
    [refusal] = second.events("state_locked")
    assert f"another notifier (pid {first.pid}) is using" in refusal["message"]
    assert "state.db" in refusal["message"]
    assert first.running
    stop(first)


def test_the_lock_dies_with_a_killed_process(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """After SIGKILL of the running notifier, a new one on the same state file starts."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    first = start_notifier(str(rules), "--state", "state.db")
    first.wait_for_event("starting")
    first.send_signal(signal.SIGKILL)
    first.wait()
    second = start_notifier(str(rules), "--state", "state.db")
    second.wait_for_event("starting")
    subscribed(fake, TWEET_TOPIC)
    assert not second.events("state_locked")
    stop(second)


def test_a_dry_run_needs_no_lock(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """A dry run uses a scratch state, so it starts beside a run on the same --state."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    first = start_notifier(str(rules), "--state", "state.db")
    first.wait_for_event("starting")
    dry = start_notifier(str(rules), "--state", "state.db", "--dry-run")
    dry.wait_for_event("starting")
    stop(dry)
    stop(first)
