"""Recordings: the stream's own lines, kept with the time each arrived.

A recording is the stream's own lines (NDJSON, or SSE ``data:`` frames), one
message per line, each optionally with a ``"ts"`` field: the epoch seconds at
which it arrived. ``notifier record`` writes them (:func:`record_line`);
``notifier replay`` and ``run --replay`` read them (:func:`read_recorded`), and
that ``ts`` is their clock: a line without one keeps the previous line's time
(0 before the first). Files are read through :func:`bounded_lines`: a line
over :data:`~notifier.stream.sse.MAX_LINE` (1 MB, as on the live stream) is
refused with a warning and counted as malformed, never read whole.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from .events import Payload
from .parse import parse_message
from .sse import MAX_LINE, is_keepalive, message_text

__all__ = [
    "EXAMPLE_LINE",
    "RecordedEvent",
    "bounded_lines",
    "event_line",
    "line_ts",
    "no_messages",
    "read_recorded",
    "record_line",
]

log = logging.getLogger(__name__)

# One line of a recording, as `notifier record` writes it: shown when a file has none.
EXAMPLE_LINE = (
    '{"ts":1748955601.0,"topic":"/tweet_engagement/1850000000000000000",'
    '"payload":{"tweet_engagement":{"like_count":"180","retweet_count":"38"}}}'
)

# What an overlong line is read as: no stream message, so read_recorded skips and counts it.
_OVERLONG = "\0 a line over the size bound"


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


def bounded_lines(file: IO[str], name: str, limit: int = MAX_LINE) -> Iterator[str]:
    """The lines of ``file`` (shown as ``name``), none longer than ``limit`` characters.

    A longer line (a broken recording, ``/dev/zero``) is read past in pieces of
    at most ``limit``, reported with its number, and given as a line that is
    no stream message, so that the reader counts it as malformed.
    """
    number = 0
    while line := file.readline(limit + 1):
        number += 1
        if len(line) <= limit or line.endswith("\n"):
            yield line
            continue
        while (rest := file.readline(limit)) and not rest.endswith("\n"):
            pass
        log.warning(
            "%s:%d: a line over %d MB, which no stream message is; skipped", name, number, limit >> 20,
            extra={"event": "line_too_long"},
        )
        yield _OVERLONG


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


def no_messages(name: str, skipped: int) -> str:
    """Why a recording gave no event, and what one of its lines should look like."""
    if skipped:
        found = "its one line is not" if skipped == 1 else f"none of its {skipped:,} lines is"
        found += " a stream message"
    else:
        found = "it is empty, or holds only blank lines and comments"
    return (
        f"{name} has no stream messages to replay: {found} — each line is one JSON message of the "
        f"stream (an optional \"ts\" is its time in epoch seconds), as notifier record writes them:\n"
        f"  {EXAMPLE_LINE}"
    )


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
