"""What account watching found, as the events the pipeline and recordings take.

A followed account's posts become one :class:`~notifier.stream.events.DiscoveryEvent`
on ``/notifier/discovery``; a new message from the inbox becomes a
:class:`~notifier.stream.events.DMUpdateEvent` that knows its id, text and
sender, on ``/dm_message/<conversation>``. The daemon hands them to its
pipeline, ``notifier record`` writes them as lines: a replay of the recording
sees exactly what the live run saw.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from ..stream.events import DiscoveryEvent, DMUpdateEvent, Payload, PostRef
from ..stream.topics import Topic
from .inbox import DirectMessage, Sender
from .timeline import Post

__all__ = ["FeedSink", "discovery", "dm_message"]


def discovery(account: str, posts: Sequence[Post], new: Collection[str] = ()) -> tuple[str, Payload]:
    """The event saying which posts of ``account`` polling found, with their counts; ``new``: see AccountSink."""
    refs = tuple(
        PostRef(
            post.id, post.created_at, post.reply, post.text,
            likes=post.likes, retweets=post.retweets, replies=post.replies, quotes=post.quotes, views=post.views,
            new=True if post.id in new else None,
        )
        for post in posts
    )
    return Topic.DISCOVERY, Payload(discovery=DiscoveryEvent(account, refs))


def dm_message(message: DirectMessage, sender: Sender | None, *, request: bool = False) -> tuple[str, Payload] | None:
    """The event of one new message; None for a conversation id no topic can name."""
    try:
        topic = Topic.dm_message(message.conversation_id)
    except ValueError:
        return None
    event = DMUpdateEvent(
        message.conversation_id, message.sender_id, message_id=message.id, text=message.text,
        sender=sender.screen_name if sender else None, sender_name=sender.name if sender else None,
        request=True if request else None,
    )
    return topic, Payload(dm_update=event)


class FeedSink:
    """An account watcher's sink that turns what it finds into ``(topic, payload)`` events.

    ``emit`` handles one event (and has made it durable when it returns);
    ``on_conversations`` hears the inbox's conversations, most recently active first.
    """

    def __init__(
        self,
        emit: Callable[[str, Payload], None],
        on_conversations: Callable[[Sequence[str]], None] = lambda ids: None,
    ) -> None:
        self._emit = emit
        self._on_conversations = on_conversations

    def posts_found(self, account: str, posts: Sequence[Post], new: frozenset[str] = frozenset()) -> None:
        self._emit(*discovery(account, posts, new))

    def message(self, message: DirectMessage, sender: Sender | None, *, request: bool = False) -> None:
        event = dm_message(message, sender, request=request)
        if event is not None:
            self._emit(*event)

    def conversations(self, ids: Sequence[str]) -> None:
        self._on_conversations(ids)
