"""XWebClient: the few calls of X's web API that following an account needs.

It asks as the web app does, with the session cookies: GraphQL
``UserByScreenName`` and ``UserTweets`` for posts, ``TweetResultByRestId``
for one post's words, the v1.1 DM inbox for messages, ``account/settings`` for who is signed in. httpx errors and X's
error answers are translated here, at the boundary, so callers only see
:mod:`notifier.exceptions`. X's rate-limit headers are remembered per
endpoint, and a call whose allowance is used up fails at once instead of
asking X again before the reset.

It heals itself when X changes: :mod:`.healing` keeps what it learned of X's
web app and tries the remedies when X rejects a query.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

from ..exceptions import (
    AuthenticationError,
    QueryRejectedError,
    RateLimitedError,
    UnreadableAnswerError,
    WebAPIError,
)
from ..stream.auth import Cookies, SessionCookies
from ..stream.bounds import MAX_ANSWER, MAX_DEPTH
from ..stream.http import check_api_base, describe, error_detail, parse_json, unreadable_kind, x_errors
from . import graphql
from .healing import Healer, finite_number
from .inbox import InboxPage, parse_inbox
from .jsonvalues import snowflake
from .timeline import (
    LookedUp,
    TimelinePage,
    User,
    parse_timeline,
    parse_tweet_result,
    parse_user,
)
from .webapp import ENV_WEB_BASE, web_base

__all__ = ["DEFAULT_WEB_API_BASE", "XWebClient"]

log = logging.getLogger(__name__)

DEFAULT_WEB_API_BASE = "https://x.com/i/api"
_ENV_WEB_API_BASE = "NOTIFIER_WEB_API_BASE"
_INBOX_INITIAL_STATE = "/1.1/dm/inbox_initial_state.json"
_USER_UPDATES = "/1.1/dm/user_updates.json"
_SETTINGS = "/1.1/account/settings.json"
# X's windows are 15 minutes; when it does not say when a limit resets, a
# minute is long enough not to hammer it and short enough not to miss much.
_DEFAULT_RATE_LIMIT_WAIT = 60.0
# X's windows are 15 minutes: a reset named further off than an hour is not one
# (a clock gone wrong, or a hostile answer) and must not silence watching for good.
MAX_RATE_LIMIT_WAIT = 3600.0
# 32: could not authenticate; 353: the CSRF header does not match ct0.
_AUTH_ERROR_CODES = frozenset({32, 353})
_TIMELINE_PAGE_SIZE = 40
# The web app's inbox flags; filter_low_quality=false keeps the low-quality
# message requests, which the web app hides behind a click but which are messages.
_INBOX_PARAMS = {
    "nsfw_filtering_enabled": "false",
    "filter_low_quality": "false",
    "include_quality": "all",
    "include_profile_interstitial_type": "1",
    "include_blocking": "1",
    "include_blocked_by": "1",
    "include_followed_by": "1",
    "include_want_retweets": "1",
    "include_mute_edge": "1",
    "include_can_dm": "1",
    "include_can_media_tag": "1",
    "include_ext_is_blue_verified": "1",
    "include_ext_verified_type": "1",
    "skip_status": "1",
    "dm_secret_conversations_enabled": "false",
    "krs_registration_enabled": "false",
    "cards_platform": "Web-12",
    "include_cards": "1",
    "include_ext_alt_text": "true",
    "include_quote_count": "true",
    "include_reply_count": "1",
    "tweet_mode": "extended",
    "include_ext_collab_control": "true",
    "dm_users": "true",
    "include_groups": "true",
    "include_inbox_timelines": "true",
    "supports_reactions": "true",
    "supports_edit": "true",
    "include_conversation_info": "true",
}


@dataclass(frozen=True, slots=True)
class _Allowance:
    """What X last said about one endpoint's rate limit; ``reset`` in epoch seconds."""

    remaining: int
    reset: float


class XWebClient:
    """Calls X's web API for one signed-in account.

    ``api_base`` defaults to ``$NOTIFIER_WEB_API_BASE``, else
    ``https://x.com/i/api``. ``query_ids`` replaces GraphQL query ids by
    operation (see :mod:`notifier.account.graphql`). ``timeout`` is the
    whole time one request may take, connecting to the last byte (httpx's own
    timeouts are per read: an answer dripping a byte every few seconds would
    never end); an answer is read up to :data:`~notifier.stream.bounds.MAX_ANSWER`
    bytes. ``on_unreadable`` hears the kind of each answer that could not be
    read (for metrics); each kind is logged once. ``clock`` (epoch seconds) is
    what rate-limit resets are compared with. When X rotates the ``ct0`` cookie
    the new value is used from the next request on; :attr:`cookies` holds the
    current set.
    """

    def __init__(
        self,
        cookies: Cookies | SessionCookies,
        *,
        api_base: str | None = None,
        query_ids: Mapping[str, str] | None = None,
        timeout: float = 20.0,
        clock: Callable[[], float] = time.time,
        on_unreadable: Callable[[str], None] = lambda kind: None,
        web_base_url: str | None = None,
        learned: Mapping[str, Any] | None = None,
        save_learned: Callable[[dict[str, Any]], None] = lambda entry: None,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        # Shared with the stream in a run: a ct0 X rotates here is the stream's too.
        self._session = cookies if isinstance(cookies, SessionCookies) else SessionCookies(cookies)
        base = api_base if api_base is not None else os.environ.get(_ENV_WEB_API_BASE) or DEFAULT_WEB_API_BASE
        self.api_base = check_api_base(base, DEFAULT_WEB_API_BASE)
        self.web_base = web_base(web_base_url or os.environ.get(ENV_WEB_BASE), self.api_base)
        overrides = {op: qid for op, qid in graphql.query_ids(query_ids).items() if op in (query_ids or {})}
        self._clock = clock
        self._allowances: dict[str, _Allowance] = {}
        self._timeout = timeout
        self._on_unreadable = on_unreadable
        self._unreadable_logged: set[str] = set()
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            # The Cookie header is built from the session; httpx must not keep a jar of its own.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        )
        self._healer = Healer(
            self._http, self._session, api_base=self.api_base, web_base=self.web_base, overrides=overrides,
            learned=learned, save_learned=save_learned, timeout=timeout, clock=clock,
        )

    @property
    def cookies(self) -> Cookies:
        """The session cookies in use, with ``ct0`` as X last set it."""
        return self._session.cookies

    @property
    def query_ids(self) -> Mapping[str, str]:
        """The GraphQL query id used for each operation."""
        return dict(self._healer.query_ids)

    def learned(self) -> dict[str, Any]:
        """What the client learned of X's web app, for the state file (see ``learned``)."""
        return self._healer.learned()

    def __repr__(self) -> str:
        return f"XWebClient(api_base={self.api_base!r}, user_id={self._session.cookies.user_id!r})"

    async def user_by_screen_name(self, handle: str) -> User:
        """The account behind ``@handle``; WebAPIError if X knows none."""
        screen_name = handle.strip().removeprefix("@")
        if not screen_name:
            raise ValueError("a handle is needed, such as @brand")
        variables = {"screen_name": screen_name, "withSafetyModeUserFields": True}
        body = await self._graphql("UserByScreenName", variables)
        user = parse_user(body)
        if user is None:
            raise WebAPIError(f"X knows no account @{screen_name} (or it is suspended or unreadable)")
        return user

    async def viewer(self) -> User:
        """The signed-in account, as the web app asks (GraphQL ``Viewer``); WebAPIError if X does not say."""
        user = parse_user(await self._graphql("Viewer", {"withCommunitiesMemberships": False}))
        if user is None:
            raise WebAPIError("X's answer to Viewer did not say which account is signed in")
        return user

    async def user_tweets(self, user_id: str, *, cursor: str | None = None, replies: bool = False) -> TimelinePage:
        """One page of the account's timeline, newest first; pass the page's cursor for the next.

        ``replies=True`` asks ``UserTweetsAndReplies``, whose pages also hold
        the posts replied to (filter on ``Post.author_id``).
        """
        if snowflake(user_id) is None:
            raise ValueError(f"a user id is digits only, not {user_id!r}")
        variables: dict[str, Any] = {
            "userId": user_id,
            "count": _TIMELINE_PAGE_SIZE,
            "includePromotedContent": False,
            ("withCommunity" if replies else "withQuickPromoteEligibilityTweetFields"): True,
            "withVoice": True,
            "withV2Timeline": True,
        }
        if cursor is not None:
            variables["cursor"] = cursor
        body = await self._graphql("UserTweetsAndReplies" if replies else "UserTweets", variables)
        return parse_timeline(body)

    async def tweet_result(self, post_id: str) -> LookedUp:
        """One post by its id, or that X will not show it; WebAPIError for an answer not understood."""
        if snowflake(post_id) is None:
            raise ValueError(f"a post id is digits only, not {post_id!r}")
        variables = {"tweetId": post_id, "withCommunity": False, "includePromotedContent": False, "withVoice": False}
        looked_up = parse_tweet_result(await self._graphql("TweetResultByRestId", variables))
        if looked_up is None:
            raise WebAPIError(f"X's answer about post {post_id} (TweetResultByRestId) is not one notifier can read")
        return looked_up

    async def inbox_initial_state(self) -> InboxPage:
        """The recent messages of the inbox and the cursor to ask :meth:`user_updates` with."""
        return parse_inbox(await self._get(_INBOX_INITIAL_STATE, _INBOX_PARAMS))

    async def user_updates(self, cursor: str) -> InboxPage:
        """What happened in the inbox after ``cursor``.

        When nothing did, X leaves the page out; the answer is then an empty
        page that keeps ``cursor``, so the caller can always store the cursor
        it gets back.
        """
        page = parse_inbox(
            await self._get(_USER_UPDATES, {**_INBOX_PARAMS, "cursor": cursor}, {"x-twitter-polling": "true"})
        )
        return page if page.cursor is not None else replace(page, cursor=cursor)

    async def settings(self) -> str:
        """The @handle (without the @) of the signed-in account."""
        body = await self._get(_SETTINGS, {})
        screen_name = body.get("screen_name") if isinstance(body, dict) else None
        if not isinstance(screen_name, str) or not screen_name:
            raise WebAPIError("X's account settings did not say which account is signed in")
        return screen_name

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    async def __aenter__(self) -> XWebClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- internals -----------------------------------------------------------

    async def _graphql(self, operation: str, variables: Mapping[str, Any]) -> Any:
        healer = self._healer
        await healer.refresh_old_ids()
        done: set[str] = set()
        tried: list[str] = []
        while True:
            query_id = healer.query_ids[operation]
            path = f"/graphql/{query_id}/{operation}"
            headers = await healer.transaction_headers(operation, path)
            try:
                return await self._get(
                    path, graphql.request_params(variables, healer.features), headers, operation=operation
                )
            except QueryRejectedError as exc:
                if not await healer.recover(operation, exc, done, tried):
                    raise exc.with_tried(tuple(tried)) from None

    async def _get(
        self,
        path: str,
        params: Mapping[str, str],
        headers: Mapping[str, str] | None = None,
        *,
        operation: str | None = None,
    ) -> Any:
        """GET ``path`` and return its JSON body; rate limits and errors become exceptions."""
        endpoint = operation or path
        now = self._clock()
        allowance = self._allowances.get(endpoint)
        if allowance is not None and allowance.remaining <= 0 and allowance.reset > now:
            raise RateLimitedError(
                f"X's rate limit for {endpoint} is used up: not asking again for "
                f"{allowance.reset - now:.0f} s, until it resets",
                allowance.reset - now,
            )
        url = self.api_base + path
        try:
            async with asyncio.timeout(self._timeout):
                response, content = await self._fetch(url, params, {**self._session.headers(), **(headers or {})})
        except (TimeoutError, httpx.TimeoutException):
            raise self._unreadable(
                endpoint, "timeout", f"X's web API did not answer {endpoint} within {self._timeout:.0f} s"
            ) from None
        except httpx.HTTPError as exc:
            raise WebAPIError(f"cannot reach X's web API at {self.api_base} for {endpoint}: {describe(exc)}") from exc
        log.debug("GET %s: %s", endpoint, response.status_code)
        self._session.accept(response.headers.get_list("set-cookie"))
        if content is None:
            raise self._unreadable(endpoint, "too_large", f"X's answer to {endpoint} is over {MAX_ANSWER} bytes")
        body = parse_json(content)
        self._remember_allowance(endpoint, response, now)
        error = self._error(endpoint, operation, response, body, now, content)
        if error is not None:
            raise error
        if body is None:
            kind = unreadable_kind(content)
            raise self._unreadable(endpoint, kind, f"X answered {endpoint} with {len(content)} bytes that are {_KINDS[kind]}")
        return body

    async def _fetch(
        self, url: str, params: Mapping[str, str], headers: Mapping[str, str]
    ) -> tuple[httpx.Response, bytes | None]:
        """The response and its body; None for a body over MAX_ANSWER (not read further)."""
        async with self._http.stream("GET", url, params=params, headers=headers) as response:
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_ANSWER:
                    return response, None
                chunks.append(chunk)
            return response, b"".join(chunks)

    def _unreadable(self, endpoint: str, kind: str, message: str) -> UnreadableAnswerError:
        """The error for an answer that could not be read; counted every time, logged once per kind."""
        self._on_unreadable(kind)
        if kind not in self._unreadable_logged:
            self._unreadable_logged.add(kind)
            log.warning("%s; notifier retries with backoff (each kind of unreadable answer is logged once)", message,
                        extra={"event": "account_unreadable", "endpoint": endpoint, "kind": kind})
        return UnreadableAnswerError(message, kind)

    def _error(
        self, endpoint: str, operation: str | None, response: httpx.Response, body: Any, now: float, content: bytes
    ) -> Exception | None:
        status = response.status_code
        if status == 200:
            return None
        codes = {error.get("code") for error in x_errors(body)}
        detail = error_detail(body, content)
        if status == 401 or (status == 403 and codes & _AUTH_ERROR_CODES):
            return AuthenticationError(status, detail)
        suffix = f" ({detail})" if detail else ""
        if status == 429:
            wait = self._allowances[endpoint].reset - now
            return RateLimitedError(
                f"X answered 429 to {endpoint}: rate limited for {wait:.0f} s{suffix}", wait
            )
        if operation is not None and status in (400, 404):
            features = graphql.missing_features(detail) if status == 400 else ()
            return QueryRejectedError(operation, self._healer.query_ids[operation], status, detail, features=features)
        reason = f"{status} {response.reason_phrase}".strip()
        if body is None and content.strip():
            kind = unreadable_kind(content)
            return self._unreadable(endpoint, kind, f"X answered {reason} to {endpoint} with {_KINDS[kind]}")
        return WebAPIError(f"X answered {reason} to {endpoint}{suffix}")

    def _remember_allowance(self, endpoint: str, response: httpx.Response, now: float) -> None:
        reset = min(_reset(response), now + MAX_RATE_LIMIT_WAIT)
        if response.status_code == 429:
            # Wait for the reset X names; without one (or one already past), a minute.
            self._allowances[endpoint] = _Allowance(0, reset if reset > now else now + _DEFAULT_RATE_LIMIT_WAIT)
            return
        remaining = finite_number(response.headers.get("x-rate-limit-remaining"))
        if remaining is not None and reset > 0:
            self._allowances[endpoint] = _Allowance(int(remaining), reset)


_KINDS = {
    "too_deep": f"JSON nested deeper than any answer of X's ({MAX_DEPTH} levels)",
    "html": "an HTML page, not JSON",
    "not_json": "not JSON (cut short, or not X's)",
    "too_large": "too large",
}



def _reset(response: httpx.Response) -> float:
    """``x-rate-limit-reset`` (epoch seconds), 0 when absent or unreadable."""
    return finite_number(response.headers.get("x-rate-limit-reset")) or 0.0
