"""An HTTP/1.1 server on asyncio streams, in a background thread, for the fake X servers.

The fakes must serve in-process async tests and a ``notifier run`` subprocess
alike, so each runs its own event loop in a daemon thread and listens on a
real socket on 127.0.0.1. :class:`LoopServer` owns that machinery (start,
stop, the URL, running a function on the loop, the keep-alive request loop);
a fake only says how it answers one request, in :meth:`LoopServer._serve`.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self

__all__ = ["LoopServer", "Request", "parse_cookies", "read_request", "respond"]

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(frozen=True, slots=True)
class Request:
    """One request as read off the socket; header names are lower case."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


class LoopServer:
    """A server on its own event loop thread; use as a context manager (or start()/stop())."""

    def __init__(self, thread_name: str) -> None:
        self._thread_name = thread_name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._port = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- lifecycle -----------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=self._thread_name, daemon=True)
        self._thread.start()

        async def listen() -> asyncio.Server:
            return await asyncio.start_server(self._handle, "127.0.0.1", 0)

        self._server = asyncio.run_coroutine_threadsafe(listen(), self._loop).result(5)
        self._port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def shutdown() -> None:
            assert self._server is not None
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            # Connections still being served (an open stream) end with the server.
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(5)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5)
            loop.close()
            self._loop = self._thread = None

    @property
    def url(self) -> str:
        """The server's base URL (what ``https://x.com/i/api`` is for X)."""
        return f"http://127.0.0.1:{self._port}"

    # -- for subclasses -------------------------------------------------------

    def _call(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the server's loop (state it owns belongs to that thread)."""
        if self._loop is None:
            raise RuntimeError("the fake server is not running: use it as a context manager")

        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(5)

    async def _serve(self, request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer ``request``; False when the connection is done (say after a stream)."""
        raise NotImplementedError

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            while True:
                request = await read_request(reader)
                if request is None or not await self._serve(request, reader, writer):
                    break
                if request.headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            writer.transport.abort()


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request on a connection, or None once the client has closed it."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    body = await reader.readexactly(length) if length else b""
    return Request(method, target, headers, body)


def respond(
    writer: asyncio.StreamWriter, status: int, body: Any, headers: Mapping[str, str] | None = None
) -> None:
    """Write a whole JSON answer (``body`` as bytes is sent as is, say an empty 404)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    writer.write(
        (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\n"
            f"Content-Type: application/json; charset=utf-8\r\nContent-Length: {len(data)}\r\n{extra}\r\n"
        ).encode()
        + data
    )


def parse_cookies(header: str) -> dict[str, str]:
    """A ``Cookie`` header as a name -> value dict."""
    jar = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            jar[name] = value
    return jar
