"""The health monitor: which of notifier's problems are active, and each change said exactly once."""

from __future__ import annotations

from notifier.alert import HEALTH_KIND
from notifier.run.health import PING_EVERY, Change, HealthMonitor, health_alert
from notifier.rulefile.model import HealthSpec

SPEC = HealthSpec(notify=("phone",), stream_down=60.0, ping="https://hc-ping.com/uuid", given=True)


def test_stream_down_alerts_once_after_the_threshold_then_recovers_once():
    """A stream down 60 s is one alert, however often checked; back up, one recovery."""
    monitor = HealthMonitor(SPEC)
    monitor.stream(100.0, False)
    assert monitor.check(100.0) == [] and monitor.check(159.0) == []
    monitor.stream(159.5, False)  # still down: the outage began at 100
    [began] = monitor.check(160.0)
    assert began == Change("stream_down", True, "the stream is not connected", 160.0)
    assert monitor.check(200.0) == [] and monitor.active() == {"stream_down": "the stream is not connected"}
    monitor.stream(201.0, True)
    assert [(c.condition, c.active) for c in monitor.check(201.0)] == [("stream_down", False)]
    assert monitor.check(202.0) == [] and monitor.healthy


def test_a_short_drop_is_no_alert():
    """Down for less than stream_down and back up: nothing to say, then or later."""
    monitor = HealthMonitor(SPEC)
    monitor.stream(0.0, False)
    monitor.stream(30.0, True)
    assert monitor.check(30.0) == [] and monitor.check(1000.0) == []


def test_no_stream_wanted_is_not_a_stream_down():
    """With no topic on the stream (None), a closed stream is no problem."""
    monitor = HealthMonitor(SPEC)
    monitor.stream(0.0, None)
    assert monitor.check(1000.0) == []


def test_cookies_rejected_is_active_at_once():
    """Rejected cookies need no threshold: the daemon is about to stop."""
    monitor = HealthMonitor(SPEC)
    monitor.cookies_rejected(5.0, "X rejected the cookies (401)")
    assert monitor.check(5.0) == [Change("cookies_rejected", True, "X rejected the cookies (401)", 5.0)]
    monitor.cookies_rejected(6.0, "again")
    assert monitor.check(6.0) == []


def test_a_dead_delivery_alerts_once_and_a_send_to_that_target_recovers_it():
    """Two dead rows are one alert; a later send to the same target is the recovery."""
    monitor = HealthMonitor(SPEC)
    monitor.delivery(1.0, "team", "dead", "HTTP 500")
    monitor.delivery(2.0, "team", "dead", "HTTP 500")
    [began] = monitor.check(2.0)
    assert began.active and "team" in began.detail and "HTTP 500" in began.detail
    monitor.delivery(3.0, "other", "sent")
    monitor.delivery(3.0, "team", "failed", "HTTP 500")
    assert monitor.check(3.0) == []
    monitor.delivery(4.0, "team", "sent")
    assert [(c.condition, c.active) for c in monitor.check(4.0)] == [("delivery_dead", False)]


def test_state_unwritable_can_be_reported_by_anyone_and_recovers():
    """state_unwritable(now, True) alerts at once; state_unwritable(now, False) recovers it."""
    monitor = HealthMonitor(SPEC)
    monitor.state_unwritable(10.0, True, "disk full")
    assert monitor.check(10.0) == [Change("state_unwritable", True, "disk full", 10.0)]
    monitor.state_unwritable(11.0, True, "disk still full")
    assert monitor.check(11.0) == []
    monitor.state_unwritable(12.0, False)
    assert monitor.check(12.0) == [Change("state_unwritable", False, "disk full", 12.0)]


def test_account_watching_failing_longer_than_stream_down_alerts():
    """Account polls failing since t=0 alert at t=60, and recover when they succeed."""
    monitor = HealthMonitor(SPEC)
    monitor.account(30.0, (0.0, "HTTP 503"))
    assert monitor.check(30.0) == []
    monitor.account(60.0, (0.0, "HTTP 503"))
    assert monitor.check(60.0) == [Change("account_failing", True, "HTTP 503", 60.0)]
    monitor.account(70.0, None)
    assert [c.active for c in monitor.check(70.0)] == [False]


def test_without_a_health_block_only_fatal_conditions_notify():
    """No health block: cookies and state reach defaults.notify; the rest are only shown."""
    monitor = HealthMonitor(HealthSpec(notify=("team",)))
    assert monitor.notifies("cookies_rejected") and monitor.notifies("state_unwritable")
    assert not monitor.notifies("stream_down") and not monitor.notifies("delivery_dead")
    assert not HealthMonitor(HealthSpec()).notifies("cookies_rejected")  # nobody to tell
    assert HealthMonitor(SPEC).notifies("delivery_dead")


def test_ping_is_due_every_few_minutes_only_while_healthy():
    """The dead-man's switch is pinged at once, then every PING_EVERY, and never while a condition holds."""
    monitor = HealthMonitor(SPEC)
    assert monitor.ping_due(0.0)
    monitor.pinged(0.0)
    assert not monitor.ping_due(PING_EVERY - 1) and monitor.ping_due(PING_EVERY)
    monitor.state_unwritable(PING_EVERY, True)
    monitor.check(PING_EVERY)
    assert not monitor.ping_due(PING_EVERY * 3)
    assert not HealthMonitor(HealthSpec(notify=("phone",), given=True)).ping_due(0.0)  # no ping URL


def test_health_alerts_are_urgent_and_name_the_condition():
    """An alert and its recovery go to the health targets, urgent, of kind health, keyed by condition."""
    began = health_alert(Change("stream_down", True, "the stream is not connected", 7.0), SPEC)
    assert began.title == "notifier: the stream has been down for 1 minute"
    assert began.targets == ("phone",) and began.urgent and began.kind == HEALTH_KIND
    assert began.key == "stream_down" and began.notify_type == "failure" and began.ts == 7.0
    recovered = health_alert(Change("stream_down", False, "the stream is not connected", 9.0), SPEC)
    assert recovered.title == "notifier recovered: the stream is back" and recovered.notify_type == "success"
