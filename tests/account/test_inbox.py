"""Parsing X's v1.1 DM inbox answers, on the reference's shapes."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.account import Conversation, DirectMessage, InboxPage, Sender, parse_inbox
from tests.account.test_timeline import json_values

INITIAL_STATE = json.loads(
    """
{"inbox_initial_state":{"cursor":"GRwmgI","last_seen_event_id":"1665936253483614212",
 "entries":[{"message":{"id":"1665936253483614212","time":"1686025129132","conversation_id":"7-9","message_data":{"id":"1665936253483614212","time":"1686025129000","sender_id":"9","recipient_id":"7","text":"hi"}}}],
 "users":{"7":{"id_str":"7","screen_name":"bob","name":"Bob"}},
 "conversations":{"7-9":{"conversation_id":"7-9","type":"ONE_TO_ONE","trusted":true,"participants":[{"user_id":"7"},{"user_id":"9"}]}}}}
"""
)
USER_UPDATES = json.loads(
    """
{"user_events":{"cursor":"GRwmoM","last_seen_event_id":"1725968712917045712",
 "entries":[{"message":{"id":"1725969457464447135","time":"1700338160320","conversation_id":"7-9","message_data":{"id":"1725969457464447135","time":"1700338160000","sender_id":"7","recipient_id":"9","text":"meow"}}}]}}
"""
)


def message(message_id, sender="7", conversation="7-9", text="t", **extra):
    return {"message": {"id": message_id, "conversation_id": conversation, "message_data": {"id": message_id, "sender_id": sender, "text": text}, **extra}}


def test_initial_state():
    """inbox_initial_state gives cursor, messages (own ones included), users and conversations."""
    result = parse_inbox(INITIAL_STATE)
    assert result.cursor == "GRwmgI"
    assert result.messages == (DirectMessage("1665936253483614212", "7-9", "9", "hi", 1686025129.132),)
    assert dict(result.users) == {"7": Sender("7", "bob", "Bob")}
    assert dict(result.conversations) == {"7-9": Conversation("7-9", False, True, ("7", "9"), None)}


def test_user_updates():
    """user_updates gives the new message and its cursor."""
    result = parse_inbox(USER_UPDATES)
    assert result.cursor == "GRwmoM"
    assert [(m.id, m.sender_id, m.text) for m in result.messages] == [("1725969457464447135", "7", "meow")]
    assert result.users == {} and result.conversations == {}


def test_nothing_new_is_an_empty_page():
    """An answer without user_events (nothing happened) is an empty page with no cursor."""
    assert parse_inbox({}) == InboxPage(None, (), {}, {})


def test_group_and_message_request():
    """A GROUP_DM is a group with its name; ``trusted: false`` marks a message request."""
    body = {"user_events": {"cursor": "c", "entries": [], "conversations": {
        "55": {"conversation_id": "55", "type": "GROUP_DM", "trusted": True, "name": "Team",
               "participants": [{"user_id": "7"}, {"user_id": "9"}, {"user_id": "8"}]},
        "3-9": {"conversation_id": "3-9", "type": "ONE_TO_ONE", "trusted": False, "participants": [{"user_id": "3"}, {"user_id": "9"}]},
    }}}
    conversations = parse_inbox(body).conversations
    assert conversations["55"] == Conversation("55", True, True, ("7", "9", "8"), "Team")
    assert conversations["3-9"] == Conversation("3-9", False, False, ("3", "9"), None)


def test_messages_sorted_by_id_numerically_and_deduplicated():
    """Messages come sorted by numeric id whatever X's order, each once."""
    body = {"user_events": {"entries": [message("100"), message("99"), message("1000"), message("99", text="again")]}}
    result = parse_inbox(body)
    assert [m.id for m in result.messages] == ["99", "100", "1000"]
    assert result.messages[0].text == "t"


def test_only_message_entries_become_messages():
    """Edits, reactions, reads and conversation events are not messages."""
    body = {"user_events": {"entries": [
        {"message_edit": {"id": "5", "conversation_id": "7-9", "message_data": {"id": "5", "sender_id": "7", "text": "x"}}},
        {"reaction_create": {"id": "6", "conversation_id": "7-9", "sender_id": "7"}},
        {"conversation_read": {"id": "7", "conversation_id": "7-9"}},
        {"trust_conversation": {"id": "8", "conversation_id": "3-9"}},
        message("9"),
    ]}}
    assert [m.id for m in parse_inbox(body).messages] == ["9"]


def test_message_time_falls_back_to_the_snowflake():
    """A message without a time gets the one its snowflake id encodes."""
    (result,) = parse_inbox({"user_events": {"entries": [message("1725969457464447135")]}}).messages
    assert 1700338160 <= result.time < 1700338161  # the entry said 1700338160.320


def test_unusable_entries_are_skipped():
    """Messages without id, sender or conversation are left out."""
    body = {"user_events": {"entries": [
        {"message": {"conversation_id": "7-9", "message_data": {"sender_id": "7"}}},
        {"message": {"id": "5", "message_data": {"sender_id": "7"}}},
        {"message": {"id": "6", "conversation_id": "7-9", "message_data": {}}},
        None, 3, [],
    ]}}
    assert parse_inbox(body).messages == ()


def test_garbage_of_every_type_gives_an_empty_page():
    """Any JSON value that is not an inbox gives an empty page."""
    for body in [None, True, 0, 1.5, "x", [], [{}], {"user_events": None}, {"inbox_initial_state": []},
                 {"user_events": {"entries": "x", "users": [], "conversations": 1, "cursor": 5}}]:
        result = parse_inbox(body)
        assert (result.cursor, result.messages, dict(result.users), dict(result.conversations)) == (None, (), {}, {})


inbox_values = st.recursive(
    json_values,
    lambda inner: st.dictionaries(st.sampled_from(
        ["inbox_initial_state", "user_events", "cursor", "entries", "message", "id", "time", "conversation_id",
         "message_data", "sender_id", "text", "users", "conversations", "id_str", "screen_name", "name",
         "participants", "user_id", "type", "trusted"]), inner, max_size=5),
    max_leaves=40,
)


@settings(max_examples=200, deadline=None)
@given(inbox_values)
def test_parse_inbox_never_raises(body):
    """parse_inbox returns a page for any JSON whatsoever."""
    assert isinstance(parse_inbox(body), InboxPage)
