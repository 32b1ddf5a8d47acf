"""One stream connection: opened, its config event awaited, then its lines read under the heartbeat watchdog.

:func:`connect` opens the stream with the first :data:`URL_TOPIC_LIMIT`
topics in its URL (DM topics first: X accepts them only there) and subscribes
the rest once the config event has arrived; from then on the connection is
:class:`Live` (:func:`await_config` keeps whatever came before the config).
:func:`read` then feeds its bytes through SSE framing and :class:`LineParser`
to the session, counting the lines that are not messages. The server writes
at least every ``heartbeat_millis``: when no byte arrives for twice that, the
connection is dead and :func:`read` says so. :meth:`Live.interrupt` stops the
read at once with a reason (a reconnect, a session X no longer knows).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..exceptions import StreamError
from .events import ConfigEvent, Payload
from .parse import parse_message
from .sse import Lines, message_text
from .subscriptions import Subscriptions, ordered
from .transport import StreamConnection, Transport

if TYPE_CHECKING:
    from .session import StreamStats

__all__ = ["URL_TOPIC_LIMIT", "LineParser", "Live", "Message", "await_config", "close_quietly", "connect", "read"]

# These are the session's events: the logger's name is part of every JSON log line.
log = logging.getLogger("notifier.stream.session")

# X's web client puts at most this many topics in the stream URL.
URL_TOPIC_LIMIT = 20

Message = tuple[str, str, Payload]
"""``(raw, topic, payload)``: the message's JSON text and what it parsed to."""


@dataclass(slots=True)
class Live:
    """The connection being read."""

    connection: StreamConnection
    chunks: AsyncIterator[bytes]
    lines: Lines
    config: ConfigEvent
    config_raw: str
    early: list[Message]
    interrupted: StreamError | None = None
    timer: asyncio.Timeout | None = None

    def interrupt(self, reason: StreamError) -> None:
        """Make :func:`read` stop with ``reason``, at once even while it waits for data."""
        self.interrupted = reason
        timer = self.timer
        if timer is not None and not timer.expired():
            timer.reschedule(asyncio.get_running_loop().time())


class LineParser:
    """One stream line to a :data:`Message`, or None; counts what it skips in ``stats``."""

    def __init__(self, stats: StreamStats, refused: Callable[[Payload], None]) -> None:
        self.stats = stats
        # Told of every subscriptions event, which may say that X refused a topic.
        self._refused = refused

    def __call__(self, line: str) -> Message | None:
        text = message_text(line)
        if text is None:  # a keep-alive or an SSE field: not a message, not malformed
            return None
        parsed = parse_message(line)
        if parsed is None:
            self.stats.malformed += 1
            log.debug("skipping a stream line that is not a usable message: %.200r", line)
            return None
        self.stats.last_message_at = time.time()
        topic, payload = parsed
        if payload.subscriptions is not None:
            self._refused(payload)
        return text, topic, payload


async def connect(
    transport: Transport, topics: Iterable[str], subscriptions: Subscriptions, parse: LineParser, timeout: float
) -> Live:
    """Open a stream for ``topics``, wait at most ``timeout`` s for its config, then subscribe what the URL left out."""
    topics = ordered(topics)
    in_url, rest = topics[:URL_TOPIC_LIMIT], topics[URL_TOPIC_LIMIT:]
    connection: StreamConnection | None = None
    try:
        async with asyncio.timeout(timeout):
            connection = await transport.open_stream(in_url)
            live = await await_config(connection, parse)
            if rest:
                payload = await subscriptions.post(live.config.session_id, rest, ())
                subscriptions.log_refused(payload)
    except TimeoutError as exc:
        if connection is not None:
            await close_quietly(connection)
        raise StreamError(
            f"the stream did not send its config within {timeout:g} s of connecting"
        ) from exc
    except BaseException:
        if connection is not None:
            await close_quietly(connection)
        raise
    return live


async def await_config(connection: StreamConnection, parse: LineParser) -> Live:
    """Read ``connection`` up to its config event."""
    chunks = aiter(connection.chunks())
    lines = Lines()
    early: list[Message] = []
    async for chunk in chunks:
        for line in lines.feed(chunk):
            message = parse(line)
            if message is None:
                continue
            raw, _, payload = message
            if payload.config is not None:
                return Live(connection, chunks, lines, payload.config, raw, early)
            early.append(message)  # liberal: keep what came before the config
    raise StreamError("the stream ended before sending its config event")


async def read(live: Live, parse: LineParser, deliver: Callable[[Message], Awaitable[None]]) -> None:
    """Hand each message to ``deliver`` until the stream ends; raise StreamError when it fails or is interrupted."""
    silence = 2 * live.config.heartbeat_millis / 1000
    while True:
        if live.interrupted is not None:
            raise live.interrupted
        try:
            async with asyncio.timeout(silence) as timer:
                live.timer = timer
                try:
                    chunk = await anext(live.chunks, None)
                finally:
                    live.timer = None
        except TimeoutError:
            if live.interrupted is not None:
                raise live.interrupted from None
            raise StreamError(
                f"no data for {silence:g} s (twice the {live.config.heartbeat_millis} ms "
                "heartbeat): the connection is dead"
            ) from None
        if chunk is None:
            return
        for line in live.lines.feed(chunk):
            message = parse(line)
            if message is not None:
                await deliver(message)
        parse.stats.malformed += live.lines.overlong
        live.lines.overlong = 0


async def close_quietly(connection: StreamConnection) -> None:
    try:
        await connection.aclose()
    except Exception:  # noqa: BLE001 - the connection is being discarded anyway
        log.debug("error while closing a stream connection", exc_info=True)
