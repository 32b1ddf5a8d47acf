"""A client for X's live_pipeline Streaming API: cookies and auth, the session, parsing, SSE framing, recordings.

May import only notifier's leaves; the engine reads `stream.events`/`topics`, which load no httpx or msgspec.
"""

# The names below are imported on first use (PEP 562): the rule engine reads
# ``notifier.stream.events`` and ``topics``, and must not pull in httpx and
# msgspec with them.
#
# It owns the source side: cookies and auth, the session that stays connected
# and subscribed, parsing and SSE framing, recordings, and the daemon's stream
# supervisor. It may import only notifier's leaves (``exceptions``, ``logs``,
# ``backoff``); everything else imports it.

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import lazy_exports

# Each public name and the module it comes from.
_EXPORTS = {
    **dict.fromkeys(("Cookies", "load_cookies"), "notifier.stream.auth"),
    **dict.fromkeys(("Backoff", "BackoffPolicy"), "notifier.stream.backoff"),
    "StreamClient": "notifier.stream.client",
    **dict.fromkeys(
        (
            "ConfigEvent",
            "DMTypingEvent",
            "DMUpdateEvent",
            "Payload",
            "SubscriptionError",
            "SubscriptionsEvent",
            "TweetEngagementEvent",
        ),
        "notifier.stream.events",
    ),
    "parse_message": "notifier.stream.parse",
    "RateLimitedError": "notifier.exceptions",
    **dict.fromkeys(("StreamingSession", "StreamStats"), "notifier.stream.session"),
    "Topic": "notifier.stream.topics",
}

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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__, globals())


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from ..exceptions import RateLimitedError
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
    from .session import StreamingSession, StreamStats
    from .topics import Topic
