"""parse_message: the wire format, liberal in what it accepts and total."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from notifier import ConfigEvent, Payload, TweetEngagementEvent, parse_message


def line(topic, payload):
    return json.dumps({"topic": topic, "payload": payload})


def test_config_event():
    """The first message of a connection becomes a ConfigEvent with int fields."""
    topic, payload = parse_message(
        line("/system/config", {"config": {"session_id": "s1", "subscription_ttl_millis": 120000, "heartbeat_millis": 25000}})
    )
    assert topic == "/system/config"
    assert payload == Payload(config=ConfigEvent("s1", 120000, 25000))


def test_partial_string_counts():
    """Counts arrive as strings and only when changed: ints, None for absent fields."""
    _, payload = parse_message(line("/tweet_engagement/1", {"tweet_engagement": {"like_count": "2604"}}))
    assert payload.tweet_engagement == TweetEngagementEvent(like_count=2604)
    assert payload.tweet_engagement.retweet_count is None


def test_views_from_view_count_info():
    """Views come from view_count_info.count and .state."""
    _, payload = parse_message(
        line("/tweet_engagement/1", {"tweet_engagement": {"view_count_info": {"count": "99", "state": "EnabledWithCount"}}})
    )
    assert payload.tweet_engagement.view_count == 99
    assert payload.tweet_engagement.view_count_state == "EnabledWithCount"


def test_sse_data_frame_and_keepalives():
    """SSE data: frames parse; empty lines and ':' comments are keep-alives."""
    frame = "data: " + line("/dm_update/1-2", {"dm_update": {"conversation_id": "1-2", "user_id": "2"}})
    topic, payload = parse_message(frame)
    assert topic == "/dm_update/1-2"
    assert payload.dm_update.user_id == "2"
    assert parse_message("") is None
    assert parse_message(":keep-alive") is None
    assert parse_message(b"\r\n") is None


def test_dm_typing():
    """dm_typing payloads become DMTypingEvent."""
    _, payload = parse_message(line("/dm_typing/7", {"dm_typing": {"conversation_id": "7", "user_id": "3"}}))
    assert payload.dm_typing.conversation_id == "7"


def test_unknown_keys_and_fields_are_ignored():
    """An unknown payload key yields None; unknown fields inside a known one are dropped."""
    assert parse_message(line("/x/1", {"something_new": {}})) is None
    _, payload = parse_message(line("/tweet_engagement/1", {"tweet_engagement": {"like_count": "1", "bookmark_count": "5"}}))
    assert payload.tweet_engagement == TweetEngagementEvent(like_count=1)


def test_garbage_returns_none():
    """Broken JSON, wrong types and bad counts never raise."""
    for bad in ["{", "[]", "null", '{"topic": 1}', '{"topic": "/a", "payload": []}', b"\xff\xfe", "data: {"]:
        assert parse_message(bad) is None
    _, payload = parse_message(line("/tweet_engagement/1", {"tweet_engagement": {"like_count": "1.5", "reply_count": "x"}}))
    assert payload.tweet_engagement == TweetEngagementEvent()
    # A count no post can have (issue 13) makes the whole line malformed.
    assert parse_message(line("/tweet_engagement/1", {"tweet_engagement": {"like_count": "-3", "reply_count": "x"}})) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=20), children, max_size=4),
    max_leaves=20,
)
known_keys = st.sampled_from(["config", "subscriptions", "tweet_engagement", "dm_update", "dm_typing", "other"])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.binary()))
def test_never_raises_on_any_text(raw):
    """Any text or bytes: a value or None, never an exception."""
    parse_message(raw)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), known_keys, json_values)
def test_never_raises_on_structured_input(topic, key, body):
    """Well-formed JSON with any shape under a known key never raises."""
    result = parse_message(json.dumps({"topic": topic, "payload": {key: body}}))
    if result is not None:
        assert isinstance(result[1], Payload)
