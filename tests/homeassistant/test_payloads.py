"""The pure parts of Home Assistant: discovery payloads, the bounded outgoing queue and the per-post throttle."""

from __future__ import annotations

from notifier.homeassistant.discovery import (
    Device,
    Entities,
    PostEntity,
    RuleEntity,
    Topics,
    configs,
    entity_slug,
    newest_posts,
    post_cap_warning,
    post_name,
    post_state,
)
from notifier.homeassistant.outgoing import Message, Outgoing, Pace, Throttle


def test_ids_are_stable_and_the_device_is_named_by_its_handle():
    """Unique ids come from the user id, tweet id and field only: the same every run, whatever the names."""
    device = Device.of("42", "brand")
    assert device == Device("notifier_42", "notifier (@brand)")
    topics = Topics.of("homeassistant", device)
    entities = Entities((PostEntity("7", "Launch day"),), (RuleEntity("New DM", "abc123", ("message",)),), ("likes",))
    found = configs(device, topics, entities)
    assert sorted(found) == [
        "homeassistant/binary_sensor/notifier_42/stream/config",
        "homeassistant/event/notifier_42/rule_abc123/config",
        "homeassistant/sensor/notifier_42/7_likes/config",
        "homeassistant/sensor/notifier_42/last_event/config",
        "homeassistant/switch/notifier_42/muted/config",
    ]
    likes = found["homeassistant/sensor/notifier_42/7_likes/config"]
    assert likes["unique_id"] == "notifier_42_7_likes" and likes["name"] == "Launch day likes"
    assert likes["json_attributes_topic"] == "notifier/notifier_42/post/7/attributes"
    event = found["homeassistant/event/notifier_42/rule_abc123/config"]
    assert event["event_types"] == ["message"] and event["state_topic"] == "notifier/notifier_42/rule/abc123"
    renamed = configs(Device.of("42"), topics, entities)
    assert [c["unique_id"] for c in renamed.values()] == [c["unique_id"] for c in found.values()]


def test_post_names_and_states():
    """A post is named by the start of its text on one line, else its id; unknown counts are left out."""
    assert post_name("7", None) == "Post 7"
    assert post_name("7", "We launched\ntoday!") == "We launched today!"
    long = post_name("7", "word " * 30)
    assert len(long) == 40 and long.endswith("…")
    assert post_state({"likes": 5, "views": None, "quotes": 2}, ("likes", "views")) == {"likes": 5}


def test_outgoing_keeps_the_latest_state_per_topic_and_bounds_events():
    """A newer state replaces the waiting one; past the bound the oldest event is dropped and counted."""
    queue = Outgoing(max_events=2)
    queue.state("a", b"1")
    queue.state("b", b"1")
    queue.state("a", b"2")
    assert queue.event("e", b"x1") and queue.event("e", b"x2")
    assert not queue.event("e", b"x3")
    assert queue.dropped == 1
    taken = [queue.take() for _ in range(4)]
    assert taken == [Message("e", b"x2", False), Message("e", b"x3", False), Message("b", b"1"), Message("a", b"2")]
    assert queue.take() is None


def test_a_message_not_acknowledged_goes_first_again_unless_a_newer_state_waits():
    """put_back: an event goes first again; a state only when nothing newer for its topic waits."""
    queue = Outgoing()
    queue.state("s", b"new")
    queue.event("e", b"later")
    queue.put_back(Message("e", b"first", False))
    queue.put_back(Message("s", b"old"))
    queue.put_back(Message("t", b"only"))
    assert [queue.take() for _ in range(5)] == [
        Message("e", b"first", False), Message("e", b"later", False), Message("t", b"only"), Message("s", b"new"),
        None,
    ]


def test_throttle_lets_one_state_per_post_per_interval_with_the_latest_counts():
    """Fifty changes within the interval give two states: the first at once, then the latest when it ends."""
    throttle = Throttle(5.0)
    throttle.update("7", {"likes": 1})
    assert throttle.due(100.0) == [("7", {"likes": 1})]
    for likes in range(2, 52):
        throttle.update("7", {"likes": likes})
    assert throttle.due(101.0) == []
    assert throttle.next_at() == 105.0
    assert throttle.due(105.0) == [("7", {"likes": 51})]
    assert throttle.next_at() is None
    throttle.update("7", {"likes": 51})  # unchanged: nothing to send
    assert throttle.next_at() is None


def test_configs_go_first_and_events_wait_for_them_to_settle():
    """Configs before everything; an event waits `settle` seconds after the last config, states do not."""
    queue = Outgoing(settle=1.0)
    queue.event("e", b"x")
    queue.state("s", b"1")
    queue.config("c1", b"{}")
    queue.config("c2", b"{}")
    assert queue.events_at() is None  # configs go first anyway
    assert queue.take(10.0) == Message("c1", b"{}", config=True)
    assert queue.take(10.1) == Message("c2", b"{}", config=True)
    assert queue.events_at() == 11.1
    assert queue.take(10.2) == Message("s", b"1")  # a retained state need not wait
    assert queue.take(10.3) is None
    assert queue.take(11.1) == Message("e", b"x", False)
    queue.put_back(Message("c1", b"{}", config=True))
    assert queue.take(12.0) == Message("c1", b"{}", config=True)


def test_a_state_can_go_first_among_states():
    """Availability goes before the other states once the configs are out."""
    queue = Outgoing()
    queue.state("count", b"1")
    queue.state("status", b"online", first=True)
    assert [queue.take().topic for _ in range(2)] == ["status", "count"]


def test_pace_lets_a_burst_through_then_a_steady_rate():
    """A token bucket: `burst` messages at once, then one every 1/rate seconds."""
    pace = Pace(rate=10.0, burst=3)
    for _ in range(3):
        assert pace.wait(0.0) == 0.0
        pace.spend(0.0)
    assert abs(pace.wait(0.0) - 0.1) < 1e-9
    assert pace.wait(0.1) == 0.0
    pace.spend(0.1)
    assert pace.wait(5.0) == 0.0  # refilled, up to the burst
    for _ in range(3):
        pace.spend(5.0)
    assert pace.wait(5.0) > 0


def test_the_newest_posts_get_sensors_and_the_cap_is_said():
    """Newest by id (ids grow with time, compared as numbers); the warning names the counts and the setting."""
    assert newest_posts(["9", "10", "8", "10"], 2) == ("10", "9")
    assert newest_posts(["1"], 5) == ("1",)
    assert post_cap_warning(100, 100) is None
    warning = post_cap_warning(5000, 100)
    assert warning is not None and "5,000 posts" in warning and "home_assistant.max_posts: 100" in warning
    assert "up to 5,050" in post_cap_warning(5050, 100, up_to=True)


def test_entity_slugs_follow_home_assistant():
    """Lower case, accents dropped, one underscore between words, none at the ends."""
    assert entity_slug("New DM") == "new_dm"
    assert entity_slug("  Café — 10k!! ") == "cafe_10k"
    assert entity_slug("日本") == ""


def test_a_saved_user_id_that_would_break_topics_is_not_used():
    """The user id names MQTT topics: one with '/' or '#' is not an id; a handle is bounded and printable."""
    from notifier.homeassistant.bridge import Bridge
    from notifier.rulefile.model import HomeAssistantSpec

    spec = HomeAssistantSpec(host="127.0.0.1", port=1883)

    def bridge(memory: dict) -> Bridge:
        return Bridge(spec, user_id=None, memory=memory, save=lambda entry: None, on_mute=lambda muted: None)

    assert bridge({"user_id": "12/#"}).device is None
    assert bridge({"user_id": 12}).device is None
    named = bridge({"user_id": "12", "handle": "@brand\x1b[31m" + "x" * 500}).device
    assert named is not None and named.node == "notifier_12"
    assert named.name.startswith("notifier (@brand[31mx") and len(named.name) <= 63
