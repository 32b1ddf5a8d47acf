"""One live_pipeline streaming session, kept alive for as long as it is open.

A session owns one background task (the pump) that opens the stream, reads
it (:mod:`notifier.stream.connection`) and reopens it when it fails, and,
per connection, a task that re-posts every topic before the subscriptions'
time-to-live runs out. Readers take messages from a bounded queue, so a slow
reader slows the pump instead of growing memory.

Keeping the stream alive:

* **Refresh.** X forgets subscriptions that are not re-posted within
  ``subscription_ttl_millis``. Every ``refresh_interval(ttl)`` seconds all
  topics are posted again: ``ttl − 20 s`` like X's web client, but never less
  than half the TTL, so a short TTL still leaves half its length as margin
  (see :mod:`notifier.stream.subscriptions`).
* **Watchdog.** A connection silent for twice ``heartbeat_millis`` is dead
  and is reopened (see :mod:`notifier.stream.connection`).
* **Reconnect.** Connection errors, 5xx answers, a clean end of stream and
  error 392 on an update reopen the stream after a backoff delay (see
  :mod:`notifier.stream.backoff`); 429 waits for ``Retry-After`` when it asks
  for longer than the backoff, else the backoff. Every new
  connection's config event is yielded to the reader. 401/403 stop the
  session with :class:`~notifier.exceptions.AuthenticationError`.

Whoever needs to know about connections as they happen (the daemon's catch-up,
``notifier record``) passes a
:class:`~notifier.stream.transport.ConnectionListener`: it hears every
connection's config event, the first one included, in stream order, and every
connection's end at the moment it ends. Nothing has to poll :attr:`stats`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass

from ..exceptions import AuthenticationError, RateLimitedError, SessionNotFoundError, StreamError
from .backoff import Backoff, BackoffPolicy
from .connection import URL_TOPIC_LIMIT, LineParser, Live, Message, close_quietly, connect, read
from .events import ConfigEvent, Payload
from .subscriptions import Subscriptions, refresh_interval, topic_list
from .topics import Topic
from .transport import ConnectionListener, StreamConnection, Transport

__all__ = [
    "CONFIG_TOPIC",
    "URL_TOPIC_LIMIT",
    "ConnectionListener",
    "RateLimitedError",
    "StreamConnection",
    "StreamStats",
    "StreamingSession",
    "Transport",
    "refresh_interval",
]

log = logging.getLogger(__name__)

CONFIG_TOPIC = "/system/config"
_QUEUE_SIZE = 256


class _Reopen(StreamError):
    """Internal: reconnect() asked for a new connection."""


@dataclass(slots=True)
class StreamStats:
    """Live numbers about a session, for health checks and metrics."""

    connected: bool = False
    reconnects: int = 0
    malformed: int = 0
    last_message_at: float | None = None
    retry_at: float | None = None


class _End:
    """Marks a stream that ended cleanly (auto_reconnect=False) or a closed session."""


_END = _End()
_WAKE = object()


@dataclass(frozen=True, slots=True)
class _Connected:
    """In the queue: a connection came up here. ``shown``: iteration yields its config too."""

    message: Message
    shown: bool


class StreamingSession:
    """A live_pipeline session that stays subscribed and connected until closed.

    Create it with :meth:`StreamClient.get_streaming_session`. Iterate it for
    ``(topic, payload)`` pairs, or :meth:`messages` for ``(raw, topic, payload)``;
    iterate it from one task at a time.
    """

    def __init__(
        self,
        transport: Transport,
        topics: Iterable[str],
        *,
        auto_reconnect: bool = True,
        backoff: BackoffPolicy | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
        timeout: float = 20.0,
        listener: ConnectionListener | None = None,
    ) -> None:
        checked = topic_list(topics, "topics")
        dm = [t for t in checked if Topic.is_dm(t)]
        if len(dm) > URL_TOPIC_LIMIT:
            raise ValueError(
                f"{len(dm)} DM topics given, but at most {URL_TOPIC_LIMIT} fit in one session "
                "(X accepts DM topics only when a stream opens): split them across sessions"
            )
        self.topics: set[str] = set(checked)
        self.auto_reconnect = auto_reconnect
        self.stats = StreamStats()
        self.config: ConfigEvent | None = None
        self._transport = transport
        self._backoff: BackoffPolicy = backoff if backoff is not None else Backoff()
        self._sleep = sleep if sleep is not None else asyncio.sleep
        self._timeout = timeout
        self._queue: asyncio.Queue[Message | object] = asyncio.Queue(_QUEUE_SIZE)
        self._halt: BaseException | _End | None = None
        self._waiters: list[asyncio.Future[tuple[str, Payload]]] = []
        self._wake = asyncio.Event()
        self._changed = asyncio.Event()
        self._live: Live | None = None
        self._pump: asyncio.Task[None] | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._failures = 0
        self._connections = 0
        self._closed = False
        self._listener = listener
        self._subscriptions = Subscriptions(transport)
        self._parse = LineParser(self.stats, self._subscriptions.log_refused)

    # -- public API ---------------------------------------------------------

    @property
    def id(self) -> str | None:
        """The session id of the current connection (it changes on reconnect)."""
        return self.config.session_id if self.config else None

    def __repr__(self) -> str:
        state = "closed" if self._closed else "connected" if self.stats.connected else "connecting"
        return f"<StreamingSession id={self.id!r} topics={len(self.topics)} {state}>"

    async def reconnect(self) -> tuple[str, Payload]:
        """Open a new connection now; return its ``(topic, Payload)`` config event.

        With ``auto_reconnect`` a failed attempt is retried with backoff and
        this waits for the connection that succeeds; without, the first
        failure is raised.
        """
        self._check_open()
        waiter = self._request_connection()
        if self._live is not None:
            self._interrupt_live(_Reopen("reconnect() was called"))
        return await waiter

    async def update_subscriptions(
        self, subscribe: Iterable[str] | None = None, unsubscribe: Iterable[str] | None = None
    ) -> Payload:
        """Subscribe to and unsubscribe from topics; return X's confirmation.

        ``topics`` changes at once, so the periodic refresh and any reconnect
        use the new set even if this request fails. DM topics cannot be added
        to a running session: this raises ValueError before sending anything;
        open a new session with the new topic set instead. If X no longer
        knows the session (error 392) the stream is reopened and, with
        ``auto_reconnect``, the update is sent once more to the new session.
        """
        self._check_open()
        sub = topic_list(subscribe, "subscribe")
        unsub = topic_list(unsubscribe, "unsubscribe")
        dm = [topic for topic in sub if Topic.is_dm(topic)]
        if dm:
            raise ValueError(
                f"cannot subscribe to {', '.join(dm)} on a running session: X accepts "
                "dm_update and dm_typing topics only when a stream opens. Open a new "
                "session with client.get_streaming_session() including them, then "
                "close this one"
            )
        self.topics.difference_update(unsub)
        self.topics.update(sub)
        self._subscriptions.asked_again(sub)
        stale: str | None = None
        while True:
            session_id = await self._wait_live(exclude=stale)
            try:
                answer = await self._subscriptions.post(session_id, sub, unsub)
                self._subscriptions.log_refused(answer)
                return answer
            except SessionNotFoundError as exc:
                self._interrupt_live(exc, session_id)
                if not self.auto_reconnect or stale is not None:
                    raise
                stale = session_id

    async def messages(self) -> AsyncIterator[Message]:
        """Yield ``(raw, topic, payload)`` for every message; ``raw`` is its JSON text."""
        while (item := await self._next()) is not None:
            yield item

    async def __aiter__(self) -> AsyncIterator[tuple[str, Payload]]:
        async for _, topic, payload in self.messages():
            yield topic, payload

    async def aclose(self) -> None:
        """Close the stream and stop every task of this session."""
        if self._closed:
            return
        self._closed = True
        tasks = [task for task in (self._pump, self._refresher) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._live is not None:  # the pump was cancelled before it could close it
            await self._drop_live()
        self._fail_waiters(StreamError("the streaming session was closed"))
        self._stop(_END)
        log.debug("streaming session %s closed", self.id)

    async def __aenter__(self) -> StreamingSession:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- start, used by StreamClient -----------------------------------------

    async def _start(self) -> None:
        """Open the first connection (retrying per auto_reconnect)."""
        waiter = self._request_connection()
        try:
            await waiter
        except BaseException:
            await self.aclose()
            raise

    # -- the reader's side ---------------------------------------------------

    async def _next(self) -> Message | None:
        while True:
            if self._queue.empty() and self._halt is not None:
                if isinstance(self._halt, _End):
                    return None
                raise self._halt
            item = await self._queue.get()
            if isinstance(item, _Connected):
                if self._listener is not None:
                    self._listener.connected(item.message[0], item.message[2].config)  # type: ignore[arg-type]
                if not item.shown:
                    continue
                return item.message
            if item is not _WAKE:
                return item  # type: ignore[return-value]

    def _stop(self, reason: BaseException | _End) -> None:
        """Deliver the end (or a failure) to readers once queued messages are read."""
        self._halt = reason
        try:
            self._queue.put_nowait(_WAKE)
        except asyncio.QueueFull:
            pass  # the reader is not waiting; it will see _halt once the queue drains

    def _check_open(self) -> None:
        if self._closed:
            raise StreamError("the streaming session is closed; open a new one")

    # -- the pump ------------------------------------------------------------

    def _request_connection(self) -> asyncio.Future[tuple[str, Payload]]:
        waiter: asyncio.Future[tuple[str, Payload]] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._halt = None  # a new connection resumes iteration
        self._wake.set()
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._run(), name="notifier-stream-pump")
        return waiter

    async def _run(self) -> None:
        try:
            await self._pump_forever()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must reach the reader, not die silently
            log.exception("the stream pump failed")
            error = StreamError(f"the stream pump failed: {exc!r}")
            self._fail_waiters(error)
            self._stop(error)

    async def _pump_forever(self) -> None:
        while True:
            if not self.auto_reconnect and not self._waiters:
                self._wake.clear()
                await self._wake.wait()  # idle until reconnect()
                continue
            self._wake.clear()
            try:
                live = await self._connect()
            except AuthenticationError as exc:
                log.error("stream refused: %s", exc, extra={"event": "stream_refused"})
                self._fail_waiters(exc)
                self._stop(exc)
                return
            except StreamError as exc:
                if not self.auto_reconnect:
                    self._fail_waiters(exc)
                    continue
                await self._pause(exc)
                continue
            outcome = await self._serve(live)
            if isinstance(outcome, AuthenticationError):
                log.error("stream refused: %s", outcome, extra={"event": "stream_refused"})
                self._stop(outcome)
                return
            if isinstance(outcome, _Reopen):
                continue
            if not self.auto_reconnect:
                self._stop(outcome if outcome is not None else _END)
                continue
            await self._pause(outcome)

    async def _pause(self, cause: StreamError | None) -> None:
        """Back off before the next attempt; reconnect() cuts the wait short."""
        delay = self._backoff.delay(self._failures)
        if isinstance(cause, RateLimitedError) and cause.retry_after is not None:
            # Never less than the backoff: a Retry-After of 0 or a past date
            # would otherwise reopen the stream at once, over and over.
            delay = max(delay, cause.retry_after)
        self._failures += 1
        reason = str(cause) if cause is not None else "the server ended the stream"
        log.warning(
            "stream interrupted: %s; reconnecting in %.1f s", reason, delay,
            extra={"event": "stream_interrupted", "retry_in": round(delay, 3)},
        )
        self.stats.retry_at = time.time() + delay
        sleeper = asyncio.ensure_future(self._sleep(delay))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()
            self.stats.retry_at = None

    async def _connect(self) -> Live:
        live = await connect(self._transport, self.topics, self._subscriptions, self._parse, self._timeout)
        self._failures = 0
        return live

    async def _serve(self, live: Live) -> StreamError | None:
        """Announce, read and finally close one connection; return why it ended."""
        self._live = live
        self.config = live.config
        self.stats.connected = True
        self._connections += 1
        if self._connections > 1:
            self.stats.reconnects += 1
        self._notify()
        log.info(
            "stream connected: session %s, %d topics, subscription TTL %d ms, heartbeat %d ms",
            live.config.session_id,
            len(self.topics),
            live.config.subscription_ttl_millis,
            live.config.heartbeat_millis,
            extra={"event": "stream_connected", "topics": len(self.topics)},
        )
        session_id = live.config.session_id
        self._refresher = asyncio.create_task(
            self._subscriptions.refresh(
                live.config, lambda: self.topics, lambda exc: self._interrupt_live(exc, session_id)
            ),
            name=f"notifier-stream-refresh-{session_id}",
        )
        try:
            event = (CONFIG_TOPIC, Payload(config=live.config))
            # A connection someone waits for hands its config to them, not to iteration;
            # the queue still marks where it came, for the listener.
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(event)
            await self._queue.put(_Connected((live.config_raw, *event), shown=not waiters))
            for message in live.early:
                await self._queue.put(message)
            await read(live, self._parse, self._deliver)
            return None
        except StreamError as exc:
            return exc
        finally:
            await self._drop_live()

    async def _drop_live(self) -> None:
        live, self._live = self._live, None
        refresher, self._refresher = self._refresher, None
        self.stats.connected = False
        self._notify()
        if live is not None and self._listener is not None:
            self._listener.disconnected()
        if refresher is not None:
            refresher.cancel()
        if live is not None:
            await close_quietly(live.connection)

    async def _deliver(self, message: Message) -> None:
        """One message read: a config event mid-stream becomes the session's; all go to the queue."""
        if message[2].config is not None:
            self.config = message[2].config
        await self._queue.put(message)

    def _interrupt_live(self, reason: StreamError, session_id: str | None = None) -> None:
        """Make the pump drop the current connection (if it is ``session_id``)."""
        live = self._live
        if live is None or (session_id is not None and live.config.session_id != session_id):
            return
        live.interrupt(reason)

    def _fail_waiters(self, exc: BaseException) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(exc)

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _wait_live(self, exclude: str | None = None) -> str:
        """The id of a live connection other than ``exclude``, waiting for one if needed."""
        try:
            async with asyncio.timeout(self._timeout):
                while True:
                    self._check_open()
                    changed = self._changed
                    live = self._live
                    if live is not None and live.config.session_id != exclude:
                        return live.config.session_id
                    if isinstance(self._halt, BaseException):
                        raise self._halt
                    if not self.auto_reconnect and live is None and not self._waiters:
                        raise StreamError("the stream is not connected: call reconnect() first")
                    await changed.wait()
        except TimeoutError as exc:
            raise StreamError(
                f"the stream did not reconnect within {self._timeout:g} s; the new topics "
                "will be subscribed when it does"
            ) from exc

