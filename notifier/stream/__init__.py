"""A client for X's live_pipeline Streaming API."""

from .events import (
    ConfigEvent,
    DMTypingEvent,
    DMUpdateEvent,
    Payload,
    SubscriptionError,
    SubscriptionsEvent,
    TweetEngagementEvent,
)
from .parse import parse_message
from .topics import Topic

__all__ = [
    "ConfigEvent",
    "DMTypingEvent",
    "DMUpdateEvent",
    "Payload",
    "SubscriptionError",
    "SubscriptionsEvent",
    "Topic",
    "TweetEngagementEvent",
    "parse_message",
]
