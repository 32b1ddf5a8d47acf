"""A fake X web API on 127.0.0.1, for tests: GraphQL user, timeline and post, the v1.1 DM inbox.

Like the live_pipeline fake it is a ``loopserver.LoopServer``: HTTP/1.1 over a
real socket, on asyncio streams, in a background thread, so it serves
in-process async tests and a ``notifier run`` subprocess alike. It answers with the shapes of
``x-web-api.md``: users with ``core``, timelines under
``timeline.timeline.instructions`` with a pinned entry, self-reply modules,
reposts, tombstones, ads and Bottom cursors, paged ``page_size`` entries at a
time; one post by id (``TweetResultByRestId``); the DM inbox with cursors, groups, message requests and the account's
own messages. It checks the cookies and the CSRF header as X does, answers
404 for a query id it does not know, and can rate-limit, fail, rotate ``ct0``
and retire a query id on demand. Every request is logged in :attr:`requests`.
The answers' JSON is built in ``x_web_shapes.py``.

Usage::

    with FakeXWeb() as fake:
        me = fake.own_user_id
        fake.add_post(me, text="launch", likes=10)
        client = XWebClient(Cookies.from_mapping(fake.cookies), api_base=fake.url)
        page = await client.user_tweets(me)
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from notifier.account.graphql import DEFAULT_QUERY_IDS, OPERATIONS

from .loopserver import LoopServer, Request, parse_cookies, respond
from .x_web_app import valid_transaction_id, web_app_answer
from .polling import Polling
from .x_web_shapes import DM_CURSOR_PREFIX, Conversation, Message, Post, World

__all__ = ["FakeXWeb"]

INBOX_INITIAL_STATE = "/1.1/dm/inbox_initial_state.json"
USER_UPDATES = "/1.1/dm/user_updates.json"
SETTINGS = "/1.1/account/settings.json"
_GRAPHQL = "/graphql/"
_WINDOW = 900.0  # X's rate-limit windows are 15 minutes
_ERROR_BODIES: dict[int, Any] = {
    401: {"errors": [{"code": 32, "message": "Could not authenticate you."}]},
    403: {"errors": [{"code": 353, "message": "This request requires a matching csrf cookie and header."}]},
    404: b"",  # what X answers for a query id it does not know
    429: {"errors": [{"code": 88, "message": "Rate limit exceeded."}]},
}
_INTERNAL_ERROR = {"errors": [{"code": 131, "message": "Internal error."}]}
_DRIP = "x-fake-drip"  # an internal marker between _route and _serve, never sent


async def _drip(writer: asyncio.StreamWriter, body: bytes, every: float) -> None:
    """A 200 whose body comes one byte every ``every`` seconds: each read is quick, the whole is not."""
    writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode())
    for byte in body:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(every)


@dataclass
class _Limit:
    remaining: int
    reset: float
    limit: int


@dataclass
class _Failure:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # None: X's usual error body for the status
    drip: float = 0.0  # > 0: send the body one byte every this many seconds


class FakeXWeb(LoopServer, Polling):
    """A local X web API; use as a context manager (or start()/stop())."""

    def __init__(
        self,
        *,
        auth_token: str = "fake-auth-token-value",
        ct0: str = "fake-csrf-token-value",
        own_user_id: str = "1000",
        own_screen_name: str = "me",
        page_size: int = 3,
        inbox_size: int = 20,
    ) -> None:
        super().__init__("fake-x-web")
        self.auth_token = auth_token
        self.ct0 = ct0
        self.own_user_id = own_user_id
        self.own_screen_name = own_screen_name
        self.inbox_size = inbox_size
        self._lock = threading.Lock()
        self._ids = itertools.count(1850000000000000001)
        self._rotations = itertools.count(1)
        self._query_ids = dict(DEFAULT_QUERY_IDS)
        self._world = World({own_user_id: (own_screen_name, own_screen_name.title())}, page_size)
        self._limits: dict[str, _Limit] = {}
        self._failures: defaultdict[str, deque[_Failure]] = defaultdict(deque)
        self._pending_ct0: str | None = None
        self._requests: list[dict[str, Any]] = []
        # The web app (x.com's page and scripts): "main" (2024-25), "x-web" (2026: one entry script), "none".
        self.front_end = "main"
        self._required_features: set[str] = set()
        self._transaction_ops: set[str] = set()

    # -- what tests use ------------------------------------------------------

    @property
    def cookies(self) -> dict[str, str]:
        return {"auth_token": self.auth_token, "ct0": self.ct0, "twid": f"u%3D{self.own_user_id}"}

    @property
    def page_size(self) -> int:
        """Entries per timeline page (posts, ads, tombstones; cursors not counted)."""
        return self._world.page_size

    @page_size.setter
    def page_size(self, value: int) -> None:
        with self._lock:
            self._world.page_size = value

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request: method, path, op (GraphQL operation or None), query, headers, status."""
        with self._lock:
            return [dict(r) for r in self._requests]

    def lookups(self, post_id: str | None = None) -> int:
        """How many TweetResultByRestId requests came (for ``post_id`` only, if given)."""
        return sum(
            1 for r in self.requests
            if r["op"] == "TweetResultByRestId"
            and (post_id is None or json.loads(r["query"].get("variables", "{}")).get("tweetId") == post_id)
        )

    def query_id(self, operation: str) -> str:
        """The query id the fake accepts for ``operation`` now."""
        with self._lock:
            return self._query_ids[operation]

    def add_user(self, user_id: str, screen_name: str, name: str = "") -> None:
        with self._lock:
            self._world.users[str(user_id)] = (screen_name, name or screen_name.title())

    def add_post(
        self,
        author_id: str,
        text: str = "a post",
        *,
        likes: int = 0,
        retweets: int = 0,
        replies: int = 0,
        quotes: int = 0,
        views: int = 0,
        reply_to: str | None = None,
        repost_of: str | None = None,
        pinned: bool = False,
        created_at: float | None = None,
        wrapped: bool = False,
        note: bool = False,
    ) -> str:
        """Publish a post (ids increase); returns its id.

        ``wrapped`` serves it in a visibility wrapper; ``note`` as a long post,
        whose whole text is in ``note_tweet`` only.
        """
        counts = {"likes": likes, "retweets": retweets, "replies": replies, "quotes": quotes, "views": views}
        with self._lock:
            if pinned:
                for post in self._world.posts.values():
                    if post.author_id == str(author_id):
                        post.pinned = False
            post = Post(
                self._next_id(), str(author_id), text, time.time() if created_at is None else created_at,
                counts, reply_to, repost_of, pinned, wrapped=wrapped, note=note,
            )
            self._world.posts[post.id] = post
            return post.id

    def set_counts(self, post_id: str, **counts: int) -> None:
        """Change a post's likes, retweets, replies, quotes or views."""
        with self._lock:
            post = self._world.posts[post_id]
            unknown = set(counts) - set(post.counts)
            if unknown:
                raise TypeError(f"unknown counts {sorted(unknown)}: use {sorted(post.counts)}")
            post.counts.update(counts)

    def add_tombstone(self, author_id: str | None = None) -> str:
        """Put a deleted-post tombstone in ``author_id``'s timeline (default: the own account)."""
        return self._add_special(author_id, "tombstone")

    def add_unavailable(self, author_id: str | None = None) -> str:
        """A post X will not show (protected, withheld): ``TweetUnavailable`` wherever it appears."""
        return self._add_special(author_id, "unavailable")

    def add_promoted(self, author_id: str | None = None) -> str:
        """Put an ad (a promoted post by another account) in ``author_id``'s timeline."""
        return self._add_special(author_id, "promoted")

    def add_message(
        self, conversation_id: str, sender_id: str, text: str, *, group: bool = False, trusted: bool = True
    ) -> str:
        """A DM in ``conversation_id`` (created on first use; ``trusted=False``: a request). Returns its id."""
        sender_id = str(sender_id)
        with self._lock:
            conversation = self._world.conversations.get(conversation_id)
            if conversation is None:
                members = [self.own_user_id, sender_id] if group else conversation_id.split("-")
                conversation = Conversation(conversation_id, group, trusted, list(dict.fromkeys(members)))
                self._world.conversations[conversation_id] = conversation
            if sender_id not in conversation.participants:
                conversation.participants.append(sender_id)
            self._world.users.setdefault(sender_id, (f"user{sender_id}", f"User {sender_id}"))
            message = Message(self._next_id(), conversation_id, sender_id, text, time.time())
            self._world.messages.append(message)
            return message.id

    def rate_limit(self, endpoint: str, remaining: int = 0, reset: float | None = None, limit: int = 50) -> None:
        """Limit ``endpoint`` (an operation such as ``UserTweets`` or a path) from now on.

        Answers carry ``x-rate-limit-*`` headers; once ``remaining`` is spent,
        answers are 429 until ``reset`` (epoch seconds, default 15 minutes on).
        """
        with self._lock:
            self._limits[endpoint] = _Limit(remaining, time.time() + _WINDOW if reset is None else reset, limit)

    def fail_next(
        self, endpoint: str, status: int, headers: Mapping[str, str] | None = None, times: int = 1,
        *, body: Any = None,
    ) -> None:
        """Answer the next ``times`` requests to ``endpoint`` (operation or path) with ``status``.

        ``body`` (bytes sent as they are, or JSON) replaces X's usual error body:
        a hostile answer such as 5 KB of ``[`` or an HTML page.
        """
        with self._lock:
            self._failures[endpoint].extend([_Failure(status, dict(headers or {}), body)] * times)

    def drip_next(self, endpoint: str, every: float = 5.0, times: int = 1, size: int = 64) -> None:
        """Answer the next ``times`` requests to ``endpoint`` with ``size`` bytes, one every ``every`` s."""
        with self._lock:
            self._failures[endpoint].extend([_Failure(200, {}, b"{" + b" " * (size - 1), every)] * times)

    def stale(self, operation: str) -> str:
        """Retire ``operation``'s query id, as X does: the old one now gets 404. Returns the new one."""
        with self._lock:
            new = f"Rotated{next(self._rotations)}{self._query_ids[operation][:12]}"
            self._query_ids[operation] = new
            return new

    def require_feature(self, name: str) -> None:
        """From now on GraphQL answers 400 "features cannot be null" unless ``features`` holds ``name``."""
        with self._lock:
            self._required_features.add(name)

    def demand_transaction(self, operation: str) -> None:
        """From now on ``operation`` answers 404 (empty) without a valid ``x-client-transaction-id``, as X does."""
        with self._lock:
            self._transaction_ops.add(operation)

    def page_requests(self) -> list[dict[str, Any]]:
        """The requests for the web app's page and scripts (not the API)."""
        return [r for r in self.requests if r["path"] == "/home" or r["path"].endswith(".js")]

    def rotate_ct0(self, new: str | None = None) -> str:
        """Send a new ``ct0`` with the next answer; from then on only the new one is accepted."""
        with self._lock:
            self._pending_ct0 = new or f"rotated-csrf-{next(self._rotations)}-value"
            return self._pending_ct0

    # -- internals -----------------------------------------------------------

    def _next_id(self) -> str:
        return str(next(self._ids))

    def _add_special(self, author_id: str | None, kind: str) -> str:
        with self._lock:
            post = Post(self._next_id(), str(author_id or self.own_user_id), "", time.time(), {}, kind=kind)
            self._world.posts[post.id] = post
            return post.id

    async def _serve(self, request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        with self._lock:
            status, body, extra = self._answer(request.method, request.target, request.headers)
        drip = float(extra.pop(_DRIP, 0.0))
        if drip > 0:
            await _drip(writer, body, drip)
            return False
        respond(writer, status, body, extra)
        await writer.drain()
        return True

    def _answer(self, method: str, target: str, headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        url = urlsplit(target)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        operation = url.path.rsplit("/", 1)[-1] if url.path.startswith(_GRAPHQL) else None
        record: dict[str, Any] = {"method": method, "path": url.path, "op": operation, "query": query, "headers": headers}
        self._requests.append(record)
        status, body, extra = self._route(method, url.path, operation, query, headers)
        if status == 200 and self._pending_ct0 is not None:
            self.ct0, self._pending_ct0 = self._pending_ct0, None
            extra["Set-Cookie"] = f"ct0={self.ct0}; Max-Age=21600; Path=/; Domain=.x.com; Secure; SameSite=Lax"
        record["status"] = status
        return status, body, extra

    def _route(
        self, method: str, path: str, operation: str | None, query: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        page = web_app_answer(self, path, headers)
        if page is not None:
            return page
        refusal = self._refusal(headers)
        if refusal is not None:
            return refusal, _ERROR_BODIES[refusal], {}
        endpoint = operation or path
        failures = self._failures.get(endpoint)
        if failures:
            failure = failures.popleft()
            body = failure.body if failure.body is not None else _ERROR_BODIES.get(failure.status, _INTERNAL_ERROR)
            extra = {**failure.headers, _DRIP: str(failure.drip)} if failure.drip else dict(failure.headers)
            return failure.status, body, extra
        limited = self._spend(endpoint)
        if limited is not None and limited[0] == 429:
            return limited
        extra = limited[2] if limited is not None else {}
        if method != "GET":
            return 404, {"errors": [{"code": 34, "message": "Sorry, that page does not exist."}]}, extra
        if operation in self._transaction_ops and not valid_transaction_id(headers.get("x-client-transaction-id", "")):
            status, body = 404, b""
        elif operation is not None:
            status, body = self._graphql(path, operation, query)
        elif path == SETTINGS:
            status, body = 200, {"screen_name": self.own_screen_name, "language": "en", "protected": False}
        elif path == INBOX_INITIAL_STATE:
            recent = self._world.messages[-self.inbox_size :]
            status, body = 200, {"inbox_initial_state": self._world.inbox(recent, initial=True)}
        elif path == USER_UPDATES:
            status, body = self._user_updates(query.get("cursor", ""))
        else:
            status, body = 404, {"errors": [{"code": 34, "message": "Sorry, that page does not exist."}]}
        return status, body, extra

    def _refusal(self, headers: Mapping[str, str]) -> int | None:
        cookies = parse_cookies(headers.get("cookie", ""))
        if cookies.get("auth_token") != self.auth_token or not headers.get("authorization", "").startswith("Bearer "):
            return 401
        if cookies.get("ct0") != self.ct0 or headers.get("x-csrf-token") != self.ct0:
            return 403
        return None

    def _spend(self, endpoint: str) -> tuple[int, Any, dict[str, str]] | None:
        limit = self._limits.get(endpoint)
        if limit is None:
            return None
        now = time.time()
        if limit.reset <= now:
            limit.remaining, limit.reset = limit.limit, now + _WINDOW
        if limit.remaining <= 0:
            status = 429
        else:
            limit.remaining -= 1
            status = 200
        headers = {
            "x-rate-limit-limit": str(limit.limit),
            "x-rate-limit-remaining": str(limit.remaining),
            "x-rate-limit-reset": str(int(limit.reset)),
        }
        return status, _ERROR_BODIES[429] if status == 429 else None, headers

    # -- GraphQL ------------------------------------------------------------

    def _graphql(self, path: str, operation: str, query: dict[str, str]) -> tuple[int, Any]:
        parts = path[len(_GRAPHQL) :].split("/")
        if len(parts) != 2 or operation not in OPERATIONS or parts[0] != self._query_ids[operation]:
            return 404, b""
        try:
            variables = json.loads(query["variables"])
            features = json.loads(query["features"])
        except (KeyError, ValueError):
            variables = features = None
        if not isinstance(features, dict) or not isinstance(variables, dict):
            message = "The following features cannot be null: responsive_web_graphql_timeline_navigation_enabled"
            return 400, {"errors": [{"code": 336, "message": message}]}
        missing = sorted(name for name in self._required_features if features.get(name) is None)
        if missing:
            message = f"The following features cannot be null: {', '.join(missing)}"
            return 400, {"errors": [{"code": 336, "message": message}]}
        if operation == "UserByScreenName":
            return 200, self._world.user_answer(str(variables.get("screen_name", "")))
        if operation == "Viewer":
            user = self._world.user_answer(self.own_screen_name)["data"]["user"]["result"]
            return 200, {"data": {"viewer": {"user_results": {"result": user}}}}
        if operation == "TweetResultByRestId":
            return 200, self._world.tweet_answer(str(variables.get("tweetId", "")))
        return 200, self._world.timeline_answer(
            str(variables.get("userId", "")), variables.get("cursor"), operation == "UserTweetsAndReplies"
        )

    # -- DM inbox -----------------------------------------------------------

    def _user_updates(self, cursor: str) -> tuple[int, Any]:
        seen = cursor[len(DM_CURSOR_PREFIX) :] if cursor.startswith(DM_CURSOR_PREFIX) else ""
        if not seen.isdigit():
            return 400, {"errors": [{"code": 214, "message": "cursor is not valid."}]}
        new = self._world.messages[int(seen) :]
        if not new:
            return 200, {}  # X leaves user_events out when nothing happened
        return 200, {"user_events": self._world.inbox(new, initial=False)}
