"""`notifier mute`, `unmute` and `status` against a running `notifier run`, and its control topic, as processes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.live_pipeline import FakeLivePipeline
from tests.fakes.ntfy import FakeNtfy

from .conftest import StartNotifier, WriteRules
from .test_run import THRESHOLD_AND_MILESTONES, TWEET_TOPIC, cross_1000, stop, subscribed

CONTROL_TOPIC = "control-topic-5e1f"
ALERT_TOPIC = "alerts-topic-9c2d"


@pytest.fixture
def ntfy() -> Iterator[FakeNtfy]:
    with FakeNtfy(keepalive=0.5) as fake:
        yield fake


def with_control(rules: Path, ntfy: FakeNtfy) -> Path:
    rules.write_text(rules.read_text() + f"control:\n  ntfy: ntfy://127.0.0.1:{ntfy.port}/${{NTFY_CONTROL}}\n")
    return rules


def notifier(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A short notifier command (mute, unmute, status) run to its end."""
    return subprocess.run([sys.executable, "-m", "notifier", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_notifier_mute_and_unmute_act_on_the_running_process(
    fake: FakeLivePipeline, ntfy: FakeNtfy, write_rules: WriteRules, start_notifier: StartNotifier,
    workdir: Path, env: dict[str, str],
) -> None:
    """mute 1h holds the next alerts of the running notifier; status says so; unmute sends them as one digest."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"phone": ntfy.apprise_url(ALERT_TOPIC)})
    running = start_notifier(str(rules), "--state", "state.db")
    subscribed(fake, TWEET_TOPIC)

    muted = notifier("mute", "1h", "--state", "state.db", cwd=workdir, env=env)
    assert muted.returncode == 0, muted.stderr
    assert muted.stdout.startswith("muted until ")
    assert f"the running notifier (pid {running.proc.pid}) obeys" in muted.stdout
    running.wait_for_event("mute", source="the command line")
    cross_1000(fake)
    held = running.wait_for_event("held", count=2)
    assert {entry["target"] for entry in held} == {"phone"}

    status = notifier("status", "--state", "state.db", "--rules", str(rules), cwd=workdir, env=env)
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith(f"running (pid {running.proc.pid}) · watching 2 rules on 1 topic · muted until ")
    assert "last alert " in status.stdout

    unmuted = notifier("unmute", "--state", "state.db", cwd=workdir, env=env)
    assert unmuted.returncode == 0, unmuted.stderr
    assert ntfy.wait_for(lambda n: len(n.messages(ALERT_TOPIC)) == 1, timeout=15), running.stderr
    assert ntfy.messages(ALERT_TOPIC)[0].title == "2 alerts while notifications were muted"
    stop(running)
    assert len(ntfy.messages(ALERT_TOPIC)) == 1


def test_the_control_topic_mutes_answers_status_and_never_replays_an_old_command(
    fake: FakeLivePipeline, ntfy: FakeNtfy, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """An old mute is not obeyed; mute 1h is; status is answered while muted; the topic is never logged, even at -vv."""
    rules = with_control(write_rules(THRESHOLD_AND_MILESTONES, {"phone": ntfy.apprise_url(ALERT_TOPIC)}), ntfy)
    ntfy.publish(CONTROL_TOPIC, "mute 1h")  # before notifier runs: must never be obeyed
    running = start_notifier(str(rules), "--state", "state.db", "-vv", extra_env={"NTFY_CONTROL": CONTROL_TOPIC})
    subscribed(fake, TWEET_TOPIC)
    running.wait_for_event("control_connected")
    fake.push_engagement(TWEET_TOPIC.rpartition("/")[2], like_count=10)
    fake.push_engagement(TWEET_TOPIC.rpartition("/")[2], like_count=1500)
    assert ntfy.wait_for(lambda n: len(n.messages(ALERT_TOPIC)) == 2, timeout=15), running.stderr
    first = ntfy.messages(ALERT_TOPIC)[0]
    assert [a["label"] for a in first.actions] == ["Open", "Mute 1 h"]
    assert first.actions[1]["url"] == f"http://127.0.0.1:{ntfy.port}/{CONTROL_TOPIC}"

    ntfy.publish(CONTROL_TOPIC, first.actions[1]["body"])  # the button, pressed
    running.wait_for_event("mute", source="the control topic")
    ntfy.publish(CONTROL_TOPIC, "please stop")
    running.wait_for_event("control_ignored")
    ntfy.publish(CONTROL_TOPIC, "status")
    assert ntfy.wait_for(lambda n: len(n.messages(ALERT_TOPIC)) == 3, timeout=15), running.stderr
    answer = ntfy.messages(ALERT_TOPIC)[2]
    assert answer.title == "notifier status"
    assert answer.text.startswith("watching 2 rules on 1 topic · muted until ")
    stop(running)
    assert "X-Actions" in running.stderr  # Apprise's own debug lines (-vv) print the buttons, topic masked
    assert CONTROL_TOPIC not in running.stderr
    assert CONTROL_TOPIC not in running.stdout
