"""Turn one line of the live_pipeline stream into ``(topic, Payload)``.

Pure and total: whatever bytes arrive, ``parse_message`` returns a value or
``None``; it never raises. The daemon counts the ``None`` results as malformed
lines and carries on. An engagement count that no post can have (negative, or
over :data:`MAX_REAL_COUNT`) makes its whole line malformed: the line is
broken, and none of its counts can be trusted to cross a milestone.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import msgspec

from .events import (
    ConfigEvent,
    DMTypingEvent,
    DMUpdateEvent,
    DiscoveryEvent,
    Payload,
    PostRef,
    SubscriptionError,
    SubscriptionsEvent,
    TweetEngagementEvent,
)
from ..untrusted import MAX_DM, MAX_NAME, MAX_POST, clean
from .bounds import MAX_REAL_COUNT
from .sse import message_text

__all__ = ["parse_message", "parse_subscriptions"]

_MAX_COUNT = 10**18
_MAX_DIGITS = 18  # so a string of ASCII digits that long is always below _MAX_COUNT
_REAL_DIGITS = 12  # so a string of ASCII digits that long is always at most MAX_REAL_COUNT


class _Unreal(Exception):  # noqa: N818 - a signal inside this module, never seen outside it
    """An engagement count no post can have: the line it came in is malformed."""
_POST_ID = re.compile(r"[0-9]{1,25}")


def _count(value: Any) -> int | None:
    """A count sent as a string (or, liberally, an int); None if unusable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < _MAX_COUNT else None
    if isinstance(value, str):
        text = value.strip()
        # isdecimal() alone accepts other scripts' digits; keep to ASCII.
        if text.isascii() and text.isdecimal() and len(text) <= 18:
            return int(text)
    return None


def _engagement_count(value: Any) -> int | None:
    """An engagement count, None if not given as one; raises _Unreal for a number no post can have."""
    count = _count(value)
    if count is not None:
        if count > MAX_REAL_COUNT:
            raise _Unreal
        return count
    # Not read as a count. A number all the same (negative, or too long to read) is a
    # broken line, not a missing field; anything else ("x", 1.5, a list) stays a missing field.
    if isinstance(value, int) and not isinstance(value, bool):
        raise _Unreal
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text.startswith("-") else text
        if digits.isascii() and digits.isdecimal():
            raise _Unreal
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _millis(value: Any) -> int | None:
    number = _count(value)
    return number if number is not None and number > 0 else None


def _config(body: Any) -> ConfigEvent | None:
    if not isinstance(body, dict):
        return None
    session_id = _text(body.get("session_id"))
    ttl = _millis(body.get("subscription_ttl_millis"))
    heartbeat = _millis(body.get("heartbeat_millis"))
    if not session_id or ttl is None or heartbeat is None:
        return None
    return ConfigEvent(session_id, ttl, heartbeat)


def parse_subscriptions(body: Any) -> SubscriptionsEvent | None:
    """Read a ``{"errors": [...]}`` object, from the stream or an update response."""
    if not isinstance(body, dict):
        return None
    raw = body.get("errors") or []
    if not isinstance(raw, list):
        return None
    errors = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        code = item.get("code")
        errors.append(
            SubscriptionError(
                topic=_text(item.get("topic")) or "",
                code=code if isinstance(code, int) and not isinstance(code, bool) else None,
                message=_text(item.get("message")) or "",
            )
        )
    return SubscriptionsEvent(tuple(errors))


def _engagement(body: Any) -> TweetEngagementEvent | None:
    if not isinstance(body, dict):
        return None
    views = body.get("view_count_info")
    view_count = view_state = None
    if isinstance(views, dict):
        view_count = _engagement_count(views.get("count"))
        view_state = _text(views.get("state"))
    return TweetEngagementEvent(
        like_count=_engagement_count(body.get("like_count")),
        retweet_count=_engagement_count(body.get("retweet_count")),
        view_count=view_count,
        view_count_state=view_state,
        quote_count=_engagement_count(body.get("quote_count")),
        reply_count=_engagement_count(body.get("reply_count")),
    )


def _dm(body: Any, cls: type[DMUpdateEvent] | type[DMTypingEvent], topic: str):
    if not isinstance(body, dict):
        return None
    conversation_id = _text(body.get("conversation_id"))
    if not conversation_id:
        # The topic names the conversation even when the body does not.
        conversation_id = topic.rsplit("/", 1)[-1] or None
    user_id = _text(body.get("user_id")) or ""
    if not conversation_id:
        return None
    if cls is DMUpdateEvent:
        # X's stream never sends these; the inbox source and recordings of it do.
        sender = body.get("sender")
        return DMUpdateEvent(
            conversation_id, user_id,
            message_id=_text(body.get("message_id")) or None,
            text=_string(body.get("text"), MAX_DM),
            sender=(clean(sender, MAX_NAME).removeprefix("@") or None) if isinstance(sender, str) else None,
            sender_name=_string(body.get("sender_name"), MAX_NAME),
            request=True if body.get("request") is True else None,
        )
    return cls(conversation_id, user_id)


def _string(value: Any, limit: int) -> str | None:
    # Text a person wrote: no control characters, bounded (see notifier.untrusted).
    return clean(value, limit) if isinstance(value, str) else None


def _post(item: Any) -> PostRef | None:
    if not isinstance(item, dict):
        return None
    post_id = _text(item.get("id"))
    if post_id is None or not _POST_ID.fullmatch(post_id):
        return None
    created = item.get("created_at")
    if isinstance(created, bool) or not isinstance(created, (int, float)) or not math.isfinite(created):
        created = None
    text = item.get("text")
    try:
        counts = [_engagement_count(item.get(name)) for name in ("likes", "retweets", "replies", "quotes", "views")]
    except _Unreal:
        counts = [None] * 5  # as polling reads such a post: none of its counts is trusted
    likes, retweets, replies, quotes, views = counts
    return PostRef(
        post_id,
        None if created is None else float(created),
        reply=item.get("reply") is True,
        text=clean(text, MAX_POST) if isinstance(text, str) else "",
        likes=likes,
        retweets=retweets,
        replies=replies,
        quotes=quotes,
        views=views,
        new=True if item.get("new") is True else None,
    )


def _discovery(body: Any) -> DiscoveryEvent | None:
    if not isinstance(body, dict):
        return None
    account = body.get("account")
    if not isinstance(account, str) or not account:
        return None
    raw = body.get("posts") or []
    if not isinstance(raw, list):
        return None
    # A post this reading cannot use is left out rather than losing the whole line.
    posts = tuple(post for post in map(_post, raw) if post is not None)
    return DiscoveryEvent(account, posts)


def _payload(topic: str, body: dict[str, Any]) -> Payload | None:
    if "config" in body:
        config = _config(body["config"])
        return Payload(config=config) if config else None
    if "subscriptions" in body:
        subs = parse_subscriptions(body["subscriptions"])
        return Payload(subscriptions=subs) if subs else None
    if "tweet_engagement" in body:
        engagement = _engagement(body["tweet_engagement"])
        return Payload(tweet_engagement=engagement) if engagement else None
    if "dm_update" in body:
        update = _dm(body["dm_update"], DMUpdateEvent, topic)
        return Payload(dm_update=update) if update else None
    if "dm_typing" in body:
        typing = _dm(body["dm_typing"], DMTypingEvent, topic)
        return Payload(dm_typing=typing) if typing else None
    if "discovery" in body:
        discovery = _discovery(body["discovery"])
        return Payload(discovery=discovery) if discovery else None
    return None


def _decode(line: str | bytes) -> Any:
    if isinstance(line, (bytes, bytearray, memoryview)):
        line = bytes(line).decode("utf-8", errors="replace")
    if not isinstance(line, str):
        return None
    text = message_text(line)
    if not text or not text.startswith("{"):
        return None  # a keep-alive, another SSE field, or not a JSON object
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _parse(line: str | bytes) -> tuple[str, Payload] | None:
    """The general reading of a line, every message kind; the definition of what parses."""
    try:
        message = _decode(line)
        if not isinstance(message, dict):
            return None
        topic = message.get("topic")
        body = message.get("payload")
        if not isinstance(topic, str) or not isinstance(body, dict):
            return None
        payload = _payload(topic, body)
        return (topic, payload) if payload is not None else None
    except Exception:  # noqa: BLE001 - total by contract: a bad line must never stop the stream
        return None


# The hot path. Nearly every line of a busy stream is an engagement message, so
# those are decoded with msgspec straight into the typed structs below (in C,
# validating the shape as it goes, without building dicts) and the event is
# built from them. Whatever this path does not handle itself goes to _parse,
# and for what it handles it gives exactly what _parse gives:
#
# * The decoder accepts a subset of what json.loads accepts: strict JSON (no
#   NaN, lone surrogates, invalid UTF-8, SSE prefixes, ...) whose shape fits the
#   structs. Any line it refuses, for whatever reason, goes to _parse. What it
#   accepts it reads as json.loads does: the same strings and integers, and the
#   last of duplicate keys.
# * A count or a view state of any other type than a string (an integer, a
#   float, a bool, a list, ...) makes the decoder refuse the line, so the
#   general helpers judge it. X sends counts as strings.
# * A count string of up to 12 ASCII digits is read here; any other string
#   (spaces, a sign, other scripts' digits, too long) goes to the general helper.
# * A JSON object may be surrounded by JSON whitespace, a subset of what
#   str.strip() removes, so _decode would reach the same text.
# * Fields the reading does not use are ignored, as _engagement ignores them.
# * The payload keys are checked in _payload's order of precedence: config and
#   subscriptions before tweet_engagement; the DM and discovery keys come after it.


# gc=False: these hold only strings, integers and one another, so they can
# form no cycle, and objects the collector does not track are cheaper to make.


class _Views(msgspec.Struct, gc=False):
    count: str | None = None
    state: str | None = None


class _Engagement(msgspec.Struct, gc=False):
    like_count: str | None = None
    retweet_count: str | None = None
    quote_count: str | None = None
    reply_count: str | None = None
    view_count_info: _Views | None = None


class _Body(msgspec.Struct, gc=False):
    tweet_engagement: _Engagement | None | msgspec.UnsetType = msgspec.UNSET
    # Present at all, these take precedence; Raw leaves their values unread.
    config: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    subscriptions: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET


class _Line(msgspec.Struct, gc=False):
    topic: str
    payload: _Body


_UNSET = msgspec.UNSET
_decode_line = msgspec.json.Decoder(_Line).decode
_new_payload = tuple.__new__
_Event = TweetEngagementEvent


def parse_message(line: str | bytes) -> tuple[str, Payload] | None:
    """Parse one NDJSON line or SSE ``data:`` frame; ``None`` for anything unusable."""
    try:
        try:
            message = _decode_line(line)
        except Exception:  # noqa: BLE001 - not an engagement line as the structs read it: the general path
            return _parse(line)
        body = message.payload
        engagement = body.tweet_engagement
        if engagement is None or engagement is _UNSET or body.config is not _UNSET or body.subscriptions is not _UNSET:
            return _parse(line)
        # Each count: the wire's "2604" read here, anything else by the general helper.
        value = engagement.like_count
        if value is None:
            likes = None
        elif value.isdecimal() and value.isascii() and len(value) <= _REAL_DIGITS:
            likes = int(value)
        else:
            likes = _engagement_count(value)
        value = engagement.retweet_count
        if value is None:
            retweets = None
        elif value.isdecimal() and value.isascii() and len(value) <= _REAL_DIGITS:
            retweets = int(value)
        else:
            retweets = _engagement_count(value)
        value = engagement.quote_count
        if value is None:
            quotes = None
        elif value.isdecimal() and value.isascii() and len(value) <= _REAL_DIGITS:
            quotes = int(value)
        else:
            quotes = _engagement_count(value)
        value = engagement.reply_count
        if value is None:
            replies = None
        elif value.isdecimal() and value.isascii() and len(value) <= _REAL_DIGITS:
            replies = int(value)
        else:
            replies = _engagement_count(value)
        info = engagement.view_count_info
        views = state = None
        if info is not None:
            state = info.state
            value = info.count
            if value is None:
                pass
            elif value.isdecimal() and value.isascii() and len(value) <= _REAL_DIGITS:
                views = int(value)
            else:
                views = _engagement_count(value)
        event = _Event(likes, retweets, views, state, quotes, replies)
        return message.topic, _new_payload(Payload, (None, None, event, None, None, None))  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - total by contract: a bad line must never stop the stream
        return None
