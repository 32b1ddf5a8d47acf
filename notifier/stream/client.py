"""StreamClient: the HTTP side of live_pipeline, and the factory of sessions.

httpx errors and X's error answers are translated here, at the boundary:
callers only ever see :mod:`notifier.exceptions`.
"""

from __future__ import annotations

import os
import weakref
from http.cookiejar import CookieJar, DefaultCookiePolicy
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

import httpx

from ..exceptions import (
    AuthenticationError,
    ProtocolError,
    RateLimitedError,
    SessionNotFoundError,
    StreamError,
)
from .auth import Cookies, SessionCookies, load_cookies
from .backoff import BackoffPolicy, parse_retry_after
from .events import Payload, SubscriptionsEvent
from .http import check_api_base, describe, error_detail, parse_json, x_errors
from .parse import parse_subscriptions
from .session import ConnectionListener, StreamingSession

__all__ = ["DEFAULT_API_BASE", "StreamClient"]

DEFAULT_API_BASE = "https://api.x.com"
_ENV_API_BASE = "NOTIFIER_API_BASE"
_DEFAULT_TIMEOUT = 20.0
_EVENTS_PATH = "/live_pipeline/events"
_UPDATE_PATH = "/1.1/live_pipeline/update_subscriptions"
_SESSION_NOT_FOUND = 392
# Enough of an error body to read X's error code; a stream body never ends.
_ERROR_BODY_LIMIT = 8192


class StreamClient:
    """Opens live_pipeline streaming sessions for one X account.

    ``cookies`` is anything :func:`~notifier.stream.auth.load_cookies` accepts:
    a mapping, the path of a cookie file, or ``None`` for the environment.
    ``api_base`` defaults to ``$NOTIFIER_API_BASE``, else ``https://api.x.com``.
    ``backoff`` (a :class:`~notifier.stream.backoff.BackoffPolicy`) and
    ``sleep`` (an async function of seconds) shape the waits between
    reconnection attempts; tests inject them. ``timeout`` (seconds, default
    20) bounds connecting, receiving the config event and each update request.
    """

    def __init__(
        self,
        cookies: SessionCookies | Cookies | Mapping[str, str] | str | os.PathLike[str] | None = None,
        *,
        api_base: str | None = None,
        backoff: BackoffPolicy | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
        timeout: float | None = None,
    ) -> None:
        # A SessionCookies shared with the web client: a ct0 X rotates for one is used by both.
        self._session = cookies if isinstance(cookies, SessionCookies) else SessionCookies(load_cookies(cookies))
        base = api_base if api_base is not None else os.environ.get(_ENV_API_BASE) or DEFAULT_API_BASE
        self.api_base = check_api_base(base, DEFAULT_API_BASE)
        self._timeout = _DEFAULT_TIMEOUT if timeout is None else float(timeout)
        if self._timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self._backoff = backoff
        self._sleep = sleep
        self._transport = _HttpTransport(self.api_base, self._session, self._timeout)
        self._sessions: weakref.WeakSet[StreamingSession] = weakref.WeakSet()
        self._closed = False

    @property
    def user_id(self) -> str | None:
        """The account's own user id, from the ``twid`` cookie; None if absent."""
        return self._session.cookies.user_id

    def __repr__(self) -> str:
        return f"StreamClient(api_base={self.api_base!r}, user_id={self.user_id!r})"

    async def get_streaming_session(
        self,
        topics: Iterable[str],
        auto_reconnect: bool = True,
        *,
        listener: ConnectionListener | None = None,
    ) -> StreamingSession:
        """Open a stream subscribed to ``topics`` and return its session.

        Returns once the first connection has sent its config event. With
        ``auto_reconnect`` (the default) a failed first attempt is retried with
        backoff, so bound this call with ``asyncio.timeout`` if you need to;
        without, the first failure is raised. AuthenticationError is raised at
        once either way. ``listener`` hears of every connection as it comes and
        goes (see :class:`~notifier.stream.session.ConnectionListener`).
        """
        if self._closed:
            raise StreamError("this StreamClient is closed; create a new one")
        session = StreamingSession(
            self._transport,
            topics,
            auto_reconnect=auto_reconnect,
            backoff=self._backoff,
            sleep=self._sleep,
            timeout=self._timeout,
            listener=listener,
        )
        self._sessions.add(session)
        await session._start()
        return session

    async def aclose(self) -> None:
        """Close every session opened by this client, then the HTTP connections."""
        self._closed = True
        for session in list(self._sessions):
            await session.aclose()
        await self._transport.aclose()

    async def __aenter__(self) -> StreamClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class _HttpConnection:
    """One open stream response."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_bytes():
                yield chunk
        except (httpx.HTTPError, httpx.StreamError) as exc:
            raise StreamError(f"the stream broke: {describe(exc)}") from exc

    async def aclose(self) -> None:
        await self._response.aclose()


class _HttpTransport:
    """The stream and update requests, with X's answers turned into exceptions."""

    def __init__(self, api_base: str, session: SessionCookies, timeout: float) -> None:
        self._api_base = api_base
        self._timeout = timeout
        self._session = session
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            # The Cookie header is built from the session at each request; no jar of httpx's own.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        )

    async def open_stream(self, topics: Sequence[str]) -> _HttpConnection:
        request = self._http.build_request(
            "GET",
            self._api_base + _EVENTS_PATH,
            params={"topic": ",".join(topics)} if topics else None,
            headers=self._session.headers(),
            # No read timeout: the session's heartbeat watchdog judges silence.
            timeout=httpx.Timeout(self._timeout, read=None),
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise StreamError(f"cannot open the stream at {self._api_base}: {describe(exc)}") from exc
        self._session.accept(response.headers.get_list("set-cookie"))
        if response.status_code != 200:
            try:
                body = await _read_some(response)
            finally:
                await response.aclose()
            raise _status_error("opening the stream", response, body)
        return _HttpConnection(response)

    async def update(
        self, session_id: str, subscribe: Sequence[str], unsubscribe: Sequence[str]
    ) -> Payload:
        try:
            response = await self._http.post(
                self._api_base + _UPDATE_PATH,
                data={"sub_topics": ",".join(subscribe), "unsub_topics": ",".join(unsubscribe)},
                headers={**self._session.headers(), "LivePipeline-Session": session_id},
            )
        except httpx.HTTPError as exc:
            raise StreamError(
                f"cannot update subscriptions at {self._api_base}: {describe(exc)}"
            ) from exc
        self._session.accept(response.headers.get_list("set-cookie"))
        body = parse_json(response.content)
        if not response.is_success or _SESSION_NOT_FOUND in _error_codes(body):
            raise _status_error(f"updating session {session_id}", response, body)
        if not response.content.strip():
            return Payload(subscriptions=SubscriptionsEvent())
        if not isinstance(body, dict):
            raise ProtocolError(
                f"X answered the subscription update with {len(response.content)} bytes "
                "that are not a JSON object"
            )
        subscriptions = parse_subscriptions(body.get("subscriptions", body))
        if subscriptions is None:
            raise ProtocolError("X answered the subscription update with an unreadable subscriptions object")
        return Payload(subscriptions=subscriptions)

    async def aclose(self) -> None:
        await self._http.aclose()


async def _read_some(response: httpx.Response) -> Any:
    data = b""
    try:
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) >= _ERROR_BODY_LIMIT:
                break
    except (httpx.HTTPError, httpx.StreamError):
        pass  # the status already says what went wrong; the body is a bonus
    return parse_json(data) if data.lstrip().startswith(b"{") else data


def _error_codes(body: Any) -> set[Any]:
    return {error.get("code") for error in x_errors(body)}


def _status_error(action: str, response: httpx.Response, body: Any) -> StreamError:
    status = response.status_code
    detail = error_detail(body, body if isinstance(body, bytes) else b"")
    if _SESSION_NOT_FOUND in _error_codes(body):
        return SessionNotFoundError(f"X no longer knows the session when {action} (error 392)")
    if status in (401, 403):
        return AuthenticationError(status, detail)
    suffix = f" ({detail})" if detail else ""
    reason = f"{status} {response.reason_phrase}".strip()
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return RateLimitedError(f"X answered {reason} when {action}: rate limited{suffix}", retry_after)
    return StreamError(f"X answered {reason} when {action}{suffix}")
