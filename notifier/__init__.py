"""notifier: alerts for X engagement, delivered through Apprise.

The layers, in the order data flows through them:

- :mod:`notifier.stream` — the live_pipeline client (``StreamClient``, ``StreamingSession``, ``Topic``, events);
- :mod:`notifier.rules` — the pure rule engine (``Engine``), fed by :mod:`notifier.rulefile` (``load_rules``);
- :mod:`notifier.delivery` — the durable outbox and Apprise delivery (``Outbox``, ``Deliverer``);
- :mod:`notifier.daemon` — ``notifier run``, which joins them.
"""

__version__ = "0.1.0"

from .alert import Alert
from .config import Config
from .daemon import Daemon
from .delivery import Deliverer, DeliveryResult, Outbox, TargetSet, build_targets
from .exceptions import (
    AuthenticationError,
    CredentialsError,
    DeliveryError,
    ExpectFileError,
    NotifierError,
    ProtocolError,
    RuleFileError,
    SessionNotFoundError,
    StateError,
    StreamError,
)
from .rulefile import RuleFile, load_rules
from .rules import Decision, Engine, EngineState, RuleSet
from .stream import (
    Backoff,
    ConfigEvent,
    Cookies,
    DMTypingEvent,
    DMUpdateEvent,
    Payload,
    RateLimitedError,
    StreamClient,
    StreamingSession,
    StreamStats,
    SubscriptionError,
    SubscriptionsEvent,
    Topic,
    TweetEngagementEvent,
    load_cookies,
    parse_message,
)

__all__ = [
    "Alert",
    "AuthenticationError",
    "Backoff",
    "Config",
    "ConfigEvent",
    "Cookies",
    "CredentialsError",
    "DMTypingEvent",
    "DMUpdateEvent",
    "Daemon",
    "Decision",
    "Deliverer",
    "DeliveryError",
    "DeliveryResult",
    "Engine",
    "EngineState",
    "ExpectFileError",
    "NotifierError",
    "Outbox",
    "Payload",
    "ProtocolError",
    "RateLimitedError",
    "RuleFile",
    "RuleFileError",
    "RuleSet",
    "SessionNotFoundError",
    "StateError",
    "StreamClient",
    "StreamError",
    "StreamStats",
    "StreamingSession",
    "SubscriptionError",
    "SubscriptionsEvent",
    "TargetSet",
    "Topic",
    "TweetEngagementEvent",
    "build_targets",
    "load_cookies",
    "load_rules",
    "parse_message",
]
