"""A fake X ``live_pipeline`` server on 127.0.0.1, for tests.

It is a ``loopserver.LoopServer``: HTTP/1.1 over a real socket, on asyncio
streams, with its own event loop in a background thread, so it serves
in-process async tests and a ``notifier run`` subprocess alike. It behaves like the server
described in ``live-pipeline.md``: it checks the cookies and the CSRF header,
sends the config event first, sends counts as strings with only some fields,
writes a keep-alive every ``heartbeat_millis``, stops sending a topic whose
subscription was not refreshed within ``ttl_millis``, and answers error 392
for sessions it does not know. Tests can make it drop, end or stall streams
and fail the next connects.

Usage::

    with FakeLivePipeline(ttl_millis=3000, heartbeat_millis=200) as fake:
        client = StreamClient(fake.cookies, api_base=fake.url)
        ...
        fake.push_engagement("123", like_count=1200)
        await fake.wait_for(lambda: fake.connections == 2)   # plain call in sync tests
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .loopserver import LoopServer, Request, parse_cookies, respond

__all__ = ["FakeLivePipeline"]

EVENTS_PATH = "/live_pipeline/events"
UPDATE_PATH = "/1.1/live_pipeline/update_subscriptions"
_ERROR_BODIES = {
    401: {"errors": [{"code": 32, "message": "Could not authenticate you."}]},
    403: {"errors": [{"code": 353, "message": "This request requires a matching csrf cookie and header."}]},
    429: {"errors": [{"code": 88, "message": "Rate limit exceeded."}]},
}
_SESSION_NOT_FOUND = {"errors": [{"code": 392, "message": "Session not found."}]}


def _is_dm(topic: str) -> bool:
    return topic.startswith(("/dm_update/", "/dm_typing/"))


@dataclass(eq=False)
class _Stream:
    session_id: str
    writer: asyncio.StreamWriter
    sse: bool
    stalled_until: float = 0.0  # time.monotonic(); float("inf") = until closed
    closed: bool = False

    def stalled(self) -> bool:
        return time.monotonic() < self.stalled_until

    def send(self, data: bytes) -> bool:
        if self.closed or self.writer.transport.is_closing():
            return False
        self.writer.write(b"%x\r\n%s\r\n" % (len(data), data))
        return True

    def message(self, text: str) -> bool:
        return self.send((f"data: {text}\n\n" if self.sse else f"{text}\n").encode())

    def keep_alive(self) -> bool:
        return self.send(b":\n\n" if self.sse else b"\n")


@dataclass(eq=False)
class _Session:
    stream: _Stream
    topics: dict[str, float]  # topic -> expiry, time.monotonic()
    dm_allowed: frozenset[str]

    def live_topics(self) -> set[str]:
        now = time.monotonic()
        return {topic for topic, expiry in self.topics.items() if expiry > now}


@dataclass
class _Failure:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # None: X's usual error body for the status


class FakeLivePipeline(LoopServer):
    """A local live_pipeline server; use as a context manager (or start()/stop())."""

    def __init__(
        self,
        ttl_millis: int = 120000,
        heartbeat_millis: int = 25000,
        sse: bool = False,
        auth_token: str = "tok",
        ct0: str = "csrf",
        own_user_id: str = "1000",
    ) -> None:
        super().__init__("fake-live-pipeline")
        self.ttl_millis = ttl_millis
        self.heartbeat_millis = heartbeat_millis
        self.sse = sse
        self.auth_token = auth_token
        self.ct0 = ct0
        self.own_user_id = own_user_id
        self.connections = 0  # stream connects answered with 200
        self.connect_attempts = 0  # every stream request, failed ones too
        self._ids = itertools.count(1)
        self._sessions: dict[str, _Session] = {}
        self._streams: set[_Stream] = set()
        self._failures: deque[_Failure] = deque()
        self._update_requests: list[dict[str, Any]] = []
        self._stream_requests: list[dict[str, Any]] = []
        self._deliveries: list[dict[str, Any]] = []

    # -- what tests use ------------------------------------------------------

    @property
    def cookies(self) -> dict[str, str]:
        return {"auth_token": self.auth_token, "ct0": self.ct0, "twid": f"u%3D{self.own_user_id}"}

    @property
    def sessions(self) -> dict[str, set[str]]:
        """Session id -> topics whose subscription has not expired."""
        return self._call(lambda: {sid: s.live_topics() for sid, s in self._sessions.items()})

    @property
    def update_requests(self) -> list[dict[str, Any]]:
        """Every update POST: session, sub, unsub (lists), status, at (time.time())."""
        return self._call(lambda: [dict(r) for r in self._update_requests])

    @property
    def stream_requests(self) -> list[dict[str, Any]]:
        """Every stream GET: query (dict), topics (list), headers (lower-case names), status."""
        return self._call(lambda: [dict(r) for r in self._stream_requests])

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        """Every push: topic, sessions it was written to, at (time.time())."""
        return self._call(lambda: [dict(r) for r in self._deliveries])

    def push_engagement(self, tweet_id: str | int, **fields: Any) -> float:
        """Send a tweet_engagement message with ``fields`` as strings; return time.time() of the write.

        ``view_count`` and ``view_count_state`` become ``view_count_info``;
        other fields are sent as given (unknown ones included).
        """
        body: dict[str, Any] = {}
        for name, value in fields.items():
            if name in ("view_count", "view_count_state"):
                info = body.setdefault("view_count_info", {"state": "EnabledWithCount"})
                info["count" if name == "view_count" else "state"] = str(value)
            elif name.endswith("_count"):
                body[name] = str(value)
            else:
                body[name] = value
        topic = f"/tweet_engagement/{tweet_id}"
        return self._push(topic, {"topic": topic, "payload": {"tweet_engagement": body}})

    def push_dm(self, conversation_id: str, user_id: str, typing: bool = False) -> float:
        """Send a dm_update (or dm_typing) message; return time.time() of the write."""
        kind = "dm_typing" if typing else "dm_update"
        topic = f"/{kind}/{conversation_id}"
        body = {"conversation_id": conversation_id, "user_id": user_id}
        return self._push(topic, {"topic": topic, "payload": {kind: body}})

    def push_raw(self, topic: str | None, text: str) -> float:
        """Write ``text`` plus a newline, unframed, to subscribers of ``topic`` (None: every stream)."""
        return self._call(lambda: self._deliver(topic, text, raw=True))

    def drop_connections(self, clean: bool = False) -> None:
        """Abort every open stream; ``clean=True`` ends them properly instead."""

        def drop() -> None:
            for stream in list(self._streams):
                if clean:
                    stream.writer.write(b"0\r\n\r\n")
                    stream.writer.close()
                else:
                    stream.writer.transport.abort()
                stream.closed = True

        self._call(drop)

    def stall(self, seconds: float | None) -> None:
        """Stop writing anything (keep-alives too) to the streams open now.

        For ``seconds``, or until they close when None; ``stall(0)`` resumes.
        Messages pushed meanwhile are not sent to them.
        """
        until = float("inf") if seconds is None else time.monotonic() + seconds

        def apply() -> None:
            for stream in self._streams:
                stream.stalled_until = until

        self._call(apply)

    def fail_next(
        self, status: int, times: int = 1, headers: Mapping[str, str] | None = None, *, body: Any = None
    ) -> None:
        """Answer the next ``times`` stream connects with ``status`` (and ``headers``; ``body`` bytes or JSON)."""
        failure = _Failure(status, dict(headers or {}), body)
        self._call(lambda: self._failures.extend([failure] * times))

    def forget_sessions(self) -> None:
        """Forget every session while its stream stays open (updates then get 392)."""
        self._call(self._sessions.clear)

    def expire_subscriptions(self) -> None:
        """Let every subscription lapse now, as if the TTL had passed."""

        def expire() -> None:
            for session in self._sessions.values():
                for topic in session.topics:
                    session.topics[topic] = 0.0

        self._call(expire)

    def wait_for(self, predicate: Callable[..., Any], timeout: float = 5.0) -> Any:
        """Poll ``predicate()`` (or ``predicate(fake)``) until true; AssertionError after ``timeout``.

        In a running event loop this returns a coroutine to await (so the code
        under test keeps running); elsewhere it blocks.
        """
        check = self._checker(predicate)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            deadline = time.monotonic() + timeout
            while not check():
                if time.monotonic() > deadline:
                    raise AssertionError(f"condition not met within {timeout} s: {_describe(predicate)}")
                time.sleep(0.01)
            return True
        return self._wait_async(check, predicate, timeout)

    # -- internals -----------------------------------------------------------

    def _checker(self, predicate: Callable[..., Any]) -> Callable[[], bool]:
        try:
            wants_fake = bool(inspect.signature(predicate).parameters)
        except (TypeError, ValueError):
            wants_fake = False
        return (lambda: bool(predicate(self))) if wants_fake else (lambda: bool(predicate()))

    async def _wait_async(self, check: Callable[[], bool], predicate: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout} s: {_describe(predicate)}")
            await asyncio.sleep(0.01)
        return True

    def _push(self, topic: str, message: dict[str, Any]) -> float:
        text = json.dumps(message)
        return self._call(lambda: self._deliver(topic, text))

    def _deliver(self, topic: str | None, text: str, raw: bool = False) -> float:
        at = time.time()
        sent = []
        for sid, session in self._sessions.items():
            stream = session.stream
            if stream.stalled() or (topic is not None and topic not in session.live_topics()):
                continue
            if stream.send(f"{text}\n".encode()) if raw else stream.message(text):
                sent.append(sid)
        if raw and topic is None:  # streams whose session was forgotten still get raw text
            for stream in self._streams:
                if stream.session_id not in self._sessions and not stream.stalled():
                    stream.send(f"{text}\n".encode())
        self._deliveries.append({"topic": topic, "sessions": sent, "at": at})
        return at

    async def _serve(self, request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        url = urlsplit(request.target)
        if request.method == "GET" and url.path == EVENTS_PATH:
            await self._stream(reader, writer, parse_qs(url.query), request.headers)
            return False
        if request.method == "POST" and url.path == UPDATE_PATH:
            status, answer = self._update(request.headers, parse_qs(request.body.decode("utf-8", "replace")))
        else:
            status, answer = 404, {"errors": [{"code": 34, "message": "Sorry, that page does not exist."}]}
        respond(writer, status, answer)
        await writer.drain()
        return True

    def _refusal(self, headers: Mapping[str, str]) -> tuple[int, dict[str, Any]] | None:
        cookies = parse_cookies(headers.get("cookie", ""))
        if cookies.get("auth_token") != self.auth_token:
            return 401, _ERROR_BODIES[401]
        if cookies.get("ct0") != self.ct0 or headers.get("x-csrf-token") != cookies.get("ct0"):
            return 403, _ERROR_BODIES[403]
        return None

    async def _stream(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        query: dict[str, list[str]],
        headers: dict[str, str],
    ) -> None:
        self.connect_attempts += 1
        joined = ",".join(query.get("topic", []) + query.get("topics", []))
        topics = [topic for topic in joined.split(",") if topic]
        record: dict[str, Any] = {"query": query, "topics": topics, "headers": headers, "at": time.time()}
        self._stream_requests.append(record)
        refusal = self._refusal(headers)
        if self._failures:
            failure = self._failures.popleft()
            body = failure.body if failure.body is not None else _ERROR_BODIES.get(
                failure.status, {"errors": [{"code": 131, "message": "Internal error."}]}
            )
            refusal = (failure.status, body)
            extra = failure.headers
        else:
            extra = {}
        if refusal is not None:
            record["status"] = refusal[0]
            respond(writer, *refusal, headers=extra)
            await writer.drain()
            return
        record["status"] = 200
        self.connections += 1
        sse = self.sse or "text/event-stream" in headers.get("accept", "")
        session_id = f"fake-session-{next(self._ids)}"
        stream = _Stream(session_id, writer, sse)
        expiry = time.monotonic() + self.ttl_millis / 1000
        self._sessions[session_id] = _Session(
            stream, {topic: expiry for topic in topics}, frozenset(t for t in topics if _is_dm(t))
        )
        self._streams.add(stream)
        writer.write(
            (
                "HTTP/1.1 200 OK\r\n"
                f"Content-Type: {'text/event-stream' if sse else 'application/json'}; charset=utf-8\r\n"
                "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            ).encode()
        )
        config = {
            "session_id": session_id,
            "subscription_ttl_millis": self.ttl_millis,
            "heartbeat_millis": self.heartbeat_millis,
        }
        stream.message(json.dumps({"topic": "/system/config", "payload": {"config": config}}))
        beats = asyncio.create_task(self._heartbeat(stream))
        try:
            while await reader.read(4096):
                pass  # the client sends nothing more; EOF means it left
        except ConnectionError:
            pass
        finally:
            beats.cancel()
            stream.closed = True
            self._streams.discard(stream)
            if self._sessions.get(session_id) is not None and self._sessions[session_id].stream is stream:
                del self._sessions[session_id]

    async def _heartbeat(self, stream: _Stream) -> None:
        while not stream.closed:
            await asyncio.sleep(self.heartbeat_millis / 1000)
            if not stream.stalled():
                stream.keep_alive()

    def _update(self, headers: dict[str, str], form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        sub = [t for value in form.get("sub_topics", []) for t in value.split(",") if t]
        unsub = [t for value in form.get("unsub_topics", []) for t in value.split(",") if t]
        session_id = headers.get("livepipeline-session", "")
        record = {"session": session_id, "sub": sub, "unsub": unsub, "at": time.time()}
        self._update_requests.append(record)
        refusal = self._refusal(headers)
        session = self._sessions.get(session_id)
        if refusal is not None:
            record["status"] = refusal[0]
            return refusal
        if session is None:
            record["status"] = 400
            return 400, _SESSION_NOT_FOUND
        expiry = time.monotonic() + self.ttl_millis / 1000
        errors = []
        for topic in sub:
            if _is_dm(topic) and topic not in session.dm_allowed:
                errors.append(
                    {"topic": topic, "code": 0, "message": "DM topics can only be subscribed when the stream opens"}
                )
            else:
                session.topics[topic] = expiry
        for topic in unsub:
            session.topics.pop(topic, None)
        record["status"] = 200
        return 200, {"subscriptions": {"errors": errors}}


def _describe(predicate: Any) -> str:
    try:
        return inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        return repr(predicate)
