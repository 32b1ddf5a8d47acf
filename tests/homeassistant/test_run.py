"""`notifier run` with a home_assistant block, as a subprocess against the fake stream and a real broker."""

from __future__ import annotations

import json
import signal

import pytest

from tests.daemon.conftest import TWEET
from tests.daemon.test_run import THRESHOLD_AND_MILESTONES, cross_1000, stop, subscribed
from tests.fakes.live_pipeline import FakeLivePipeline
from tests.fakes.mqtt import Broker
from tests.fakes.receiver import Receiver

from .conftest import BASE, NODE, PASSWORD, HaRules, wait_for

TWEET_TOPIC = f"/tweet_engagement/{TWEET}"
ENV = {"MQTT_PASSWORD": PASSWORD}


def test_discovery_counts_events_and_availability(
    fake: FakeLivePipeline, receiver: Receiver, broker: Broker, ha_rules: HaRules, start_notifier, subscribe,
) -> None:
    """Retained configs with the right fields, throttled counts, an alert as an event, online then offline."""
    live = subscribe()
    rules = ha_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    child = start_notifier(str(rules), "--state", "state.db", extra_env=ENV)
    live.wait_last(f"{BASE}/status", b"online")
    subscribed(fake, TWEET_TOPIC)

    prefix = f"homeassistant/sensor/{NODE}"
    wanted = {f"{prefix}/{TWEET}_{field}/config" for field in ("likes", "retweets", "views")}
    wait_for(lambda: wanted <= set(live.configs()), what="the sensor configs")
    # A subscriber that comes later still gets every config: they are retained.
    late = subscribe("homeassistant/#")
    configs = wait_for(lambda: wanted <= set(found := late.configs()) and found, what="the retained sensor configs")
    assert all(m.retain for m in late.messages)
    likes = configs[f"{prefix}/{TWEET}_likes/config"]
    assert likes["unique_id"] == f"{NODE}_{TWEET}_likes"
    assert likes["state_class"] == "total"  # likes fall when people undo them: not a meter
    assert likes["state_topic"] == f"{BASE}/post/{TWEET}"
    assert likes["default_entity_id"] == f"sensor.notifier_{TWEET}_likes"
    assert likes["availability_topic"] == f"{BASE}/status"
    assert likes["device"]["identifiers"] == [NODE] and likes["device"]["name"].startswith("notifier")
    assert f"{prefix}/{TWEET}_replies/config" not in configs  # not in sensors:
    switch = configs[f"homeassistant/switch/{NODE}/muted/config"]
    assert switch["command_topic"] == f"{BASE}/muted/set"
    stream = configs[f"homeassistant/binary_sensor/{NODE}/stream/config"]
    assert stream["device_class"] == "connectivity"
    assert configs[f"homeassistant/sensor/{NODE}/last_event/config"]["device_class"] == "timestamp"
    events = {c["name"]: c for topic, c in configs.items() if topic.startswith(f"homeassistant/event/{NODE}/")}
    assert set(events) == {"Threshold", "Every thousand"}
    assert events["Every thousand"]["event_types"] == ["every"]
    attributes = json.loads(live.wait_for_topic(f"{BASE}/post/{TWEET}/attributes").payload)
    assert attributes["url"] == f"https://x.com/i/status/{TWEET}"
    live.wait_last(f"{BASE}/stream", b"ON")

    # Counts: many changes in a burst reach the sensor topic as few states, the last one latest.
    for likes_now in range(1, 40):
        fake.push_engagement(TWEET, like_count=likes_now, view_count=likes_now * 10)
    wait_for(lambda: (m := live.last(f"{BASE}/post/{TWEET}")) and m.json == {"likes": 39, "views": 390},
             timeout=20, what="the latest counts on the post's state topic")
    assert len(live.on(f"{BASE}/post/{TWEET}")) <= 3  # throttled: one now, one after the interval

    # An alert becomes an event of its rule's entity.
    fake.push_engagement(TWEET, like_count=1500)
    rule_topic = events["Threshold"]["state_topic"]
    event = live.wait_for_topic(rule_topic).json
    assert event["event_type"] == "when" and event["title"] == "Threshold 1500"
    assert event["tweet_id"] == TWEET and event["kind"] == "when"
    assert live.wait_for_topic(f"{BASE}/last_event").payload.decode().startswith("20")
    assert receiver.wait_for(lambda r: len(r.received) == 2)  # the targets still get their alerts

    stop(child)
    live.wait_last(f"{BASE}/status", b"offline")
    assert PASSWORD not in child.stderr + child.stdout


def test_sigkill_leaves_the_device_offline_by_the_last_will(
    receiver: Receiver, broker: Broker, ha_rules: HaRules, start_notifier, subscribe,
) -> None:
    """A notifier killed outright cannot say goodbye: the broker publishes its last will, offline."""
    live = subscribe(f"{BASE}/status")
    rules = ha_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    child = start_notifier(str(rules), "--state", "state.db", extra_env=ENV)
    live.wait_last(f"{BASE}/status", b"online")
    child.kill()
    live.wait_last(f"{BASE}/status", b"offline")
    late = subscribe(f"{BASE}/status")
    assert late.wait_last(f"{BASE}/status", b"offline").retain


def test_mute_switch_holds_alerts_survives_a_restart_and_unmute_sends_a_digest(
    fake: FakeLivePipeline, receiver: Receiver, broker: Broker, ha_rules: HaRules, start_notifier, subscribe,
) -> None:
    """ON from Home Assistant holds every alert, still ON after a restart; OFF sends what waited as one digest."""
    live = subscribe()
    rules = ha_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    first = start_notifier(str(rules), "--state", "state.db", extra_env=ENV)
    live.wait_last(f"{BASE}/muted", b"OFF")
    live.publish(f"{BASE}/muted/set", b"ON")
    live.wait_last(f"{BASE}/muted", b"ON")
    first.wait_for_event("muted")
    stop(first)

    second = start_notifier(str(rules), "--state", "state.db", extra_env=ENV)
    subscribed(fake, TWEET_TOPIC)
    wait_for(lambda: len(live.on(f"{BASE}/status")) >= 3 and live.last(f"{BASE}/status").payload == b"online",
             what="the second run online")
    live.wait_last(f"{BASE}/muted", b"ON")
    cross_1000(fake)
    held = second.wait_for_event("held", count=2)
    assert {entry["target"] for entry in held} == {"hook"}
    assert receiver.received == []

    live.publish(f"{BASE}/muted/set", b"OFF")
    live.wait_last(f"{BASE}/muted", b"OFF")
    assert receiver.wait_for(lambda r: len(r.received) == 1, timeout=15), second.stderr
    assert receiver.received[0].title == "2 alerts while notifications were muted"
    stop(second)
    assert len(receiver.received) == 1


# An outage, a reconnect after backoff and two announcements: more than the usual minute on a busy host.
@pytest.mark.timeout(180)
def test_broker_restart_mid_run_loses_no_event_and_announces_again(
    fake: FakeLivePipeline, receiver: Receiver, broker: Broker, ha_rules: HaRules, start_notifier, subscribe,
) -> None:
    """The broker goes down (one log line), an alert fires meanwhile; back on the same port, all is sent."""
    rules = ha_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    child = start_notifier(str(rules), "--state", "state.db", extra_env=ENV)
    child.wait_for_event("mqtt_connected")
    subscribed(fake, TWEET_TOPIC)

    broker.stop()
    child.wait_for_event("mqtt_down", timeout=60)
    cross_1000(fake)  # two alerts while the broker is down
    assert receiver.wait_for(lambda r: len(r.received) == 2)  # delivery does not wait for Home Assistant
    broker.start()
    live = subscribe()
    child.wait_for_event("mqtt_connected", count=2, timeout=90)
    assert len(child.events("mqtt_down")) == 1  # one line per outage, not per retry
    # The restarted broker forgot every retained config: notifier announced them again.
    wait_for(lambda: f"homeassistant/switch/{NODE}/muted/config" in live.configs(), what="configs again")
    wait_for(lambda: len([m for m in live.messages if m.topic.startswith(f"{BASE}/rule/")]) >= 2,
             what="the two events queued during the outage")
    titles = sorted(m.json["title"] for m in live.messages if m.topic.startswith(f"{BASE}/rule/"))
    assert titles == ["Every 1000", "Threshold 1500"]
    stop(child)
    assert PASSWORD not in child.stderr
    assert "Exception ignored" not in child.stderr and "Traceback" not in child.stderr, child.stderr


def test_a_broker_that_hangs_does_not_hold_the_exit(
    fake: FakeLivePipeline, receiver: Receiver, broker: Broker, ha_rules: HaRules, start_notifier,
) -> None:
    """SIGTERM with the broker frozen mid-connection: notifier says goodbye briefly and exits in seconds."""
    rules = ha_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    child = start_notifier(str(rules), "--state", "state.db", extra_env=ENV)
    child.wait_for_event("mqtt_connected")
    broker.freeze()
    try:
        child.send_signal(signal.SIGTERM)
        # The offline message gets 2 s; the last will covers a broker that never answers.
        assert child.wait(timeout=9) == 0, child.stderr
        assert "Exception ignored" not in child.stderr and "Traceback" not in child.stderr, child.stderr
    finally:
        broker.thaw()


def test_a_post_no_longer_watched_loses_its_entities(
    fake: FakeLivePipeline, receiver: Receiver, broker: Broker, ha_rules: HaRules, start_notifier, subscribe,
) -> None:
    """After a reload without the post, its sensors get empty retained configs: Home Assistant removes them."""
    live = subscribe("homeassistant/#")
    rules = ha_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    child = start_notifier(str(rules), "--state", "state.db", extra_env=ENV)
    config = f"homeassistant/sensor/{NODE}/{TWEET}_likes/config"
    wait_for(lambda: config in live.configs(), what="the post's sensor")
    other = "1850000000000000009"
    ha_rules(THRESHOLD_AND_MILESTONES.replace(TWEET, other), {"hook": receiver.json_url()})
    child.send_signal(signal.SIGHUP)
    live.wait_last(config, b"")
    assert f"homeassistant/sensor/{NODE}/{other}_likes/config" in live.configs()
    stop(child)


def test_a_restart_removes_entities_of_posts_the_new_rules_no_longer_watch(
    receiver: Receiver, broker: Broker, ha_rules: HaRules, start_notifier, subscribe,
) -> None:
    """What a run announced is kept in the state file: the next run, on other posts, removes the old ones."""
    live = subscribe("homeassistant/#")
    rules = ha_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    first = start_notifier(str(rules), "--state", "state.db", extra_env=ENV)
    config = f"homeassistant/sensor/{NODE}/{TWEET}_likes/config"
    wait_for(lambda: config in live.configs(), what="the post's sensor")
    stop(first)
    other = "1850000000000000009"
    ha_rules(THRESHOLD_AND_MILESTONES.replace(TWEET, other), {"hook": receiver.json_url()})
    second = start_notifier(str(rules), "--state", "state.db", extra_env=ENV)
    live.wait_last(config, b"")
    wait_for(lambda: f"homeassistant/sensor/{NODE}/{other}_likes/config" in live.configs(), what="the new sensor")
    stop(second)
