"""Durations as people write them and read them: one parser, one formatter.

Rule files, flags and messages all speak of time spans: ``cooldown: 10m``,
``--for 9m50s``, "retrying in 30 s", "catch-up after 12 min outage",
"a gain within 10 minutes". :func:`parse_duration` reads every one of them and
:func:`format_duration` writes every one, so a span reads the same wherever
notifier shows it.
"""

from __future__ import annotations

import re

__all__ = ["format_duration", "parse_duration", "suggest_duration"]

_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
# One or more <number><unit> parts, largest first by convention: 9m50s, 1h30m, 1.5h, 250ms.
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|d|h|m|s)")
_WORDS = ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))
# Units as people spell them out: "10 minutes", "1 hr 30 min", "2 weeks".
_SPELLED = {
    **dict.fromkeys(("ms", "msec", "millisecond", "milliseconds"), "ms"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "s"),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "m"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("d", "day", "days"), "d"),
    **dict.fromkeys(("w", "wk", "week", "weeks"), "w"),
}
_SPELLED_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*(?:,|and)?")


def parse_duration(text: str, *, zero: bool = False) -> float:
    """Seconds in a duration such as ``30s``, ``10m``, ``9m50s``, ``2h`` or ``1d``.

    ``zero`` allows ``0s`` (a cooldown of nothing). Raises ValueError saying
    what a valid duration looks like.
    """
    cleaned = text.strip().lower() if isinstance(text, str) else ""
    position = 0
    total = 0.0
    for match in _PART.finditer(cleaned):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if not cleaned or position != len(cleaned) or total < 0 or (total == 0 and not zero):
        meant = suggest_duration(text) if isinstance(text, str) else None
        if meant is not None:
            raise ValueError(
                f"invalid duration {text!r}: write {meant} (a number with a unit, such as 30s, 10m, "
                "9m50s, 2h or 1d)"
            )
        raise ValueError(
            f"invalid duration {text!r}: use a number with a unit, such as 30s, 10m, "
            "9m50s, 2h or 1d"
        )
    return total


def suggest_duration(text: str) -> str | None:
    """``10 minutes`` -> ``10m``, ``1 hour 30 min`` -> ``1h30m``, ``2 weeks`` -> ``14d``; else None."""
    cleaned = text.strip().lower()
    parts: list[str] = []
    position = 0
    for match in _SPELLED_PART.finditer(cleaned):
        if match.start() != position or match.group(2) not in _SPELLED:
            return None
        number, unit = match.group(1), _SPELLED[match.group(2)]
        if unit == "w":
            number, unit = f"{float(number) * 7:g}", "d"
        parts.append(number + unit)
        position = match.end()
    if not parts or position != len(cleaned):
        return None
    meant = "".join(parts)
    return None if meant == cleaned else meant


def format_duration(seconds: float, *, words: bool = False) -> str:
    """A span as people say it.

    Short (the default), for logs and labels: ``0.4 s``, ``45 s``, ``12 min``,
    ``2 h 5 min``, ``3 d 4 h``; below two of a unit it stays in the smaller one.
    ``words``, for alert texts: ``10 minutes``, ``1 hour 30 minutes``.
    """
    if words:
        remaining = int(round(seconds))
        if remaining <= 0:
            return f"{seconds:g} seconds"
        pieces = []
        for size, unit in _WORDS:
            count, remaining = divmod(remaining, size)
            if count:
                pieces.append(f"{count} {unit}{'s' if count != 1 else ''}")
        return " ".join(pieces)
    if 0 < seconds < 10 and seconds != int(seconds):
        return f"{seconds:.1f} s"
    whole = max(int(round(seconds)), 0)
    if whole < 120:
        return f"{whole} s"
    minutes = whole // 60
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
