"""What polling finds becomes events that recordings keep and read back unchanged."""

from __future__ import annotations

from notifier.account.feed import discovery, dm_message
from notifier.account.inbox import DirectMessage, Sender
from notifier.account.timeline import Post
from notifier.stream.parse import parse_message
from notifier.stream.recording import event_line


def _post(post_id: str, **fields: object) -> Post:
    base = dict(author_id="9", created_at=1_780_000_000.0, text="Launching today", likes=1200, retweets=3,
                replies=None, quotes=0, views=5000, reply=False, repost=False, pinned=False)
    base.update(fields)
    return Post(post_id, **base)  # type: ignore[arg-type]


def test_a_discovery_reads_back_from_its_recorded_line() -> None:
    """Posts with their counts, texts and reply flags survive the trip through a recording."""
    topic, payload = discovery("@brand", [_post("12"), _post("11", reply=True, text="thanks!", likes=None)])
    assert parse_message(event_line(topic, payload, 1_780_000_100.0)) == (topic, payload)
    assert payload.discovery.posts[0].likes == 1200 and payload.discovery.posts[1].reply


def test_an_inbox_message_reads_back_from_its_recorded_line() -> None:
    """A message keeps its id, text, sender handle and name; its topic is the conversation's."""
    message = DirectMessage("77", "7-9", "7", "are you free tomorrow? 🙂", 1_780_000_000.0)
    topic, payload = dm_message(message, Sender("7", "alice", "Alice A."))
    assert topic == "/dm_message/7-9"
    assert parse_message(event_line(topic, payload, 1.0)) == (topic, payload)
    assert payload.dm_update.sender == "alice" and payload.dm_update.text.startswith("are you")


def test_a_conversation_no_topic_can_name_is_left_out() -> None:
    """An XChat-style id (a:b) has no v1.1 topic: no event rather than an error."""
    assert dm_message(DirectMessage("1", "a:b", "7", "hi", 0.0), None) is None
