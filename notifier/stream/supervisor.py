"""The daemon's side of the stream: one session at a time, on the topics the rules want.

The :class:`StreamSupervisor` opens a session, feeds what it yields to a
consumer, follows rule changes (an update of the subscriptions, or a new
session when the DM topics change, since X takes those only when a stream
opens), and answers ``/healthz`` from what the session reports.

It hears about connections from the session as they happen (it is the
session's :class:`~notifier.stream.session.ConnectionListener`) and passes
them on to its :class:`StreamObserver`: every connection's config event, the
first one included, and every drop, at the moment it happens. Catch-up needs
exactly that: an outage is the time from a drop to the next connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from ..exceptions import AuthenticationError, StreamError
from .events import ConfigEvent, Payload
from .session import ConnectionListener, StreamStats
from .topics import Topic

__all__ = ["Session", "SessionOpener", "StreamHealth", "StreamObserver", "StreamSupervisor"]

log = logging.getLogger(__name__)

# A backoff that is this late is not "retrying within its backoff" any more.
_RETRY_GRACE = 5.0
# The first connection may take the longest backoff (60 s × 1.5) plus a timeout.
_FIRST_CONNECT_GRACE = 120.0


class Session(Protocol):
    """What the supervisor uses of a :class:`~notifier.stream.session.StreamingSession`."""

    topics: set[str]
    stats: StreamStats

    def __aiter__(self) -> AsyncIterator[tuple[str, Payload]]: ...

    async def update_subscriptions(
        self, subscribe: Iterable[str] | None = None, unsubscribe: Iterable[str] | None = None
    ) -> Payload: ...

    async def aclose(self) -> None: ...


class SessionOpener(Protocol):
    """What the supervisor uses of a :class:`~notifier.stream.client.StreamClient`."""

    async def get_streaming_session(
        self, topics: Iterable[str], auto_reconnect: bool = True, *, listener: ConnectionListener | None = None
    ) -> Session: ...

    async def aclose(self) -> None: ...


class StreamObserver(Protocol):
    """Who the stream's events and connections are for (the daemon's pipeline)."""

    def stream_event(self, topic: str, payload: Payload) -> None:
        """A message of the stream (never a config event: those come as ``stream_connected``)."""
        ...

    def stream_connected(self, config: ConfigEvent) -> None:
        """A connection came up; everything before it in the stream was passed on already."""
        ...

    def stream_dropped(self) -> None:
        """The live connection ended just now."""
        ...


@dataclass(frozen=True, slots=True)
class StreamHealth:
    """Is the stream where it should be? ``reason`` says what it is doing."""

    ok: bool
    reason: str


class _Listener:
    """Hands one session's connection events on, and counts them."""

    __slots__ = ("connections", "observer", "up")

    def __init__(self, observer: StreamObserver) -> None:
        self.observer = observer
        self.connections = 0
        self.up = False

    def connected(self, raw: str, config: ConfigEvent) -> None:
        self.connections += 1
        self.up = True
        self.observer.stream_connected(config)

    def disconnected(self) -> None:
        # Only a connection whose config event was handed on counts as having been up:
        # one that dropped before its turn in the stream must not hide the outage before it.
        if self.up:
            self.up = False
            self.observer.stream_dropped()


class StreamSupervisor:
    """Keeps one session open on the wanted topics and hands what it reads to ``observer``.

    ``clock`` is only for health: how long the first connection has been tried.
    """

    def __init__(self, opener: SessionOpener, observer: StreamObserver, *, clock: Callable[[], float]) -> None:
        self._opener = opener
        self._observer = observer
        self._clock = clock
        self._session: Session | None = None
        self._listener: _Listener | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._opening_since: float | None = None
        self._failure: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # What sessions already closed counted (a DM topic change replaces the session).
        self._closed_reconnects = 0
        self._closed_malformed = 0
        self._closed_connections = 0
        # A debounced change of topics: the latest wish, and the task that applies it.
        self._wanted: set[str] | None = None
        self._applying: asyncio.Task[None] | None = None
        # One change of topics at a time: the start, a reload and a burst of new
        # conversations may all ask at once, and two concurrent opens would leave
        # a session nobody reads.
        self._changing = asyncio.Lock()

    @property
    def session(self) -> Session | None:
        """The session being read, if one is open."""
        return self._session

    @property
    def connections(self) -> int:
        """Connections made over this run whose config event was handed on."""
        listener = self._listener
        return self._closed_connections + (listener.connections if listener is not None else 0)

    def counts(self) -> tuple[bool, int, int]:
        """``(connected, reconnects, malformed)`` summed over every session of this run."""
        session = self._session
        if session is None:
            return False, self._closed_reconnects, self._closed_malformed
        stats = session.stats
        return (
            bool(stats.connected),
            self._closed_reconnects + stats.reconnects,
            self._closed_malformed + stats.malformed,
        )

    async def failed(self) -> None:
        """Wait until reading the stream fails for good; raise why (AuthenticationError…)."""
        await asyncio.shield(self._failure)

    def request(self, wanted: set[str], *, delay: float = 2.0) -> None:
        """Be subscribed to ``wanted`` soon: wishes within ``delay`` seconds are applied together.

        New conversations tend to come in bursts, and each change of DM topics
        reopens the stream: this reopens it once for the burst.
        """
        self._wanted = set(wanted)
        if self._applying is None or self._applying.done():
            self._applying = asyncio.create_task(self._apply_later(delay), name="notifier-resubscribe")

    async def _apply_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        wanted, self._wanted = self._wanted, None
        if wanted is None:
            return
        try:
            await self.apply(wanted)
        except AuthenticationError as exc:
            self._fail(exc)
        except (StreamError, ValueError) as exc:
            log.warning("changing the stream's topics failed: %s", exc, extra={"event": "resubscribe_failed"})

    async def apply(self, wanted: set[str]) -> None:
        """Be subscribed to exactly ``wanted``: update the session, or open a new one.

        notifier's own topics (inbox messages, discoveries) are never subscribed.
        """
        async with self._changing:
            await self._apply({topic for topic in wanted if Topic.on_stream(topic)})

    async def _apply(self, wanted: set[str]) -> None:
        session = self._session
        if not wanted:
            if session is not None:
                log.warning("no topics left to watch: closing the stream", extra={"event": "idle"})
                await self._close_current()
            else:
                log.warning(
                    "no enabled rule watches a tweet or a conversation; waiting for a rule change",
                    extra={"event": "idle"},
                )
            return
        if session is None:
            await self._open(wanted)
            return
        current = set(session.topics)
        if {t for t in current if Topic.is_dm(t)} != {t for t in wanted if Topic.is_dm(t)}:
            # The API cannot add DM topics to a running session: open a new one.
            log.info("the DM topics changed: opening a new session", extra={"event": "resubscribe"})
            await self._open(wanted)
            return
        subscribe = sorted(wanted - current)
        unsubscribe = sorted(current - wanted)
        if not subscribe and not unsubscribe:
            return
        try:
            # The session warns about any topic X refuses in its answer.
            await session.update_subscriptions(subscribe=subscribe or None, unsubscribe=unsubscribe or None)
        except AuthenticationError:
            raise
        except (StreamError, ValueError) as exc:
            log.warning(
                "updating subscriptions failed (%s): opening a new session", exc,
                extra={"event": "resubscribe"},
            )
            await self._open(wanted)
            return
        log.info(
            "subscriptions updated: +%d −%d", len(subscribe), len(unsubscribe),
            extra={"event": "subscriptions_updated", "added": len(subscribe), "removed": len(unsubscribe)},
        )

    def health(self) -> StreamHealth:
        """Healthy while connected or retrying within the backoff."""
        session = self._session
        if session is None:
            opening = self._opening_since
            if opening is None:
                return StreamHealth(False, "the stream is not open")
            # The session is not ours until its first connection succeeds; until then
            # the client is retrying with backoff, which is healthy for a while.
            waited = self._clock() - opening
            if waited <= _FIRST_CONNECT_GRACE:
                return StreamHealth(True, f"connecting for {waited:.0f} s")
            return StreamHealth(False, f"could not connect for {waited:.0f} s")
        stats = session.stats
        if stats.connected:
            return StreamHealth(True, "connected")
        retry_at = stats.retry_at
        if retry_at is not None:
            wait = retry_at - self._clock()
            if wait >= -_RETRY_GRACE:
                return StreamHealth(True, f"reconnecting in {max(wait, 0):.0f} s")
            return StreamHealth(False, f"reconnect overdue by {-wait:.0f} s")
        return StreamHealth(False, "the stream is not connected")

    async def aclose(self) -> None:
        """Close the session, stop reading it, and close the client it came from."""
        if self._applying is not None:
            self._applying.cancel()
            await asyncio.gather(self._applying, return_exceptions=True)
        await self._close_current()
        with contextlib.suppress(Exception):
            await self._opener.aclose()
        if not self._failure.done():
            self._failure.cancel()
        elif not self._failure.cancelled():
            self._failure.exception()  # retrieved: whoever waited has been told already

    async def _open(self, topics: set[str]) -> None:
        """Open a session on ``topics`` and read it; replaces the current session."""
        log.info("connecting: %d topics", len(topics), extra={"event": "connecting", "topics": len(topics)})
        listener = _Listener(self._observer)
        self._opening_since = self._clock()
        try:
            session = await self._opener.get_streaming_session(
                sorted(topics), auto_reconnect=True, listener=listener
            )
        finally:
            self._opening_since = None
        await self._close_current()
        self._session, self._listener = session, listener
        self._consumer = asyncio.create_task(self._consume(session), name="notifier-stream")

    async def _consume(self, session: Session) -> None:
        try:
            async for topic, payload in session:
                # The listener handed every config event on already, in its place in the stream.
                if payload.config is None:
                    self._observer.stream_event(topic, payload)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self._fail(exc)
            return
        # auto_reconnect sessions end only when closed; anything else is a failure.
        if session is self._session:
            self._fail(StreamError("the stream ended and did not reconnect"))

    def _fail(self, exc: BaseException) -> None:
        if not self._failure.done():
            self._failure.set_exception(exc)

    async def _close_current(self) -> None:
        session, consumer, listener = self._session, self._consumer, self._listener
        self._session = self._consumer = self._listener = None
        if consumer is not None and not consumer.done():
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await consumer
        if session is None:
            return
        stats = session.stats
        self._closed_reconnects += stats.reconnects
        self._closed_malformed += stats.malformed
        if listener is not None:
            self._closed_connections += listener.connections
        with contextlib.suppress(Exception):
            await session.aclose()

