"""A TCP listener for the daemon's small HTTP server: bounded, and quiet when accept fails.

``asyncio.start_server`` serves every connection it accepts, however many
arrive, and while ``accept()`` fails (no file descriptors left) its loop logs
an error every second for as long as that lasts. A metrics port open to a
network must do neither: :class:`Listener` serves at most ``max_connections``
at once (one more is closed at once, unanswered) and logs each kind of
trouble at most once a minute, saying how often it happened meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["MAX_CONNECTIONS", "Listener"]

log = logging.getLogger(__name__)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

# A scraper and a health probe or two: a few connections at a time is all there ever is.
MAX_CONNECTIONS = 32
# Out of descriptors: wait before trying again (as asyncio's own server does), not spin.
_RESOURCE_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_ACCEPT_RETRY = 1.0
_LOG_EVERY = 60.0


class _Limited:
    """A warning logged at most once per ``every`` seconds, with how many were held back."""

    def __init__(self, every: float, clock: Callable[[], float]) -> None:
        self._every = every
        self._clock = clock
        self._logged_at: float | None = None
        self._held = 0

    def warn(self, message: str, *args: Any, event: str) -> None:
        now = self._clock()
        if self._logged_at is not None and now - self._logged_at < self._every:
            self._held += 1
            return
        held, self._held, self._logged_at = self._held, 0, now
        suffix = f" ({held} more since the last report; reported at most once a minute)" if held else ""
        log.warning(message + suffix, *args, extra={"event": event})


class Listener:
    """Accepts TCP connections on ``host:port`` and runs ``handler`` on each, a bounded number at once."""

    def __init__(
        self,
        handler: Handler,
        *,
        host: str,
        port: int,
        max_connections: int = MAX_CONNECTIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._handler = handler
        self.host = host
        self.port = port
        self._max = max_connections
        self._sock: socket.socket | None = None
        self._accepting: asyncio.Task[None] | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._accept_failed = _Limited(_LOG_EVERY, clock)
        self._too_many = _Limited(_LOG_EVERY, clock)

    async def start(self) -> int:
        """Bind and start accepting; the port bound (an OSError if it cannot be)."""
        loop = asyncio.get_running_loop()
        family, *_, address = (
            await loop.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        )[0]
        sock = socket.create_server(address[:2], family=family, backlog=128)
        sock.setblocking(False)
        self._sock = sock
        self.port = sock.getsockname()[1]
        self._accepting = asyncio.create_task(self._accept(sock), name="notifier-metrics-accept")
        return self.port

    async def aclose(self) -> None:
        """Stop accepting and end the connections being served."""
        tasks = [task for task in (self._accepting, *self._connections) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._accepting = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    async def _accept(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, _ = await loop.sock_accept(sock)
            except OSError as exc:
                self._accept_failed.warn(
                    "metrics: cannot accept a connection: %s", exc.strerror or exc, event="accept_failed",
                )
                if exc.errno in _RESOURCE_ERRORS:
                    await asyncio.sleep(_ACCEPT_RETRY)
                continue
            if len(self._connections) >= self._max:
                conn.close()
                self._too_many.warn(
                    "metrics: %d connections already open; closing new ones unanswered",
                    self._max, event="too_many_connections",
                )
                continue
            task = asyncio.create_task(self._serve(conn))
            self._connections.add(task)
            task.add_done_callback(self._connections.discard)

    async def _serve(self, conn: socket.socket) -> None:
        try:
            reader, writer = await asyncio.open_connection(sock=conn)
        except OSError:
            conn.close()
            return
        try:
            await self._handler(reader, writer)
        finally:
            with contextlib.suppress(Exception):
                writer.close()
