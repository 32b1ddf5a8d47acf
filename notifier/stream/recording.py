"""Recordings: the stream's own lines, kept with the time each arrived.

A recording is the stream's own lines (NDJSON, or SSE ``data:`` frames), one
message per line, each optionally with a ``"ts"`` field: the epoch seconds at
which it arrived. ``notifier record`` writes them (:func:`record_line`);
``notifier replay`` and ``run --replay`` read them (:func:`read_recorded`), and
that ``ts`` is their clock: a line without one keeps the previous line's time
(0 before the first).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .events import Payload
from .parse import parse_message
from .sse import is_keepalive, message_text

__all__ = ["RecordedEvent", "event_line", "line_ts", "read_recorded", "record_line"]


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """One usable line of a recording; ``line`` counts from 1."""

    line: int
    ts: float
    topic: str
    payload: Payload


def line_ts(line: str | bytes, previous: float) -> float:
    """The ``ts`` of a recorded line, or ``previous`` when it has none usable."""
    if isinstance(line, (bytes, bytearray)):
        line = bytes(line).decode("utf-8", errors="replace")
    if '"ts"' not in line:
        return previous
    text = message_text(line)
    if not text:
        return previous
    try:
        value = json.loads(text).get("ts")
    except (ValueError, AttributeError):
        return previous
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return previous
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return previous
    return float(value)


def read_recorded(
    lines: Iterable[str | bytes],
    *,
    start: float = 0.0,
    on_skip: Callable[[int], None] | None = None,
) -> Iterator[RecordedEvent]:
    """The events of a recording, in order, each with its clock time.

    Blank lines and SSE comments are passed over silently; any other line that
    is not a stream message is reported to ``on_skip`` with its number.
    """
    ts = start
    for number, line in enumerate(lines, 1):
        parsed = parse_message(line)
        if parsed is None:
            text = line if isinstance(line, str) else bytes(line).decode("utf-8", errors="replace")
            if on_skip is not None and not is_keepalive(text):
                on_skip(number)
            continue
        ts = line_ts(line, ts)
        topic, payload = parsed
        yield RecordedEvent(number, ts, topic, payload)


def record_line(raw: str, ts: float) -> str | None:
    """The recorded form of one raw stream message: its JSON object with ``ts`` first."""
    try:
        message = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    message.pop("ts", None)
    return json.dumps({"ts": round(ts, 3), **message}, ensure_ascii=False, separators=(",", ":"))


def event_line(topic: str, payload: Payload, ts: float) -> str:
    """The recorded form of an event notifier made itself (an inbox message, a discovery).

    It reads back as the same event: ``parse_message`` of the line gives
    ``(topic, payload)`` again.
    """
    body = {
        name: {k: v for k, v in dataclasses.asdict(value).items() if v is not None}
        for name, value in zip(payload._fields, payload)
        if value is not None
    }
    return json.dumps(
        {"ts": round(ts, 3), "topic": topic, "payload": body}, ensure_ascii=False, separators=(",", ":")
    )
