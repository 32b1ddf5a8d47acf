"""parse_message on the lines notifier's account source records: inbox messages and discoveries."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.run.pipeline import payload_kind
from notifier.stream.events import DiscoveryEvent, DMTypingEvent, DMUpdateEvent, Payload, PostRef
from notifier.stream.parse import parse_message
from notifier.stream.topics import Topic


def line(topic, payload):
    return json.dumps({"ts": 1780000000.5, "topic": topic, "payload": payload})


def test_a_stream_dm_update_reads_as_before():
    """X's dm_update (two ids) gives the two-field event, the new fields None: old recordings read the same."""
    _, payload = parse_message(line("/dm_update/1-2", {"dm_update": {"conversation_id": "1-2", "user_id": "2"}}))
    assert payload == Payload(dm_update=DMUpdateEvent("1-2", "2"))
    assert payload.dm_update.message_id is payload.dm_update.text is payload.dm_update.sender is None


def test_an_inbox_message_reads_its_id_text_and_sender():
    """A recorded inbox message keeps its message id, text, sender (without @) and sender name."""
    body = {"conversation_id": "1-2", "user_id": "2", "message_id": 1725969457464447135,
            "text": "are you free tomorrow?", "sender": "@alice", "sender_name": "Alice"}
    topic, payload = parse_message(line("/dm_message/1-2", {"dm_update": body}))
    assert topic == Topic.dm_message("1-2")
    assert payload.dm_update == DMUpdateEvent(
        "1-2", "2", message_id="1725969457464447135", text="are you free tomorrow?", sender="alice",
        sender_name="Alice",
    )


@pytest.mark.parametrize("bad", [None, 5, True, [], {}, ""])
def test_unusable_message_fields_are_none(bad):
    """A text, sender or name of the wrong type is left out, never an error; the message still reads."""
    body = {"conversation_id": "1-2", "user_id": "2", "text": bad, "sender": bad, "sender_name": bad}
    _, payload = parse_message(line("/dm_message/1-2", {"dm_update": body}))
    event = payload.dm_update
    assert (event.text, event.sender, event.sender_name) == (
        bad if isinstance(bad, str) else None, None, bad if isinstance(bad, str) else None,
    )


def test_typing_events_ignore_message_fields():
    """dm_typing keeps its two fields whatever else the body carries."""
    _, payload = parse_message(line("/dm_typing/1-2", {"dm_typing": {"conversation_id": "1-2", "user_id": "2",
                                                                      "text": "x"}}))
    assert payload.dm_typing == DMTypingEvent("1-2", "2")


def test_a_discovery_line_reads_as_the_issue_shows_it():
    """The recorded discovery line becomes a DiscoveryEvent, posts in order, and its kind is 'discovery'."""
    posts = [{"id": "1", "created_at": 1780000000.0, "reply": False, "text": "Launching today…"},
             {"id": 2, "created_at": 1779990000, "reply": True}]
    topic, payload = parse_message(line(Topic.DISCOVERY, {"discovery": {"account": "me", "posts": posts}}))
    assert topic == "/notifier/discovery"
    assert payload == Payload(discovery=DiscoveryEvent("me", (
        PostRef("1", 1780000000.0, reply=False, text="Launching today…"),
        PostRef("2", 1779990000.0, reply=True, text=""),
    )))
    assert payload_kind(payload) == "discovery"


def test_unusable_posts_are_left_out_and_odd_values_defaulted():
    """Posts without a digit id are dropped; a bad created_at is None, a bad reply False, a bad text empty."""
    posts = [{"id": "x1"}, {"created_at": 1}, "7", {"id": "3", "created_at": "soon", "reply": "yes", "text": 4},
             {"id": "4", "created_at": float("inf")}]
    _, payload = parse_message(json.dumps({"topic": Topic.DISCOVERY,
                                           "payload": {"discovery": {"account": "@brand", "posts": posts}}}))
    assert payload.discovery == DiscoveryEvent("@brand", (PostRef("3", None), PostRef("4", None)))


@pytest.mark.parametrize("body", [None, [], {"posts": []}, {"account": ""}, {"account": 5},
                                  {"account": "me", "posts": {"id": "1"}}])
def test_an_unusable_discovery_is_not_a_message(body):
    """A discovery without an account, or whose posts are not a list, is a line the reader skips."""
    assert parse_message(line(Topic.DISCOVERY, {"discovery": body})) is None


def test_an_empty_discovery_says_no_posts():
    """An account with no posts in reach is a discovery too: it says there is nothing to watch."""
    _, payload = parse_message(line(Topic.DISCOVERY, {"discovery": {"account": "me"}}))
    assert payload.discovery == DiscoveryEvent("me", ())


@settings(max_examples=300, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["account", "posts", "id", "created_at", "reply", "text"]), children, max_size=4),
    max_leaves=15,
))
def test_any_discovery_body_parses_or_is_skipped(body):
    """Whatever a discovery body holds, parse_message returns a payload or None, never raises."""
    result = parse_message(json.dumps({"topic": Topic.DISCOVERY, "payload": {"discovery": body}}))
    assert result is None or isinstance(result[1].discovery, DiscoveryEvent)


def test_topics_on_the_stream_and_notifiers_own():
    """dm_message and discovery topics are notifier's own; the stream's three kinds are on the stream."""
    assert Topic.dm_message("1-2") == "/dm_message/1-2"
    assert Topic.dm_message(7) == "/dm_message/7"
    with pytest.raises(ValueError, match="conversation id"):
        Topic.dm_message("a:b")
    assert not Topic.on_stream(Topic.dm_message("1-2"))
    assert not Topic.on_stream(Topic.DISCOVERY)
    assert not Topic.is_dm(Topic.dm_message("1-2"))
    for topic in (Topic.tweet_engagement(1), Topic.dm_update("1-2"), Topic.dm_typing("3")):
        assert Topic.on_stream(topic)
    with pytest.raises(ValueError):
        Topic.parse(Topic.dm_message("1-2"))  # never a subscription
