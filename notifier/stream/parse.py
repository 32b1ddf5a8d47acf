"""Turn one line of the live_pipeline stream into ``(topic, Payload)``.

Pure and total: whatever bytes arrive, ``parse_message`` returns a value or
``None``; it never raises. The daemon counts the ``None`` results as malformed
lines and carries on.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from .events import (
    ConfigEvent,
    DMTypingEvent,
    DMUpdateEvent,
    Payload,
    SubscriptionError,
    SubscriptionsEvent,
    TweetEngagementEvent,
)

__all__ = ["parse_message", "parse_subscriptions"]

_MAX_COUNT = 10**18
_MAX_DIGITS = 18  # so a string of ASCII digits that long is always below _MAX_COUNT


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
        view_count = _count(views.get("count"))
        view_state = _text(views.get("state"))
    return TweetEngagementEvent(
        like_count=_count(body.get("like_count")),
        retweet_count=_count(body.get("retweet_count")),
        view_count=view_count,
        view_count_state=view_state,
        quote_count=_count(body.get("quote_count")),
        reply_count=_count(body.get("reply_count")),
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
    return cls(conversation_id, user_id)


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
    return None


def _decode(line: str | bytes) -> Any:
    if isinstance(line, (bytes, bytearray, memoryview)):
        line = bytes(line).decode("utf-8", errors="replace")
    if not isinstance(line, str):
        return None
    text = line.strip()
    if not text or text.startswith(":"):
        return None  # keep-alive: an empty line or an SSE comment
    if text.startswith("data:"):
        text = text[5:].strip()
        if not text:
            return None
    elif not text.startswith("{"):
        return None  # other SSE fields (event:, id:, retry:) carry nothing we use
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
# those are read with orjson (several times faster than json.loads) and built
# without the generic helpers. Whatever this path does not handle itself goes
# to _parse, and for what it handles it gives exactly what _parse gives:
#
# * orjson accepts a subset of what json.loads accepts (it refuses NaN, lone
#   surrogates, invalid UTF-8, SSE prefixes, ...: those lines go to _parse), and
#   reads it the same way, except integers outside [-2**63, 2**64), which it
#   turns into floats. That difference is invisible here: a count that is a
#   float or such an int is unusable either way, and a view state that comes
#   out as a float is handed to _parse.
# * A JSON object starts with "{" after whitespace, and JSON whitespace is a
#   subset of what str.strip() removes, so _decode would reach the same text.
# * The payload keys are checked in _payload's order of precedence.

_fast_loads = orjson.loads
_new_payload = tuple.__new__


class _Draft:
    """A TweetEngagementEvent being filled: the same slots, but plain ones.

    A frozen dataclass's ``__init__`` sets each field through
    ``object.__setattr__``, which costs more than all the rest of this path.
    A draft is filled by ordinary attribute stores and then becomes the real
    class (``__class__`` assignment, allowed between classes of the same
    layout): the very same object as the constructor makes, at a third of
    the cost.
    """

    __slots__ = TweetEngagementEvent.__slots__  # type: ignore[attr-defined]

    like_count: int | None
    retweet_count: int | None
    view_count: int | None
    view_count_state: str | None
    quote_count: int | None
    reply_count: int | None


def _fast_count(value: Any) -> int | None:
    # The wire's "2604" without the general checks; anything else takes them.
    if value.__class__ is str and len(value) <= _MAX_DIGITS and value.isascii() and value.isdecimal():
        return int(value)
    return _count(value)


def parse_message(line: str | bytes) -> tuple[str, Payload] | None:
    """Parse one NDJSON line or SSE ``data:`` frame; ``None`` for anything unusable."""
    try:
        try:
            message = _fast_loads(line)
        except Exception:  # noqa: BLE001 - not strict JSON as it stands (or not text): the general path
            return _parse(line)
        if message.__class__ is not dict:
            return None
        topic = message.get("topic")
        body = message.get("payload")
        if topic.__class__ is not str or body.__class__ is not dict:
            return None
        engagement = body.get("tweet_engagement")
        if engagement is None or "config" in body or "subscriptions" in body:
            return _parse(line)
        if engagement.__class__ is not dict:
            return None
        # Plain method calls: Python 3.11 runs them faster than a bound get.
        likes = engagement.get("like_count")
        retweets = engagement.get("retweet_count")
        quotes = engagement.get("quote_count")
        replies = engagement.get("reply_count")
        views = engagement.get("view_count_info")
        view_count = view_state = None
        if views.__class__ is dict:
            view_count = views.get("count")
            if view_count is not None:
                view_count = _fast_count(view_count)
            view_state = views.get("state")
            if view_state is not None and view_state.__class__ is not str:
                if view_state.__class__ is float:
                    return _parse(line)
                view_state = _text(view_state)
        event = _Draft()
        event.like_count = None if likes is None else _fast_count(likes)
        event.retweet_count = None if retweets is None else _fast_count(retweets)
        event.view_count = view_count
        event.view_count_state = view_state
        event.quote_count = None if quotes is None else _fast_count(quotes)
        event.reply_count = None if replies is None else _fast_count(replies)
        event.__class__ = TweetEngagementEvent  # type: ignore[assignment]
        return topic, _new_payload(Payload, (None, None, event, None, None))
    except Exception:  # noqa: BLE001 - total by contract: a bad line must never stop the stream
        return None
