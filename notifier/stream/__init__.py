"""A client for X's live_pipeline Streaming API."""

from .auth import Cookies, load_cookies
from .backoff import Backoff, BackoffPolicy
from .client import StreamClient
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
from ..exceptions import RateLimitedError
from .session import StreamingSession, StreamStats
from .topics import Topic

__all__ = [
    "Backoff",
    "BackoffPolicy",
    "ConfigEvent",
    "Cookies",
    "DMTypingEvent",
    "DMUpdateEvent",
    "Payload",
    "RateLimitedError",
    "StreamClient",
    "StreamStats",
    "StreamingSession",
    "SubscriptionError",
    "SubscriptionsEvent",
    "Topic",
    "TweetEngagementEvent",
    "load_cookies",
    "parse_message",
]
