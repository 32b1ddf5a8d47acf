"""Health alerts end to end: `notifier run` tells a real receiver about its own problems."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.fakes.live_pipeline import FakeLivePipeline
from tests.fakes.receiver import Receiver

from .conftest import StartNotifier, WriteRules
from .process import wait_until
from .test_run import THRESHOLD_AND_MILESTONES, TWEET_TOPIC, http_get, stop, subscribed

COOKIES_TITLE = "notifier stopped: X rejected the cookies"


def with_health(rules: Path, block: str) -> Path:
    """Add a top-level health block to a rule file written by write_rules."""
    rules.write_text(rules.read_text() + block)
    return rules


def test_rejected_cookies_reach_defaults_notify_before_exit_3(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """Without a health block, a 401 is delivered to defaults.notify, and only then does notifier exit 3."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    fake.fail_next(401)
    child = start_notifier(str(rules), "--state", "state.db")
    assert child.wait() == 3, child.stderr
    # Read at once, no waiting: the alert arrived before the process ended.
    assert receiver.titles == [COOKIES_TITLE]
    assert "Log in again" in (receiver.received[0].message or "")
    assert "notifier login" in (receiver.received[0].message or "")
    (rejected,) = child.events("auth_rejected")
    assert "notifier login" in rejected["message"], "the log names the command the README recommends"
    assert fake.connect_attempts == 1
    assert child.events("health_alert", condition="cookies_rejected")


def test_rejected_cookies_go_to_the_health_targets(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """With a health block, the alert goes to health.notify (not to the rules' target), then exit 3."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url(), "alarm": receiver.json_url("/alarm")})
    with_health(rules, "health:\n  notify: [alarm]\n")
    fake.fail_next(401)
    child = start_notifier(str(rules), "--state", "state.db")
    assert child.wait() == 3, child.stderr
    assert [(d.path, d.title) for d in receiver.received] == [("/alarm", COOKIES_TITLE)]


def test_stream_down_longer_than_stream_down_alerts_once_then_recovers_once(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """A stream down past stream_down: one alert, shown by /healthz and /metrics; back up: one recovery."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    with_health(rules, "health:\n  notify: [hook]\n  stream_down: 2s\n")
    child = start_notifier(str(rules), "--state", "state.db", "--metrics-port", "0")
    base = f"http://127.0.0.1:{child.wait_for_event('metrics')[0]['port']}"
    subscribed(fake, TWEET_TOPIC)
    status, body = http_get(base + "/metrics")
    assert 'notifier_health_condition{condition="stream_down"} 0.0' in body

    fake.fail_next(503, times=2)  # two refused reconnects: several seconds down
    fake.drop_connections()
    assert receiver.wait_for(lambda r: len(r.received) >= 1, timeout=15), receiver.titles
    assert receiver.titles == ["notifier: the stream has been down for 2 seconds"]
    wait_until(
        lambda: 'notifier_health_condition{condition="stream_down"} 1.0' in http_get(base + "/metrics")[1]
        or receiver.titles[1:],
        what="the stream_down gauge",
    )
    wait_until(lambda: "stream_down: the stream is not connected" in http_get(base + "/healthz")[1]
               or receiver.titles[1:], what="stream_down in /healthz")

    assert receiver.wait_for(lambda r: len(r.received) >= 2, timeout=30), receiver.titles
    subscribed(fake, TWEET_TOPIC)
    wait_until(lambda: http_get(base + "/healthz") == (200, "connected\n"), what="healthy again")
    stop(child)
    assert Counter(receiver.titles) == Counter(
        ["notifier: the stream has been down for 2 seconds", "notifier recovered: the stream is back"]
    )
    assert [e["condition"] for e in child.events("health_alert")] == ["stream_down"]
    assert [e["condition"] for e in child.events("health_recovered")] == ["stream_down"]
