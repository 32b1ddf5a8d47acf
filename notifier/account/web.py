"""XWebClient: the few calls of X's web API that following an account needs.

It asks as the web app does, with the session cookies: GraphQL
``UserByScreenName`` and ``UserTweets`` for posts, ``TweetResultByRestId``
for one post's words, the v1.1 DM inbox for messages, ``account/settings`` for who is signed in. httpx errors and X's
error answers are translated here, at the boundary, so callers only see
:mod:`notifier.exceptions`. X's rate-limit headers are remembered per
endpoint, and a call whose allowance is used up fails at once instead of
asking X again before the reset.

It heals itself when X changes (``docs/account.md`` says what the user sees):

* a GraphQL query answered with the stale-id 404 makes it read the current
  ids from the logged-in web app (:mod:`.webapp`) and ask once more with the
  new one; so does the first query of a run whose ids are older than a week.
  ``account.graphql`` in the rule file wins over anything found;
* a 400 naming feature flags that "cannot be null" adds them and asks once more;
* where X still answers 404 to a current id, it asks once more with the
  ``x-client-transaction-id`` header (:mod:`.transaction`) and remembers that
  the operation needs it.

What it learned (ids and when they were found, flags, operations needing the
header) is handed to ``save_learned`` for the state file and given back as
``learned`` at the next start.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import TYPE_CHECKING, Any

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
from .webapp import ENV_WEB_BASE, WebApp, read_web_app, web_base

if TYPE_CHECKING:
    from .transaction import TransactionIds
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

__all__ = ["DEFAULT_WEB_API_BASE", "IDS_MAX_AGE", "XWebClient"]

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
# Ids found longer ago than this are read again from the web app at the first query of a run.
IDS_MAX_AGE = 7 * 86400.0
# The web app is read at most this often (a 404 that persists must not fetch x.com every poll).
_READ_WEB_APP_EVERY = 600.0
# When the built-in ids were current (twscrape 0.20.1): their age, before anything was found.
_BUILT_IN_IDS_FOUND_AT = 1786060800.0  # 2026-08-07
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
        self._overrides = {op: qid for op, qid in graphql.query_ids(query_ids).items() if op in (query_ids or {})}
        self._found, self._found_at, self._features, self._needs_transaction = _read_learned(learned)
        self._save_learned = save_learned
        self._query_ids = self._effective_ids()
        self._age_checked = False
        self._web_app: WebApp | None = None
        self._web_app_read_at: float | None = None
        self._web_app_error = ""
        # (operation, id) pairs whose 404 already made the client read the web app.
        self._read_for: set[tuple[str, str]] = set()
        self._transaction: TransactionIds | None = None
        self._transaction_error = ""
        self._transaction_tried_for: WebApp | None = None
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

    @property
    def cookies(self) -> Cookies:
        """The session cookies in use, with ``ct0`` as X last set it."""
        return self._session.cookies

    @property
    def query_ids(self) -> Mapping[str, str]:
        """The GraphQL query id used for each operation."""
        return dict(self._query_ids)

    def learned(self) -> dict[str, Any]:
        """What the client learned of X's web app, for the state file (see ``learned``)."""
        return {
            "found_at": self._found_at,
            "query_ids": dict(self._found),
            "features": dict(self._features),
            "transaction": sorted(self._needs_transaction),
        }

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
        await self._refresh_old_ids()
        done: set[str] = set()
        tried: list[str] = []
        while True:
            query_id = self._query_ids[operation]
            path = f"/graphql/{query_id}/{operation}"
            headers = await self._transaction_headers(operation, path)
            try:
                return await self._get(
                    path, graphql.request_params(variables, self._features), headers, operation=operation
                )
            except QueryRejectedError as exc:
                if not await self._recover(operation, exc, done, tried):
                    raise exc.with_tried(tuple(tried)) from None

    async def _recover(self, operation: str, exc: QueryRejectedError, done: set[str], tried: list[str]) -> bool:
        """Whether to ask again after ``exc``: each remedy is tried once per call, in this order."""
        if exc.status_code == 400 and exc.features and "features" not in done:
            done.add("features")
            new = [name for name in exc.features if name not in self._features and name not in graphql.FEATURES]
            if not new:
                return False
            # X only asks that they be set; false keeps the answer's layout as notifier knows it.
            self._features.update(dict.fromkeys(new, False))
            self._save()
            log.warning("X wants the feature flags %s for %s: sending them from now on", ", ".join(new), operation,
                        extra={"event": "graphql_features_learned", "operation": operation})
            tried.append(f"added the feature flags X named ({', '.join(new)})")
            return True
        if exc.status_code != 404:
            return False
        if "ids" not in done:
            done.add("ids")
            if operation in self._overrides:
                tried.append(f"kept the id account.graphql.{operation} of the rule file, which wins over x.com's web app")
            else:
                found = await self._read_web_app(f"{operation} answered 404", (operation, exc.query_id))
                new_id = found.get(operation) if found is not None else None
                if new_id is not None and new_id != exc.query_id:
                    tried.append(f"read the current id {new_id} from x.com's web app")
                    return True
                if found is None:
                    tried.append(f"could not read x.com's web app at {self.web_base} ({self._web_app_error})")
                elif new_id is None:
                    tried.append(f"x.com's web app at {self.web_base} names no id for {operation}")
                else:
                    tried.append(f"x.com's web app names the same id {new_id}")
        if "transaction" not in done:
            done.add("transaction")
            if operation in self._needs_transaction:
                return False
            why = await self._transaction_unavailable()
            if why is not None:
                tried.append(f"could not compute the x-client-transaction-id header X may want ({why})")
                return False
            self._needs_transaction.add(operation)
            self._save()
            log.warning("X answers 404 to %s with a current id: asking with the x-client-transaction-id header",
                        operation, extra={"event": "transaction_id_needed", "operation": operation})
            tried.append("asked again with the x-client-transaction-id header")
            done.add("transaction-added")
            return True
        if "transaction-added" in done:
            self._needs_transaction.discard(operation)  # the header did not help: do not send it from now on
            self._save()
        return False

    async def _refresh_old_ids(self) -> None:
        """At the first query of a run: read the web app again when the ids in use are over a week old."""
        if self._age_checked:
            return
        self._age_checked = True
        found_at = self._found_at if self._found_at is not None else _BUILT_IN_IDS_FOUND_AT
        age = self._clock() - found_at
        if age > IDS_MAX_AGE:
            await self._read_web_app(f"the query ids in use are {age / 86400:.0f} days old")

    async def _read_web_app(self, why: str, trigger: tuple[str, str] | None = None) -> Mapping[str, str] | None:
        """The query ids x.com's web app uses now; None if unreadable.

        The first 404 of each (operation, id) reads at once (X rotated since the
        last read); otherwise the app is read at most every _READ_WEB_APP_EVERY,
        so a 404 nothing cures does not fetch x.com's page at every poll.
        """
        now = self._clock()
        fresh = trigger is not None and trigger not in self._read_for
        if fresh:
            self._read_for.add(trigger)  # type: ignore[arg-type]
        recent = self._web_app_read_at is not None and now - self._web_app_read_at < _READ_WEB_APP_EVERY
        if recent and not fresh:
            return self._web_app.query_ids if self._web_app is not None else None
        self._web_app_read_at = now
        try:
            app = await read_web_app(
                self._http, self.web_base, self._session.cookies, wanted=graphql.OPERATIONS, timeout=self._timeout
            )
        except WebAPIError as exc:
            self._web_app_error = str(exc)
            log.warning("cannot read the current query ids from x.com's web app (%s): %s", why, exc,
                        extra={"event": "graphql_ids_unreadable"})
            return None
        self._web_app = app
        self._transaction = None  # computed again from this reading when needed
        known = {op: qid for op, qid in app.query_ids.items() if op in graphql.OPERATIONS}
        changed = sorted(op for op, qid in known.items() if self._found.get(op, graphql.DEFAULT_QUERY_IDS[op]) != qid)
        self._found.update(known)
        self._found_at = now
        self._query_ids = self._effective_ids()
        self._save()
        log.info(
            "read the current query ids from x.com's web app (%s): %s", why,
            f"new ids for {', '.join(changed)}" if changed else "no change",
            extra={"event": "graphql_ids_read", "changed": changed},
        )
        stale = sorted(op for op in self._overrides if op in known and known[op] != self._overrides[op])
        for op in stale:
            log.warning("account.graphql.%s in the rule file (%s) is not the id x.com's web app uses now (%s); "
                        "the rule file wins: update or remove it", op, self._overrides[op], known[op],
                        extra={"event": "graphql_override_differs", "operation": op})
        return known

    async def _transaction_headers(self, operation: str, path: str) -> dict[str, str] | None:
        """``x-client-transaction-id`` for operations known to need it; None otherwise."""
        if operation not in self._needs_transaction or await self._transaction_unavailable() is not None:
            return None
        assert self._transaction is not None
        value = self._transaction.make("GET", httpx.URL(self.api_base + path).path)
        return {"x-client-transaction-id": value} if value else None

    async def _transaction_unavailable(self) -> str | None:
        """Why the x-client-transaction-id header cannot be computed; None when it can."""
        if self._transaction is not None:
            return None
        if self._web_app is None and await self._read_web_app("to compute x-client-transaction-id") is None:
            return self._web_app_error or "x.com's web app could not be read"
        if self._web_app is None:
            return "x.com's web app could not be read"
        if self._transaction_error and self._transaction_tried_for is self._web_app:
            return self._transaction_error
        self._transaction_tried_for = self._web_app
        from .transaction import TransactionIds  # noqa: PLC0415 - its third-party parts load only when needed

        try:
            self._transaction = await TransactionIds.from_web_app(self._web_app, self._http, self._timeout)
        except WebAPIError as exc:
            self._transaction_error = str(exc)
            log.warning("cannot compute the x-client-transaction-id header: %s", exc,
                        extra={"event": "transaction_id_unavailable"})
            return self._transaction_error
        self._transaction_error = ""
        return None

    def _effective_ids(self) -> dict[str, str]:
        return {**graphql.DEFAULT_QUERY_IDS, **self._found, **self._overrides}

    def _save(self) -> None:
        self._save_learned(self.learned())

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
            return QueryRejectedError(operation, self._query_ids[operation], status, detail, features=features)
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
        remaining = _number(response.headers.get("x-rate-limit-remaining"))
        if remaining is not None and reset > 0:
            self._allowances[endpoint] = _Allowance(int(remaining), reset)


_KINDS = {
    "too_deep": f"JSON nested deeper than any answer of X's ({MAX_DEPTH} levels)",
    "html": "an HTML page, not JSON",
    "not_json": "not JSON (cut short, or not X's)",
    "too_large": "too large",
}


def _read_learned(entry: Mapping[str, Any] | None) -> tuple[dict[str, str], float | None, dict[str, bool], set[str]]:
    """What :meth:`XWebClient.learned` saved; anything unreadable is left out (and learned again)."""
    if not isinstance(entry, Mapping):
        return {}, None, {}, set()
    ids: dict[str, str] = {}
    raw_ids = entry.get("query_ids")
    for operation, query_id in (raw_ids.items() if isinstance(raw_ids, Mapping) else ()):
        try:
            ids.update({operation: graphql.query_ids({operation: query_id})[operation]})
        except ValueError:
            continue
    found_at = _number(str(entry.get("found_at"))) if entry.get("found_at") is not None else None
    raw_features = entry.get("features")
    features = {
        name: value for name, value in (raw_features.items() if isinstance(raw_features, Mapping) else ())
        if isinstance(name, str) and isinstance(value, bool)
    }
    raw_ops = entry.get("transaction")
    needs = {op for op in (raw_ops if isinstance(raw_ops, list) else ()) if op in graphql.OPERATIONS}
    return ids, found_at, features, needs


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def _reset(response: httpx.Response) -> float:
    """``x-rate-limit-reset`` (epoch seconds), 0 when absent or unreadable."""
    return _number(response.headers.get("x-rate-limit-reset")) or 0.0
