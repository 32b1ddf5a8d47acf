"""The events a live_pipeline stream carries, as immutable values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "ConfigEvent",
    "DMTypingEvent",
    "DMUpdateEvent",
    "Payload",
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


@dataclass(frozen=True, slots=True)
class TweetEngagementEvent:
    """Engagement counts of one tweet.

    The server sends only the counts that changed: a field is ``None`` when the
    message did not carry it, which is not the same as zero.
    """

    like_count: int | None = None
    retweet_count: int | None = None
    view_count: int | None = None
    view_count_state: str | None = None
    quote_count: int | None = None
    reply_count: int | None = None


@dataclass(frozen=True, slots=True)
class DMUpdateEvent:
    """A new direct message in a conversation (also sent for the account's own)."""

    conversation_id: str
    user_id: str


@dataclass(frozen=True, slots=True)
class DMTypingEvent:
    """Someone is typing in a direct-message conversation."""

    conversation_id: str
    user_id: str


class Payload(NamedTuple):
    """One stream message; exactly the event it carried is not ``None``."""

    config: ConfigEvent | None = None
    subscriptions: SubscriptionsEvent | None = None
    tweet_engagement: TweetEngagementEvent | None = None
    dm_update: DMUpdateEvent | None = None
    dm_typing: DMTypingEvent | None = None
