"""What a policy value people write probably means, in the form notifier reads.

``quiet: "11pm-7am"``, ``budget: 10/day`` and ``tz: UTC-5`` are refused (a
guess could shift quiet hours by hours), but the refusal offers the value in
the user's own numbers: ``"23:00-07:00"``, ``10/d``, ``America/New_York`` or
``Etc/GMT+5``. Each function here returns that suggestion, or None.
"""

from __future__ import annotations

import re

__all__ = ["suggest_budget", "suggest_quiet", "suggest_zone"]

_CLOCK = r"(\d{1,2})(?:[:.h]?(\d{2}))?\s*(a\.?m\.?|p\.?m\.?|h)?"
_LOOSE_WINDOW = re.compile(rf"^\s*{_CLOCK}\s*(?:-|–|—|to|until|till)\s*{_CLOCK}\s*$", re.IGNORECASE)

_PERIODS = {
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "d": "d", "day": "d", "days": "d",
    "w": "w", "wk": "w", "week": "w", "weeks": "w",
}
_LOOSE_RATE = re.compile(
    r"^\s*(\d+)\s*(?:/|per|a|an|every|each|in)\s*(\d+(?:\.\d+)?)?\s*([a-z]+)\s*$", re.IGNORECASE,
)

_OFFSET = re.compile(r"^\s*(?:utc|gmt|z)?\s*([+-−])\s*(\d{1,2})(?::?(\d{2}))?\s*$", re.IGNORECASE)
# A city of each common offset, as its standard (winter) time; its clocks change for DST where they do.
_CITIES = {
    -600: "Pacific/Honolulu", -540: "America/Anchorage", -480: "America/Los_Angeles",
    -420: "America/Denver", -360: "America/Chicago", -300: "America/New_York", -240: "America/Halifax",
    -210: "America/St_Johns", -180: "America/Sao_Paulo", 0: "Europe/London", 60: "Europe/Berlin",
    120: "Europe/Athens", 180: "Europe/Moscow", 240: "Asia/Dubai", 300: "Asia/Karachi",
    330: "Asia/Kolkata", 345: "Asia/Kathmandu", 360: "Asia/Dhaka", 420: "Asia/Bangkok",
    480: "Asia/Singapore", 540: "Asia/Tokyo", 570: "Australia/Darwin", 600: "Australia/Sydney",
    720: "Pacific/Auckland",
}
# Abbreviations people write that are no zone name of their own.
_ABBREVIATIONS = {
    "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles", "MDT": "America/Denver",
    "CST": "America/Chicago", "CDT": "America/Chicago", "EDT": "America/New_York",
    "BST": "Europe/London", "CEST": "Europe/Berlin", "EEST": "Europe/Athens", "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo", "AEST": "Australia/Sydney", "AEDT": "Australia/Sydney",
}


def suggest_quiet(text: str) -> str | None:
    """``11pm-7am`` -> ``23:00-07:00``; ``22h-7h``, ``22.30 to 6`` and the like too."""
    match = _LOOSE_WINDOW.match(text)
    if match is None:
        return None
    times = []
    for hours, minutes, mark in (match.group(1, 2, 3), match.group(4, 5, 6)):
        hour, minute = int(hours), int(minutes or 0)
        meridiem = (mark or "").lower().replace(".", "")
        if meridiem in ("am", "pm"):
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if meridiem == "pm" else 0)
        if hour > 24 or minute > 59:
            return None
        times.append(f"{hour % 24:02d}:{minute:02d}")
    if times[0] == times[1]:
        return None
    return f"{times[0]}-{times[1]}"


def suggest_budget(text: str) -> str | None:
    """``10/day`` -> ``10/d``; ``10 per hour`` -> ``10/h``; ``10/week`` -> ``10/7d``."""
    match = _LOOSE_RATE.match(text)
    if match is None:
        return None
    unit = _PERIODS.get(match[3].lower())
    if unit is None:
        return None
    count, amount = match[1], match[2]
    if unit == "w":
        days = float(amount or 1) * 7
        return f"{count}/{days:g}d"
    return f"{count}/{amount or ''}{unit}"


def suggest_zone(text: str) -> tuple[str, ...]:
    """Zone names for ``UTC-5``, ``GMT+2``, ``UTC-05:00`` or ``PST``: a city's first, then Etc/GMT.

    POSIX names invert the sign: UTC-5 is ``Etc/GMT+5``. Empty when ``text`` is
    no offset or abbreviation notifier knows.
    """
    name = text.strip()
    if name.upper() in _ABBREVIATIONS:
        return (_ABBREVIATIONS[name.upper()],)
    match = _OFFSET.match(name)
    if match is None:
        return ()
    sign = -1 if match[1] in "-−" else 1
    hours, minutes = int(match[2]), int(match[3] or 0)
    if minutes > 59:
        return ()
    offset = sign * (hours * 60 + minutes)
    if offset == 0:
        return ("UTC",)
    names = []
    if offset in _CITIES:
        names.append(_CITIES[offset])
    if not minutes and -12 <= sign * hours <= 14:
        names.append(f"Etc/GMT{'-' if sign > 0 else '+'}{hours}")
    return tuple(names)
