"""Turn one line of the live_pipeline stream into ``(topic, Payload)``.

Pure and total: whatever bytes arrive, ``parse_message`` returns a value or
``None``; it never raises. The daemon counts the ``None`` results as malformed
lines and carries on.
"""

from __future__ import annotations

import json
from typing import Any

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


def parse_message(line: str | bytes) -> tuple[str, Payload] | None:
    """Parse one NDJSON line or SSE ``data:`` frame; ``None`` for anything unusable."""
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
