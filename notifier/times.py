"""How notifier shows a moment: always with its zone, formatted in this one place.

A time without a zone is a guess for the reader: a recording made in UTC,
replayed on a laptop in Berlin, and quiet hours in New York cannot all be
"13:12". So every time notifier prints for people goes through
:func:`format_time` and names its zone (``2025-06-03 15:12:03 CEST``), and
every time written for programs goes through :func:`iso_utc`
(``2025-06-03T13:12:03.574Z``).

For people the zone is the machine's (:func:`local_zone`) unless a target's
``tz:`` applies: its quiet hours and digests speak its own wall clock. The
zone depends on nothing but the moment and the zone, so ``notifier replay``
and ``notifier run --replay --dry-run`` print the same alert at the same time.
"""

from __future__ import annotations

import functools
import os
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["format_time", "iso_utc", "local_zone", "zone_label"]


@functools.lru_cache(maxsize=1)
def local_zone() -> tzinfo:
    """The machine's time zone, with its DST rules (UTC when it cannot be found).

    ``TZ`` wins when it names a zone; then ``/etc/localtime``. In a container
    both are usually UTC, which is why rule files should say ``tz:``.
    """
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        with open("/etc/localtime", "rb") as file:
            return ZoneInfo.from_file(file, key="localtime")
    except (OSError, ValueError):
        return UTC


def zone_label(moment: datetime) -> str:
    """``CEST``, ``UTC``, or ``+05:30`` where the zone has no name of letters (``-03``, ``UTC+05:30``)."""
    name = moment.tzname() or ""
    if name.isalpha():
        return name
    offset = moment.utcoffset()
    minutes = round(offset.total_seconds() / 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def format_time(ts: float, zone: tzinfo | None = None, *, date: bool = True, seconds: bool = True) -> str:
    """Epoch seconds ``ts`` for people: ``2025-06-03 15:12:03 CEST``.

    ``zone`` defaults to the machine's; ``date=False`` leaves the day out
    (``15:12:03 CEST``), ``seconds=False`` the seconds (``15:12 CEST``).
    """
    moment = datetime.fromtimestamp(ts, zone if zone is not None else local_zone())
    shown = ("%Y-%m-%d " if date else "") + ("%H:%M:%S" if seconds else "%H:%M")
    return f"{moment.strftime(shown)} {zone_label(moment)}"


def iso_utc(ts: float, *, millis: bool = True) -> str:
    """Epoch seconds ``ts`` for programs: ``2025-06-03T13:12:03.574Z`` (UTC; ``millis=False``: to the second)."""
    moment = datetime.fromtimestamp(ts, UTC)
    fraction = f".{moment.microsecond // 1000:03d}" if millis else ""
    return f"{moment:%Y-%m-%dT%H:%M:%S}{fraction}Z"
