"""The events a live_pipeline stream carries, as immutable values.

Two come from notifier's own account source rather than X's stream, and are
recorded beside the stream's lines so that a replay sees what the live run
saw: the DM inbox's messages (a :class:`DMUpdateEvent` that knows its message
id, sender and text) and what account watching found (a :class:`DiscoveryEvent`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import msgspec

__all__ = [
    "ConfigEvent",
    "DMTypingEvent",
    "DMUpdateEvent",
    "DiscoveryEvent",
    "Payload",
    "PostRef",
    "SubscriptionError",
    "SubscriptionsEvent",
    "TweetEngagementEvent",
]


@dataclass(frozen=True, slots=True)
class ConfigEvent:
    """Streaming session configuration, the first message of every connection."""

    session_id: str
    subscription_ttl_millis: int
    heartbeat_millis: int


@dataclass(frozen=True, slots=True)
class SubscriptionError:
    """One topic the server refused or dropped."""

    topic: str
    code: int | None
    message: str


@dataclass(frozen=True, slots=True)
class SubscriptionsEvent:
    """Subscription status; ``errors`` is empty when every topic was accepted."""

    errors: tuple[SubscriptionError, ...] = ()


class TweetEngagementEvent(msgspec.Struct, frozen=True, gc=False):
    """Engagement counts of one tweet.

    The server sends only the counts that changed: a field is ``None`` when the
    message did not carry it, which is not the same as zero.
    """

    # A msgspec Struct rather than a frozen dataclass: one is made for nearly every
    # line of a busy stream, and a Struct is built in C (about 40 ns, where a frozen
    # dataclass's __init__ takes 850). It is immutable, equal, hashable and
    # printed alike. gc=False: it holds only ints, strings and None.
    like_count: int | None = None
    retweet_count: int | None = None
    view_count: int | None = None
    view_count_state: str | None = None
    quote_count: int | None = None
    reply_count: int | None = None


@dataclass(frozen=True, slots=True)
class DMUpdateEvent:
    """A new direct message in a conversation (also sent for the account's own).

    X's stream sends only the two ids; a message read from the DM inbox also
    knows its id, text and sender (``sender`` is the screen name without @).
    """

    conversation_id: str
    user_id: str
    message_id: str | None = None
    text: str | None = None
    sender: str | None = None
    sender_name: str | None = None
    # True when the conversation is a message request (X does not trust it yet).
    request: bool | None = None


@dataclass(frozen=True, slots=True)
class DMTypingEvent:
    """Someone is typing in a direct-message conversation."""

    conversation_id: str
    user_id: str


@dataclass(frozen=True, slots=True)
class PostRef:
    """One post that account watching found: enough to decide whether a rule watches it."""

    id: str
    created_at: float | None
    reply: bool = False
    text: str = ""
    # The counts the poll read: they fill in what the stream has not sent yet.
    likes: int | None = None
    retweets: int | None = None
    replies: int | None = None
    quotes: int | None = None
    views: int | None = None
    # True: it appeared after notifier began to follow the account, so its
    # rules count it from zero (None, not False, keeps recordings short).
    new: bool | None = None


@dataclass(frozen=True, slots=True)
class DiscoveryEvent:
    """The posts account watching found for one followed account (``"me"`` or ``"@handle"``), newest first."""

    account: str
    posts: tuple[PostRef, ...] = ()


class Payload(NamedTuple):
    """One stream message; exactly the event it carried is not ``None``."""

    config: ConfigEvent | None = None
    subscriptions: SubscriptionsEvent | None = None
    tweet_engagement: TweetEngagementEvent | None = None
    dm_update: DMUpdateEvent | None = None
    dm_typing: DMTypingEvent | None = None
    # Last, so that payloads built by position before it existed still read the same.
    discovery: DiscoveryEvent | None = None
