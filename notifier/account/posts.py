"""The posts of one followed account: which are watched, and which are new.

At start an account's timeline is read back to the edge of the window (at
most ten pages); after that each poll reads the newest page. Reposts of
others' posts and posts by other accounts (the parents of replies) are never
kept; the rest is kept while it is inside the largest window and among the
newest ``max_posts`` any rule asks for. A post that appears after the account
began to be followed (created after that, or after the newest post the
previous poll saw) is *new*: the rules count it from zero. A line is logged
when a post starts and stops being watched. The
:class:`~notifier.account.watcher.AccountWatcher` decides when to read.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..durations import format_duration
from .jsonvalues import snowflake_time
from .timeline import Post, TimelinePage

__all__ = ["Followed", "Timeline", "read_posts"]

log = logging.getLogger(__name__)

# At most this many timeline pages are read to cover an account's window at start.
_START_PAGES = 10
# How much of a post's text a log line quotes (it is X's data: bounded, one line).
_LOGGED_WORDS = 60


@dataclass(frozen=True, slots=True)
class Followed:
    """One followed account as the watcher polls it: the widest window, the most posts, replies if any rule wants them."""

    account: str  # "me" or "@handle"
    within: float
    max_posts: int
    replies: bool


@dataclass(slots=True)
class Timeline:
    """What is known of one followed account.

    ``since``: when notifier began to follow it; ``newest``: the creation
    time of the newest post a poll saw; ``new``: the posts that appeared
    after either.
    """

    follow: Followed
    since: float
    user_id: str | None = None
    posts: dict[str, Post] | None = None
    newest: float | None = None
    new: set[str] = field(default_factory=set)


async def read_posts(client: _Client, timeline: Timeline, clock: Callable[[], float]) -> list[Post]:
    """Read the account's newest posts into ``timeline``; the ones watched now, newest first.

    The account's user id must be known (``timeline.user_id``).
    """
    follow = timeline.follow
    assert timeline.user_id is not None, "the account's user id is asked for before its posts"
    known = dict(timeline.posts or {})
    # At start the whole window is read, page after page; after that each poll
    # reads the newest page only: one request per account and interval.
    pages = _START_PAGES if timeline.posts is None else 1
    cursor = None
    for _ in range(pages):
        page = await client.user_tweets(timeline.user_id, cursor=cursor, replies=follow.replies)
        now = clock()
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
    now = clock()
    kept = _newest(known.values(), now, follow)
    _note_changes(timeline, kept, now)
    timeline.posts = {post.id: post for post in kept}
    times = [t for t in map(_created, known.values()) if t is not None]
    timeline.newest = max(times, default=timeline.newest)
    return kept


def _note_changes(timeline: Timeline, kept: Sequence[Post], now: float) -> None:
    """Note which posts are new, and log those that start or stop being watched."""
    follow = timeline.follow
    before = timeline.posts
    for post in kept:
        if before is not None and post.id in before:
            continue
        # New: it appeared after notifier began to follow the account, or
        # after the newest post the previous poll saw (X's clock, not ours).
        created = _created(post)
        if created is not None and (
            created > timeline.since or (timeline.newest is not None and created > timeline.newest)
        ):
            timeline.new.add(post.id)
        age = "age unknown" if post.created_at is None else f"{format_duration(max(now - post.created_at, 0), words=True)} old"
        new = "; a new post, counted from zero" if post.id in timeline.new else ""
        log.info(
            "watching post %s (%s, %s), found under %s%s", post.id, _words(post.text), age, follow.account, new,
            extra={"event": "post_watched", "post": post.id, "account": follow.account, "new": bool(new)},
        )
    if before is None:
        log.info(
            "following %s: %d post%s watched (the newest %d that fit within %s)", follow.account, len(kept),
            "" if len(kept) == 1 else "s", follow.max_posts, format_duration(follow.within, words=True),
            extra={"event": "posts_watched", "account": follow.account, "count": len(kept)},
        )
        return
    ids = {post.id for post in kept}
    for post in before.values():
        if post.id in ids:
            continue
        timeline.new.discard(post.id)
        if post.created_at is not None and now - post.created_at > follow.within:
            why = f"older than {format_duration(follow.within, words=True)}"
        else:
            why = f"{follow.max_posts} newer posts are watched"
        log.info(
            "no longer watching post %s (%s), found under %s: %s", post.id, _words(post.text), follow.account, why,
            extra={"event": "post_unwatched", "post": post.id, "account": follow.account},
        )


def _created(post: Post) -> float | None:
    """When a post was made, to the millisecond when its id says so (X's ``created_at`` has whole seconds).

    An id whose time is not within that second of ``created_at`` is not a
    snowflake to trust: ``created_at`` is used then.
    """
    created = post.created_at
    if created is None:
        return None
    precise = snowflake_time(post.id)
    return precise if 0 <= precise - created < 1 else created


def _words(text: str) -> str:
    """A post's first words for a log line: control and format characters out, one line, bounded, quoted."""
    clean = "".join(" " if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") else char for char in text)
    flat = " ".join(clean.split())
    if len(flat) > _LOGGED_WORDS:
        flat = flat[: _LOGGED_WORDS - 1].rstrip() + "…"
    return f"“{flat}”" if flat else "no text"


def _newest(posts: Iterable[Post], now: float, follow: Followed) -> list[Post]:
    """The posts inside ``follow``'s window, newest first, at most ``max_posts``."""
    inside = [p for p in posts if p.created_at is None or now - p.created_at <= follow.within]
    inside.sort(key=lambda p: int(p.id) if p.id.isdigit() else 0, reverse=True)
    return inside[: follow.max_posts]


class _Client(Protocol):
    """What reading posts uses of :class:`~notifier.account.web.XWebClient`."""

    async def user_tweets(self, user_id: str, *, cursor: str | None = None, replies: bool = False) -> TimelinePage: ...
