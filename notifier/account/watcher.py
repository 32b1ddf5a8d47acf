"""Following accounts by polling: their new posts, and every conversation of the inbox.

The :class:`AccountWatcher` asks X, once per poll interval and endpoint, for
the newest posts of each followed account and for what changed in the DM
inbox, and hands what it found to an :class:`AccountSink` (the daemon's
pipeline, or ``notifier record``'s file):

* **Posts.** At start an account's timeline is read back to the edge of the
  window (at most ten pages); after that each poll reads the newest page. Reposts
  of others' posts and posts by other accounts (the parents of replies) are
  never kept; the rest is kept while it is inside the largest window and
  among the newest ``max_posts`` any rule asks for. Every poll hands the
  whole list on, with the counts it read.
* **Messages.** The first start ever reads the inbox's initial state: what is
  there was sent before notifier was running and never alerts. From then on
  ``user_updates`` with the saved cursor gives what is new; each message from
  someone else is handed on once, then remembered (the cursor and the ids
  survive restarts through :class:`InboxMemory`). The stream's ``dm_update``
  is only a doorbell (:meth:`AccountWatcher.ring`): the inbox is the truth.

X's limits are respected: an endpoint that answered 429, or whose allowance
is spent, waits until its reset (an hour at most: the client caps it). A
GraphQL query X rejects (its id rotated) is logged once, with the setting that
fixes it, and polling goes on for the rest; the posts already known stay
watched. An answer that fails (a 5xx, a timeout, an unreadable answer) is
asked again after the project's one backoff (:mod:`notifier.backoff`), never
later than the poll interval's growth allows. Rate-limited, rejected or failing,
an endpoint counts as failing from the first such answer until one succeeds:
:meth:`AccountWatcher.failing` feeds the daemon's health, which alerts once it
lasts past the health threshold.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..backoff import backoff_delay
from ..exceptions import QueryRejectedError, RateLimitedError, WebAPIError
from .identity import who_am_i
from .inbox import DirectMessage, InboxPage, Sender
from .timeline import Post, TimelinePage, User

if TYPE_CHECKING:
    from ..stream.auth import Cookies

__all__ = ["AccountSink", "AccountWatcher", "Followed", "InboxMemory", "WatchPlan"]

log = logging.getLogger(__name__)

# How many announced message ids are remembered; far more than a poll brings.
_SEEN = 5000
# At most this many timeline pages are read to cover an account's window at start.
_START_PAGES = 10
# After a failed answer: the first retry at most this soon, then doubling up to X's 15-minute window.
_RETRY_FIRST = 15.0
_RETRY_MAX = 900.0


@dataclass(frozen=True, slots=True)
class Followed:
    """One followed account as the watcher polls it: the widest window, the most posts, replies if any rule wants them."""

    account: str  # "me" or "@handle"
    within: float
    max_posts: int
    replies: bool


@dataclass(frozen=True, slots=True)
class WatchPlan:
    """What to poll, and how often."""

    follows: tuple[Followed, ...] = ()
    dms: bool = False
    requests: bool = True
    poll: float = 120.0

    @property
    def active(self) -> bool:
        return bool(self.follows) or self.dms


class AccountSink(Protocol):
    """Who hears what polling found; each call returns once it is safely handled."""

    def posts_found(self, account: str, posts: Sequence[Post]) -> None:
        """The posts of ``account`` that are watched now, newest first, with their counts."""
        ...

    def message(self, message: DirectMessage, sender: Sender | None, *, request: bool = False) -> None:
        """A new message from someone else (never one sent before notifier first started).

        ``request``: its conversation is a message request.
        """
        ...

    def conversations(self, ids: Sequence[str]) -> None:
        """Every conversation the inbox has shown so far, the most recently active first."""
        ...


class InboxMemory:
    """What the watcher keeps of the inbox across restarts: the cursor and the ids announced."""

    __slots__ = ("conversations", "cursor", "seen", "_seen_set")

    def __init__(self, cursor: str | None = None, seen: Iterable[str] = (), conversations: Iterable[str] = ()) -> None:
        self.cursor = cursor
        self.seen: deque[str] = deque(seen, maxlen=_SEEN)
        self._seen_set = set(self.seen)
        self.conversations: set[str] = set(conversations)

    @classmethod
    def from_entry(cls, entry: Mapping[str, object] | None) -> InboxMemory:
        """Read what :meth:`entry` saved; anything unreadable starts afresh."""
        if not isinstance(entry, Mapping):
            return cls()
        cursor = entry.get("cursor")
        seen = entry.get("seen")
        conversations = entry.get("conversations")
        return cls(
            cursor if isinstance(cursor, str) else None,
            [s for s in seen if isinstance(s, str)] if isinstance(seen, list) else (),
            [c for c in conversations if isinstance(c, str)] if isinstance(conversations, list) else (),
        )

    def entry(self) -> dict[str, object]:
        return {"cursor": self.cursor, "seen": list(self.seen), "conversations": sorted(self.conversations)}

    def announced(self, message_id: str) -> bool:
        return message_id in self._seen_set

    def remember(self, message_id: str) -> None:
        if message_id in self._seen_set:
            return
        if len(self.seen) == self.seen.maxlen:
            self._seen_set.discard(self.seen[0])
        self.seen.append(message_id)
        self._seen_set.add(message_id)


@dataclass(slots=True)
class _Timeline:
    """What is known of one followed account."""

    follow: Followed
    user_id: str | None = None
    posts: dict[str, Post] | None = None


class AccountWatcher:
    """Polls X for the accounts and the inbox of ``plan``; hands what is new to ``sink``.

    ``own_user_id`` is the signed-in account (``me``; its own messages never
    alert). ``save`` is called with the inbox memory's entry after each change.
    """

    def __init__(
        self,
        client: _Client,
        plan: WatchPlan,
        sink: AccountSink,
        *,
        own_user_id: str | None,
        memory: InboxMemory | None = None,
        save: Callable[[dict[str, object]], None] = lambda entry: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._plan = plan
        self._sink = sink
        self._own = own_user_id
        self._memory = memory if memory is not None else InboxMemory()
        self._save = save
        self._clock = clock
        self._timelines = [_Timeline(follow) for follow in plan.follows]
        self._senders: dict[str, Sender] = {}
        self._trusted: dict[str, bool] = {}
        # Conversation → the id of its newest message seen, to list the active ones first.
        self._active: dict[str, int] = {}
        self._ring = asyncio.Event()
        # Endpoint → when it may be asked again (poll interval, or X's reset after a 429).
        self._next: dict[str, float] = {}
        self._rejected: set[str] = set()
        # Endpoint → since when (and why) its polls fail, for the daemon's health.
        self._failing: dict[str, tuple[float, str]] = {}
        # Endpoint → failed answers in a row, for the backoff.
        self._failures: dict[str, int] = {}
        self._rng = random.Random()
        self.polls = 0

    @property
    def active(self) -> bool:
        """Whether the rules ask for anything to be polled."""
        return self._plan.active

    def failing(self) -> tuple[float, str] | None:
        """Since when polling fails and why (the longest-failing endpoint); None while it works."""
        return min(self._failing.values(), default=None)

    def ring(self) -> None:
        """The stream says a conversation changed: read the inbox as soon as X's limits allow."""
        if self._plan.dms:
            self._ring.set()

    def replace_plan(self, plan: WatchPlan) -> None:
        """Follow what a reloaded rule file asks for; accounts still followed keep what is known."""
        known = {t.follow.account: t for t in self._timelines}
        self._timelines = []
        for follow in plan.follows:
            old = known.get(follow.account)
            timeline = _Timeline(follow, old.user_id if old else None, old.posts if old and old.follow == follow else None)
            self._timelines.append(timeline)
        self._plan = plan
        polled = {f"posts {follow.account}" for follow in plan.follows} | ({"inbox"} if plan.dms else set())
        self._failing = {endpoint: since for endpoint, since in self._failing.items() if endpoint in polled}

    async def run(self) -> None:
        """Poll until cancelled. AuthenticationError (cookies rejected) ends it."""
        if self._memory.conversations:
            self._sink.conversations(self._by_activity())
        while True:
            await self.poll_once()
            wait = max(0.0, min(self._next.values(), default=self._clock() + self._plan.poll) - self._clock())
            self._ring.clear()
            try:
                await asyncio.wait_for(self._ring.wait(), wait)
            except TimeoutError:
                pass

    async def poll_once(self) -> None:
        """Ask every endpoint that is due, once."""
        self.polls += 1
        for timeline in self._timelines:
            await self._guarded(f"posts {timeline.follow.account}", lambda t=timeline: self._poll_posts(t))
        if self._plan.dms:
            await self._guarded("inbox", self._poll_inbox)

    async def _guarded(self, endpoint: str, call: Callable[[], Awaitable[None]]) -> None:
        now = self._clock()
        if self._next.get(endpoint, 0.0) > now:
            return
        self._next[endpoint] = now + self._plan.poll
        try:
            await call()
        except RateLimitedError as exc:
            wait = max(exc.retry_after or 0.0, self._plan.poll)
            self._next[endpoint] = now + wait
            self._failing.setdefault(endpoint, (now, f"X's rate limit for {endpoint} is spent ({exc})"))
            log.warning(
                "X's rate limit for %s is spent: asking again in %.0f s", endpoint, wait,
                extra={"event": "account_rate_limited", "endpoint": endpoint, "retry_in": round(wait)},
            )
            return
        except QueryRejectedError as exc:
            self._failing.setdefault(endpoint, (now, str(exc)))
            if endpoint not in self._rejected:
                self._rejected.add(endpoint)
                log.error("%s; the posts already known stay watched", exc, extra={"event": "account_query_rejected"})
            return
        except WebAPIError as exc:
            self._failing.setdefault(endpoint, (now, f"polling {endpoint} failed: {exc}"))
            failures = self._failures.get(endpoint, 0)
            self._failures[endpoint] = failures + 1
            wait = backoff_delay(
                failures, initial=min(self._plan.poll, _RETRY_FIRST), maximum=max(self._plan.poll, _RETRY_MAX),
                jitter_from=0.5, jitter_span=0.5, draw=self._rng.random(),
            )
            self._next[endpoint] = now + wait
            log.warning("polling %s failed: %s; trying again in %.0f s", endpoint, exc, wait,
                        extra={"event": "account_poll_failed", "endpoint": endpoint, "retry_in": round(wait)})
            return
        self._failing.pop(endpoint, None)
        self._failures.pop(endpoint, None)
        if endpoint in self._rejected:
            self._rejected.discard(endpoint)
            log.info("X answers %s again", endpoint, extra={"event": "account_query_recovered"})

    # ------------------------------------------------------------------ posts

    async def _poll_posts(self, timeline: _Timeline) -> None:
        follow = timeline.follow
        if timeline.user_id is None:
            timeline.user_id = await self._user_id(follow.account)
            log.info("following %s (user %s)", follow.account, timeline.user_id,
                     extra={"event": "account_followed", "account": follow.account})
        known = dict(timeline.posts or {})
        # At start the whole window is read, page after page; after that each poll
        # reads the newest page only: one request per account and interval.
        pages = _START_PAGES if timeline.posts is None else 1
        cursor = None
        for _ in range(pages):
            page = await self._client.user_tweets(timeline.user_id, cursor=cursor, replies=follow.replies)
            now = self._clock()
            for post in page.posts:
                if post.repost or (post.author_id is not None and post.author_id != timeline.user_id):
                    continue
                if post.reply and not follow.replies:
                    continue
                known[post.id] = post
            oldest = page.posts[-1] if page.posts else None
            if (
                page.cursor is None
                or oldest is None  # X answers past the end with a cursor and no posts
                or len(known) >= follow.max_posts
                or (oldest.created_at is not None and now - oldest.created_at > follow.within)
            ):
                break
            cursor = page.cursor
        kept = _newest(known.values(), self._clock(), follow)
        timeline.posts = {post.id: post for post in kept}
        self._sink.posts_found(follow.account, kept)

    async def _own_id(self) -> str:
        """The signed-in account's id: given (the twid cookie), else asked of X once (see :mod:`.identity`)."""
        if self._own is None:
            self._own = (await who_am_i(self._client)).user_id
        return self._own

    async def _user_id(self, account: str) -> str:
        if account == "me":
            return await self._own_id()
        return (await self._client.user_by_screen_name(account.lstrip("@"))).id

    # ------------------------------------------------------------------ inbox

    async def _poll_inbox(self) -> None:
        memory = self._memory
        # One's own messages never alert: know who one is before reading any.
        await self._own_id()
        if memory.cursor is None:
            # The first start ever: what the inbox holds was sent before; none of it alerts.
            page = await self._client.inbox_initial_state()
            self._learn(page)
            for message in page.messages:
                memory.remember(message.id)
            memory.cursor = page.cursor
            self._save(memory.entry())
            log.info(
                "DM inbox: %d conversations known; new messages from now on alert",
                len(memory.conversations), extra={"event": "inbox_seeded"},
            )
            return
        page = await self._client.user_updates(memory.cursor)
        self._learn(page)
        for message in page.messages:
            if memory.announced(message.id):
                continue
            if message.sender_id != self._own and self._wanted(message.conversation_id):
                self._sink.message(
                    message, self._senders.get(message.sender_id),
                    request=not self._trusted.get(message.conversation_id, True),
                )
            memory.remember(message.id)
        if page.cursor:
            memory.cursor = page.cursor
        self._save(memory.entry())
        log.debug("inbox polled: %d messages", len(page.messages), extra={"event": "inbox_polled"})

    def _learn(self, page: InboxPage) -> None:
        self._senders.update(page.users)
        for conversation in page.conversations.values():
            self._trusted[conversation.id] = conversation.trusted
        for message in page.messages:
            newest = int(message.id) if message.id.isdigit() else 0
            self._active[message.conversation_id] = max(newest, self._active.get(message.conversation_id, 0))
        ids = {c.id for c in page.conversations.values()} | {m.conversation_id for m in page.messages}
        if not ids <= self._memory.conversations:
            self._memory.conversations |= ids
            self._sink.conversations(self._by_activity())

    def _by_activity(self) -> tuple[str, ...]:
        return tuple(sorted(self._memory.conversations, key=lambda c: (-self._active.get(c, 0), c)))

    def _wanted(self, conversation_id: str) -> bool:
        # A conversation X has not described is taken as trusted: better an alert than silence.
        return self._plan.requests or self._trusted.get(conversation_id, True)


def _newest(posts: Iterable[Post], now: float, follow: Followed) -> list[Post]:
    """The posts inside ``follow``'s window, newest first, at most ``max_posts``."""
    inside = [p for p in posts if p.created_at is None or now - p.created_at <= follow.within]
    inside.sort(key=lambda p: int(p.id) if p.id.isdigit() else 0, reverse=True)
    return inside[: follow.max_posts]


class _Client(Protocol):
    """What the watcher uses of :class:`~notifier.account.web.XWebClient`."""

    async def user_by_screen_name(self, handle: str) -> User: ...

    async def user_tweets(self, user_id: str, *, cursor: str | None = None, replies: bool = False) -> TimelinePage: ...

    async def inbox_initial_state(self) -> InboxPage: ...

    async def user_updates(self, cursor: str) -> InboxPage: ...

    async def settings(self) -> str: ...

    async def viewer(self) -> User: ...

    @property
    def cookies(self) -> Cookies: ...
