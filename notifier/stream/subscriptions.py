"""A session's subscriptions: checked topic lists, one update at a time, the refresh loop.

X forgets subscriptions that are not re-posted within
``subscription_ttl_millis``, so while a connection is up its topics are posted
again every :func:`refresh_interval`. Updates go out one at a time, so a
refresh cannot re-add a topic just unsubscribed, and a topic X refuses is
warned about once, not at every refresh.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence

from ..exceptions import AuthenticationError, SessionNotFoundError, StreamError
from .events import ConfigEvent, Payload
from .topics import Topic
from .transport import Transport

__all__ = ["Subscriptions", "ordered", "refresh_interval", "topic_list"]

# These are the session's events: the logger's name is part of every JSON log line.
log = logging.getLogger("notifier.stream.session")


def refresh_interval(ttl_millis: int) -> float:
    """Seconds between subscription refreshes for a subscription TTL."""
    ttl = ttl_millis / 1000
    return max(ttl - 20.0, ttl / 2, 0.05)


def topic_list(topics: Iterable[str] | None, what: str) -> list[str]:
    """``topics`` checked and without repeats; ``what`` names the argument in errors."""
    if topics is None:
        return []
    if isinstance(topics, (str, bytes)):
        raise TypeError(f"{what} takes a list of topics, not a single string: use [{topics!r}]")
    checked: list[str] = []
    for topic in topics:
        Topic.parse(topic)  # raises ValueError saying what a topic looks like
        if topic not in checked:
            checked.append(topic)
    return checked


def ordered(topics: Iterable[str]) -> list[str]:
    """DM topics first, each group sorted."""
    # DM topics cannot be added later, so they must be among the URL's topics.
    topics = list(topics)
    return sorted(t for t in topics if Topic.is_dm(t)) + sorted(t for t in topics if not Topic.is_dm(t))


class Subscriptions:
    """Posts one session's subscription updates and refreshes through ``transport``."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._lock = asyncio.Lock()
        # Topics X refused, each warned about once: a refresh every ~100 s must not repeat it.
        self._refused: set[str] = set()

    async def post(self, session_id: str, subscribe: Sequence[str], unsubscribe: Sequence[str]) -> Payload:
        """Send one update to session ``session_id``; return X's answer."""
        # One update at a time, so a refresh cannot re-add a topic just unsubscribed.
        async with self._lock:
            return await self._transport.update(session_id, subscribe, unsubscribe)

    def asked_again(self, topics: Iterable[str]) -> None:
        """``topics`` were asked for again: a new refusal of one is news."""
        self._refused.difference_update(topics)

    def log_refused(self, payload: Payload) -> None:
        """Warn once per topic that X refused it, wherever X said so (stream or update answer)."""
        subscriptions = payload.subscriptions
        for error in subscriptions.errors if subscriptions else ():
            topic = error.topic or "?"
            if topic in self._refused:
                continue
            self._refused.add(topic)
            log.warning(
                "X refused topic %s: %s (code %s)", topic, error.message or "no reason given", error.code,
                extra={"event": "topic_refused", "topic": error.topic},
            )

    async def refresh(
        self, config: ConfigEvent, topics: Callable[[], Iterable[str]], lost: Callable[[StreamError], None]
    ) -> None:
        """Re-post ``topics()`` before X lets the subscriptions lapse, until cancelled.

        When X no longer knows the session or refuses the account, ``lost``
        hears why and the refreshing stops: the connection must be reopened.
        """
        interval = refresh_interval(config.subscription_ttl_millis)
        delay = interval
        while True:
            await asyncio.sleep(delay)
            current = ordered(topics())
            if not current:
                continue
            try:
                payload = await self.post(config.session_id, current, ())
            except (SessionNotFoundError, AuthenticationError) as exc:
                log.warning(
                    "refreshing subscriptions failed: %s; reopening the stream", exc,
                    extra={"event": "refresh_failed"},
                )
                lost(exc)
                return
            except StreamError as exc:
                delay = max(0.05, min(5.0, interval / 4))
                log.warning(
                    "refreshing subscriptions failed: %s; retrying in %.1f s", exc, delay,
                    extra={"event": "refresh_failed", "retry_in": round(delay, 3)},
                )
            else:
                self.log_refused(payload)
                delay = interval
