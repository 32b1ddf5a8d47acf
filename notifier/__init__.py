"""notifier: alerts for X engagement, delivered through Apprise; the public names, imported on first use.

May import everything below it, lazily: `notifier --help` must not pay for httpx, Apprise and the rest.
"""

# The layers, in the order data flows through them:
#
# - :mod:`notifier.stream` — the live_pipeline client (``StreamClient``, ``StreamingSession``, ``Topic``, events);
#   :mod:`notifier.account` — X's web API, polled for an account's posts and DMs;
# - :mod:`notifier.rules` — the pure rule engine (``Engine``), fed by :mod:`notifier.rulefile` (``load_rules``);
# - :mod:`notifier.run.pipeline` — one event through the rules into the outbox, then the rules' state saved;
# - :mod:`notifier.delivery` — the durable outbox and Apprise delivery (``Outbox``, ``Deliverer``);
# - :mod:`notifier.run.daemon` — ``notifier run``'s lifecycle, which joins them.
#
# docs/development.md says what each package owns and may import.
#
# The names below are imported on first use (PEP 562), not with the package:
# ``notifier --help`` must not pay for httpx, Apprise and the rest.

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Each public name and the module it comes from.
_EXPORTS = {
    "Alert": "notifier.alert",
    "Config": "notifier.run.config",
    "Daemon": "notifier.run.daemon",
    **dict.fromkeys(("Deliverer", "DeliveryResult", "Outbox", "TargetSet", "build_targets"), "notifier.delivery"),
    **dict.fromkeys(
        (
            "AuthenticationError",
            "CredentialsError",
            "DeliveryError",
            "ExpectFileError",
            "NotifierError",
            "ProtocolError",
            "RuleFileError",
            "SessionNotFoundError",
            "StateError",
            "StreamError",
        ),
        "notifier.exceptions",
    ),
    **dict.fromkeys(("Decision", "Engine", "EngineState", "RuleSet"), "notifier.rules"),
    **dict.fromkeys(("RuleFile", "load_rules"), "notifier.rulefile"),
    **dict.fromkeys(
        (
            "Backoff",
            "ConfigEvent",
            "Cookies",
            "DMTypingEvent",
            "DMUpdateEvent",
            "Payload",
            "RateLimitedError",
            "StreamClient",
            "StreamingSession",
            "StreamStats",
            "SubscriptionError",
            "SubscriptionsEvent",
            "Topic",
            "TweetEngagementEvent",
            "load_cookies",
            "parse_message",
        ),
        "notifier.stream",
    ),
}

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


# The lazy exports of notifier's packages, written once. It lives here, not in a
# module of its own, because importing any module of the package (say the leaf
# ``notifier.logs``) must load nothing else of notifier, and this package's own
# exports need it.
def lazy_exports(
    package: str, exports: Mapping[str, str], public: Iterable[str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, whose module globals are ``namespace``.

    ``exports`` maps each public name to the module it comes from; ``public``
    is the package's ``__all__``.
    """
    names = frozenset(public)

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        # Bound on the package: the next lookup is an ordinary attribute, not this call.
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | names)

    return __getattr__, __dir__


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__, globals())


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .alert import Alert
    from .run.config import Config
    from .run.daemon import Daemon
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
