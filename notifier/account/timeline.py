"""Users and posts out of X's GraphQL answers (``UserByScreenName``, ``UserTweets``, ``TweetResultByRestId``).

Pure: JSON in, frozen values out, and never an exception. X changes these
shapes often (``legacy`` moved to ``core`` and to the top level, ``timeline_v2``
became ``timeline``), so every step looks before it reads and anything it does
not recognise is skipped rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ..stream.bounds import MAX_REAL_COUNT
from ..untrusted import MAX_NAME, MAX_POST, clean, decode_entities
from .jsonvalues import count, dict_at, path, snowflake

__all__ = ["LookedUp", "Post", "TimelinePage", "User", "parse_timeline", "parse_tweet_result", "parse_user"]

_CREATED_AT = "%a %b %d %H:%M:%S %z %Y"
# Entries that never hold the account's own posts: ads, suggestions, prompts.
_SKIPPED_ENTRIES = ("promoted-tweet-", "who-to-follow-", "module-", "messageprompt-")
_UNAVAILABLE = ("TweetTombstone", "TweetUnavailable")
# A visibility wrapper inside a wrapper has never been seen; bound it anyway.
_MAX_WRAPPERS = 4


@dataclass(frozen=True, slots=True)
class User:
    """An X account: its numeric id, @handle (without the @) and display name."""

    id: str
    screen_name: str
    name: str


@dataclass(frozen=True, slots=True)
class Post:
    """One post as a timeline shows it; counts X did not send are None.

    ``created_at`` is epoch seconds. ``reply`` and ``repost`` say what kind of
    post it is so the caller can leave them out; ``pinned`` marks the post
    pinned to the profile, which sits on top of the timeline whatever its age.
    """

    id: str
    author_id: str | None
    created_at: float | None
    text: str
    likes: int | None
    retweets: int | None
    replies: int | None
    quotes: int | None
    views: int | None
    reply: bool
    repost: bool
    pinned: bool


@dataclass(frozen=True, slots=True)
class TimelinePage:
    """The posts of one timeline page, in the order X sent them, and the cursor to the next page."""

    posts: tuple[Post, ...]
    cursor: str | None


@dataclass(frozen=True, slots=True)
class LookedUp:
    """What ``TweetResultByRestId`` said of one post: the post, or None when X will not show it.

    A deleted, protected or withheld post is unavailable: X answers a
    tombstone, ``TweetUnavailable`` or an empty ``tweetResult``.
    """

    post: Post | None


def parse_tweet_result(body: Any) -> LookedUp | None:
    """The post of a ``TweetResultByRestId`` answer; None when the answer is unreadable.

    Unreadable (not the layout described in :mod:`.lookup`) is not the same
    as unavailable: the caller may ask again later, but never about a post X
    said it will not show.
    """
    holder = path(body, "data", "tweetResult")
    if not isinstance(holder, dict):
        return None
    result = holder.get("result")
    if result is None:
        return LookedUp(None)
    for _ in range(_MAX_WRAPPERS):
        if not isinstance(result, dict) or result.get("__typename") != "TweetWithVisibilityResults":
            break
        result = result.get("tweet")
    if isinstance(result, dict) and result.get("__typename") in _UNAVAILABLE:
        return LookedUp(None)
    post = _post(result, False)
    return LookedUp(post) if post is not None else None


def parse_user(body: Any) -> User | None:
    """The user of a ``UserByScreenName`` answer (or a ``Viewer`` one); None if there is none or it is unreadable."""
    result = path(body, "data", "user", "result")
    if result is None:
        result = path(body, "data", "viewer", "user_results", "result")
    if not isinstance(result, dict) or result.get("__typename") == "UserUnavailable":
        return None
    user_id = snowflake(result.get("rest_id"))
    core = dict_at(result.get("core"))
    legacy = dict_at(result.get("legacy"))
    screen_name = core.get("screen_name") or legacy.get("screen_name")
    name = core.get("name") or legacy.get("name") or ""
    if user_id is None or not isinstance(screen_name, str) or not screen_name:
        return None
    return User(
        user_id, clean(screen_name, MAX_NAME), clean(name, MAX_NAME) if isinstance(name, str) else "",
    )


def parse_timeline(body: Any) -> TimelinePage:
    """The posts and Bottom cursor of a ``UserTweets``/``UserTweetsAndReplies`` answer.

    Posts are deduplicated by id (the first kept; pinned if any copy was). A
    ``UserTweetsAndReplies`` page also holds other people's posts that the
    account replied to: filter on ``author_id``.
    """
    posts: dict[str, Post] = {}
    cursor: str | None = None
    for entry, pinned in _entries(body):
        entry_id = entry.get("entryId")
        if isinstance(entry_id, str) and entry_id.startswith(_SKIPPED_ENTRIES):
            continue
        content = dict_at(entry.get("content"))
        cursor = _bottom_cursor(content) or cursor
        for item in _item_contents(content):
            pin = pinned or path(item, "socialContext", "contextType") == "Pin"
            post = _post(path(item, "tweet_results", "result"), pin)
            if post is None:
                continue
            if post.id not in posts:
                posts[post.id] = post
            elif post.pinned and not posts[post.id].pinned:
                posts[post.id] = replace(posts[post.id], pinned=True)
    return TimelinePage(tuple(posts.values()), cursor)


def _entries(body: Any) -> Iterator[tuple[dict[str, Any], bool]]:
    """Every timeline entry with whether it came from a TimelinePinEntry."""
    result = path(body, "data", "user", "result")
    timeline = path(result, "timeline", "timeline") or path(result, "timeline_v2", "timeline")
    instructions = dict_at(timeline).get("instructions")
    for instruction in instructions if isinstance(instructions, list) else ():
        if not isinstance(instruction, dict):
            continue
        pinned = instruction.get("type") == "TimelinePinEntry"
        entries = instruction.get("entries")
        if isinstance(entries, list):
            yield from ((entry, pinned) for entry in entries if isinstance(entry, dict))
        entry = instruction.get("entry")
        if isinstance(entry, dict):
            yield entry, pinned


def _item_contents(content: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The itemContent of an entry, or of each item of a module entry; ads left out."""
    single = content.get("itemContent")
    items = content.get("items")
    candidates = [single] if isinstance(single, dict) else []
    if isinstance(items, list):
        candidates += [path(item, "item", "itemContent") for item in items]
    for candidate in candidates:
        if isinstance(candidate, dict) and not candidate.get("promotedMetadata"):
            yield candidate


def _bottom_cursor(content: dict[str, Any]) -> str | None:
    for holder in (content, dict_at(content.get("itemContent"))):
        if holder.get("cursorType") == "Bottom":
            value = holder.get("value")
            if isinstance(value, str) and value:
                return value
    return None


def _post(result: Any, pinned: bool) -> Post | None:
    for _ in range(_MAX_WRAPPERS):
        if not isinstance(result, dict):
            return None
        if result.get("__typename") != "TweetWithVisibilityResults" and "rest_id" in result:
            break
        result = result.get("tweet")
    if not isinstance(result, dict) or result.get("__typename") in _UNAVAILABLE:
        return None
    post_id = snowflake(result.get("rest_id"))
    if post_id is None:
        return None
    # Since 2026 ``legacy`` can be null with its fields at the top level.
    legacy = dict_at(result.get("legacy"))

    def field(name: str) -> Any:
        value = legacy.get(name)
        return value if value is not None else result.get(name)

    author = path(result, "core", "user_results", "result", "rest_id")
    author_id = snowflake(author) or snowflake(field("user_id_str"))
    note = path(result, "note_tweet", "note_tweet_results", "result", "text")
    text = field("full_text")
    # X escapes &, < and > in legacy.full_text but not in a long post's note text:
    # decoded here, once, so the same character reads the same in every post.
    if isinstance(note, str) and note:
        text = clean(note, MAX_POST)
    elif isinstance(text, str):
        text = clean(decode_entities(text), MAX_POST)
    counts = [count(field(name)) for name in ("favorite_count", "retweet_count", "reply_count", "quote_count")]
    counts.append(count(path(result, "views", "count")))
    if any(c is not None and c > MAX_REAL_COUNT for c in counts):
        # The stream's bound: a count no post can have makes all of this answer's counts
        # untrustworthy, as it makes a stream line malformed (and a replay agrees).
        counts = [None] * 5
    likes, retweets, replies, quotes, views = counts
    return Post(
        id=post_id,
        author_id=author_id,
        created_at=_created_at(field("created_at")),
        text=text if isinstance(text, str) else "",
        likes=likes,
        retweets=retweets,
        replies=replies,
        quotes=quotes,
        views=views,
        reply=snowflake(field("in_reply_to_status_id_str")) is not None,
        repost=bool(field("retweeted_status_result")),
        pinned=pinned,
    )


def _created_at(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, _CREATED_AT).timestamp()
    except (ValueError, OverflowError, OSError):
        return None
