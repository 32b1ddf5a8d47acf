"""notifier: alerts for X engagement, delivered through Apprise."""

__version__ = "0.1.0"

from .alert import Alert
from .exceptions import (
    AuthenticationError,
    CredentialsError,
    DeliveryError,
    NotifierError,
    ProtocolError,
    RuleFileError,
    SessionNotFoundError,
    StreamError,
)
from .stream import (
    ConfigEvent,
    DMTypingEvent,
    DMUpdateEvent,
    Payload,
    SubscriptionError,
    SubscriptionsEvent,
    Topic,
    TweetEngagementEvent,
    parse_message,
)

__all__ = [
    "Alert",
    "AuthenticationError",
    "ConfigEvent",
    "CredentialsError",
    "DMTypingEvent",
    "DMUpdateEvent",
    "DeliveryError",
    "NotifierError",
    "Payload",
    "ProtocolError",
    "RuleFileError",
    "SessionNotFoundError",
    "StreamError",
    "SubscriptionError",
    "SubscriptionsEvent",
    "Topic",
    "TweetEngagementEvent",
    "parse_message",
]
