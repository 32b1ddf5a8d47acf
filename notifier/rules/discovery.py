"""Which discovered posts and conversations a rule watches.

Account watching finds posts (per followed account) and conversations (in the
DM inbox); a rule with ``tweets: {from: ...}`` or ``dms: any`` watches those
that fit it. Deciding that is pure and depends on nothing but its arguments:
a replay feeds the recorded discoveries through the same functions and so
watches exactly what the live run watched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from ..durations import format_duration
from ..stream.topics import Topic
from .model import Follow, RuleSet

if TYPE_CHECKING:
    from ..stream.events import PostRef

__all__ = ["PostVerdict", "post_verdicts", "rough_age", "watched_posts", "with_discoveries"]


@dataclass(frozen=True, slots=True)
class PostVerdict:
    """Whether a follow rule watches one post; ``reason`` says why not (None: watched)."""

    post: PostRef
    reason: str | None = None

    @property
    def watched(self) -> bool:
        return self.reason is None


def _newest_first(posts: Iterable[PostRef]) -> list[PostRef]:
    # Post ids grow with time, so ordering by id needs no clock and no trust in
    # the order the posts came in; the first of repeated ids is kept.
    unique: dict[str, PostRef] = {}
    for post in posts:
        unique.setdefault(post.id, post)
    return sorted(unique.values(), key=lambda post: (len(post.id), post.id), reverse=True)


def post_verdicts(follow: Follow, posts: Iterable[PostRef], now: float) -> list[PostVerdict]:
    """For each post (newest first, repeats once): watched by ``follow`` at ``now``, or why not.

    A reply is left out unless ``replies``; a post older than ``within`` is left
    out (one without a creation time fits); of the rest, the ``max_posts``
    newest are watched.
    """
    verdicts = []
    watched = 0
    for post in _newest_first(posts):
        reason = None
        if post.reply and not follow.replies:
            reason = "a reply (replies: true would watch it)"
        elif post.created_at is not None and now - post.created_at > follow.within:
            reason = f"older than the window (within: {format_duration(follow.within, words=True)})"
        elif watched >= follow.max_posts:
            reason = f"beyond max_posts ({follow.max_posts:,} newer posts are watched)"
        else:
            watched += 1
        verdicts.append(PostVerdict(post, reason))
    return verdicts


def rough_age(seconds: float) -> str:
    """``2 hours``, ``11 days``: an age in its largest whole unit, as people say it."""
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    count = max(int(seconds), 0)
    return f"{count} second{'s' if count != 1 else ''}"


def watched_posts(follow: Follow, posts: Iterable[PostRef], now: float) -> tuple[str, ...]:
    """The ids of the posts ``follow`` watches at ``now``, newest first."""
    return tuple(verdict.post.id for verdict in post_verdicts(follow, posts, now) if verdict.watched)


def _conversation_ids(conversations: Iterable[str]) -> list[str]:
    # Sorted, so the order they were found in does not matter. An id the
    # stream's topics cannot name (XChat's "a:b", "g<id>") cannot be watched.
    usable = set()
    for conversation in conversations:
        try:
            Topic.dm_message(conversation)
        except ValueError:
            continue
        usable.add(str(conversation))
    return sorted(usable)


def with_discoveries(
    ruleset: RuleSet,
    posts: Mapping[str, tuple[PostRef, ...]],
    conversations: Iterable[str],
    now: float,
    *,
    requests: Iterable[str] = (),
) -> RuleSet:
    """A copy of ``ruleset`` whose follow rules watch the posts found and whose ``dms: any`` rules the conversations.

    ``posts``: per followed account (``"me"``, ``"@handle"``), the posts
    found; ``conversations``: every conversation id the inbox showed, of
    which ``requests`` are message requests (left out of rules with
    ``requests: false``). Pure and deterministic, so a replay of the
    recorded discoveries watches what the live run watched.
    """
    by_account = {account.lower(): found for account, found in posts.items()}
    conversation_ids = _conversation_ids(conversations)
    request_ids = frozenset(map(str, requests))
    rules = []
    for rule in ruleset.rules:
        if rule.follow is not None:
            keys = watched_posts(rule.follow, by_account.get(rule.follow.account, ()), now)
            rule = replace(rule, keys=keys, topics=frozenset(map(Topic.tweet_engagement, keys)))
        elif rule.dms_any:
            keys = tuple(c for c in conversation_ids if rule.requests or c not in request_ids)
            rule = replace(rule, keys=keys, topics=frozenset(map(Topic.dm_message, keys)))
        rules.append(rule)
    texts: dict[str, str] = {}
    for account in sorted(by_account):
        for post in by_account[account]:
            if post.text:
                texts.setdefault(post.id, post.text)
    return replace(
        ruleset,
        rules=tuple(rules),
        topics=frozenset(topic for rule in rules for topic in rule.topics),
        post_texts=MappingProxyType(texts),
    )
