"""Home Assistant's switch shows the one mute: set by `notifier mute`, off again when that mute ends by itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.daemon.test_run import THRESHOLD_AND_MILESTONES, cross_1000, stop, subscribed
from tests.fakes.live_pipeline import FakeLivePipeline
from tests.fakes.mqtt import Broker
from tests.fakes.receiver import Receiver

from .conftest import BASE, PASSWORD, HaRules
from .test_run import TWEET_TOPIC

ENV = {"MQTT_PASSWORD": PASSWORD}


def test_notifier_mute_turns_the_switch_on_and_its_end_turns_it_off_with_one_digest(
    fake: FakeLivePipeline, receiver: Receiver, broker: Broker, ha_rules: HaRules, start_notifier, subscribe,
    workdir: Path, env: dict[str, str],
) -> None:
    """mute 8s from the command line: the switch goes ON, alerts wait, and at the end OFF and one digest."""
    live = subscribe()
    rules = ha_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    running = start_notifier(str(rules), "--state", "state.db", extra_env=ENV)
    subscribed(fake, TWEET_TOPIC)
    live.wait_last(f"{BASE}/muted", b"OFF")

    muted = subprocess.run([sys.executable, "-m", "notifier", "mute", "8s", "--state", "state.db"], cwd=workdir,
                           env={**env, **ENV}, capture_output=True, text=True, timeout=60, check=False)
    assert muted.returncode == 0, muted.stderr
    live.wait_last(f"{BASE}/muted", b"ON")
    cross_1000(fake)
    running.wait_for_event("held", count=2)
    assert receiver.received == []

    live.wait_last(f"{BASE}/muted", b"OFF")
    assert receiver.wait_for(lambda r: len(r.received) == 1, timeout=20), running.stderr
    assert receiver.received[0].title == "2 alerts while notifications were muted"
    stop(running)
