"""Following accounts by polling: their new posts, and every conversation of the inbox.

The :class:`AccountWatcher` asks X, once per poll interval and endpoint, for
the newest posts of each followed account and for what changed in the DM
inbox, and hands what it found to an :class:`AccountSink` (the daemon's
pipeline, or ``notifier record``'s file):

* **Posts.** Each poll reads the newest posts of each followed account
  (:mod:`.posts` says which are watched and which are new) and hands the
  whole list on, with the counts it read.
* **Messages.** The first start ever reads the inbox's initial state: what is
  there was sent before notifier was running and never alerts. From then on
  ``user_updates`` with the saved cursor gives what is new; each message from
  someone else is handed on once, then remembered (the cursor and the ids
  survive restarts through :class:`InboxMemory`). The inbox has its own,
  shorter interval (``WatchPlan.inbox_poll``): the stream cannot ring for a
  conversation it has never heard of. The stream's ``dm_update`` is a doorbell
  (:meth:`AccountWatcher.ring`): the inbox is read at once, at most once per
  :data:`MIN_SPACING`; the inbox is the truth.

Posts and the inbox are polled by two loops, so a slow timeline never delays a
message. X's limits are respected: an endpoint that answered 429, or whose allowance
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
from .posts import Followed, Timeline, read_posts
from .timeline import Post, TimelinePage, User

if TYPE_CHECKING:
    from ..stream.auth import Cookies

__all__ = ["MIN_SPACING", "AccountSink", "AccountWatcher", "InboxMemory", "WatchPlan"]

log = logging.getLogger(__name__)

# How many announced message ids are remembered; far more than a poll brings.
_SEEN = 5000
# The least time between two requests to one endpoint, doorbell or not: a burst
# of dm_update events makes one or two inbox reads, not one each.
MIN_SPACING = 1.0
# After a failed answer: the first retry at most this soon, then doubling up to X's 15-minute window.
_RETRY_FIRST = 15.0
_RETRY_MAX = 900.0


@dataclass(frozen=True, slots=True)
class WatchPlan:
    """What to poll, and how often."""

    follows: tuple[Followed, ...] = ()
    dms: bool = False
    requests: bool = True
    poll: float = 60.0
    # The inbox's own interval (None: ``poll``); a new conversation's first message has no doorbell.
    inbox_poll: float | None = None

    @property
    def inbox_every(self) -> float:
        return self.poll if self.inbox_poll is None else self.inbox_poll

    @property
    def active(self) -> bool:
        return bool(self.follows) or self.dms


class AccountSink(Protocol):
    """Who hears what polling found; each call returns once it is safely handled."""

    def posts_found(self, account: str, posts: Sequence[Post], new: frozenset[str] = frozenset()) -> None:
        """The posts of ``account`` that are watched now, newest first, with their counts.

        ``new``: the ids of those that appeared after the account began to be
        followed (the rules count them from zero).
        """
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
        self._timelines = [Timeline(follow, clock()) for follow in plan.follows]
        self._senders: dict[str, Sender] = {}
        self._trusted: dict[str, bool] = {}
        # Conversation → the id of its newest message seen, to list the active ones first.
        self._active: dict[str, int] = {}
        # Wakes the inbox loop (a doorbell, a new plan) and the posts loop (a new plan).
        self._ring = asyncio.Event()
        self._replanned = asyncio.Event()
        # Endpoint → when it is asked next (its interval, a doorbell, or X's reset after a 429).
        self._next: dict[str, float] = {}
        # Endpoint → when it was last asked, and until when X's limit holds it back.
        self._last: dict[str, float] = {}
        self._hold: dict[str, float] = {}
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
        """The stream says a conversation changed: read the inbox as soon as X's limits allow.

        That is now, or :data:`MIN_SPACING` after the last read (a read under
        way is followed by one more), or when X's limit resets.
        """
        if not self._plan.dms:
            return
        due = max(self._last.get("inbox", -MIN_SPACING) + MIN_SPACING, self._hold.get("inbox", 0.0))
        if due < self._next.get("inbox", 0.0):
            self._next["inbox"] = due
        log.debug("DM doorbell: the inbox is read in %.1f s", max(self._next.get("inbox", 0.0) - self._clock(), 0.0),
                  extra={"event": "inbox_rung"})
        self._ring.set()

    def replace_plan(self, plan: WatchPlan) -> None:
        """Follow what a reloaded rule file asks for; accounts still followed keep what is known."""
        known = {t.follow.account: t for t in self._timelines}
        self._timelines = []
        for follow in plan.follows:
            old = known.get(follow.account)
            if old is None:
                timeline = Timeline(follow, self._clock())
            else:
                posts = old.posts if old.follow == follow else None
                timeline = Timeline(follow, old.since, old.user_id, posts, old.newest, old.new)
            self._timelines.append(timeline)
        self._plan = plan
        polled = {f"posts {follow.account}" for follow in plan.follows} | ({"inbox"} if plan.dms else set())
        self._failing = {endpoint: since for endpoint, since in self._failing.items() if endpoint in polled}
        self._replanned.set()
        self._ring.set()

    async def run(self) -> None:
        """Poll until cancelled. AuthenticationError (cookies rejected) ends it."""
        if self._memory.conversations:
            self._sink.conversations(self._by_activity())
        loops = [
            asyncio.ensure_future(self._loop(self._poll_posts_due, self._replanned)),
            asyncio.ensure_future(self._loop(self._poll_inbox_due, self._ring)),
        ]
        try:
            done, _ = await asyncio.wait(loops, return_when=asyncio.FIRST_EXCEPTION)
            for loop in done:
                loop.result()
        finally:
            for loop in loops:
                loop.cancel()
            await asyncio.gather(*loops, return_exceptions=True)

    async def _loop(self, poll: Callable[[], Awaitable[list[str]]], wake: asyncio.Event) -> None:
        """Ask the endpoints ``poll`` names when due; sleep until the next is due or ``wake`` is set."""
        while True:
            endpoints = await poll()
            wake.clear()  # set again by a doorbell during the wait; _next already says when
            now = self._clock()
            due = min((self._next.get(e, now) for e in endpoints), default=now + self._plan.poll)
            if due > now:
                try:
                    await asyncio.wait_for(wake.wait(), due - now)
                except TimeoutError:
                    pass

    async def poll_once(self) -> None:
        """Ask every endpoint that is due, once."""
        self.polls += 1
        await self._poll_posts_due()
        await self._poll_inbox_due()

    async def _poll_posts_due(self) -> list[str]:
        endpoints = []
        for timeline in self._timelines:
            endpoint = f"posts {timeline.follow.account}"
            endpoints.append(endpoint)
            await self._guarded(endpoint, self._plan.poll, lambda t=timeline: self._poll_posts(t))
        return endpoints

    async def _poll_inbox_due(self) -> list[str]:
        if not self._plan.dms:
            return []
        await self._guarded("inbox", self._plan.inbox_every, self._poll_inbox)
        return ["inbox"]

    async def _guarded(self, endpoint: str, interval: float, call: Callable[[], Awaitable[None]]) -> None:
        now = self._clock()
        if self._next.get(endpoint, 0.0) > now:
            return
        # A doorbell during the call may bring the next read forward (see ring).
        self._next[endpoint] = now + interval
        self._last[endpoint] = now
        try:
            await call()
        except RateLimitedError as exc:
            wait = max(exc.retry_after or 0.0, interval)
            self._next[endpoint] = self._hold[endpoint] = now + wait
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
                failures, initial=min(interval, _RETRY_FIRST), maximum=max(interval, _RETRY_MAX),
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

    async def _poll_posts(self, timeline: Timeline) -> None:
        follow = timeline.follow
        if timeline.user_id is None:
            timeline.user_id = await self._user_id(follow.account)
            log.info("following %s (user %s)", follow.account, timeline.user_id,
                     extra={"event": "account_followed", "account": follow.account})
        kept = await read_posts(self._client, timeline, self._clock)
        self._sink.posts_found(follow.account, kept, frozenset(timeline.new))

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
        next_in = self._next.get("inbox", 0.0) - self._clock()
        log.debug("inbox polled: %d messages; next read in %.1f s", len(page.messages), next_in,
                  extra={"event": "inbox_polled", "next_in": round(next_in, 3)})

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
