"""The commands notifier obeys, read from text: ``mute 1h``, ``mute until 07:00``, ``mute rule NAME 1d``, ``unmute``, ``status``.

The same words come from a phone's button (published to the control topic)
and from ``notifier mute …`` on the command line; :func:`parse` reads them
both. It is pure: the caller gives ``now``, the zone a time of day is read
in, and the names of the rules. Anything else is :class:`Ignored`, with the
reason a log line gives; no command can touch rules, targets or files, since
there is none that could.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import time, tzinfo
from typing import Final

from ..delivery.policy import next_wall_time
from ..durations import parse_duration

__all__ = ["MAX_COMMAND", "MAX_MUTE", "Command", "Ignored", "MuteFor", "Status", "Unmute", "parse"]

# A command is a few words; a longer message is not one (and is not read).
MAX_COMMAND: Final = 200
# A longer mute is a mistake (mute 100d): notifier that stays silent for months is broken.
MAX_MUTE: Final = 30 * 86400.0
_TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class MuteFor:
    """Mute everything (``rule`` None) or one rule until ``until`` (epoch seconds)."""

    until: float
    rule: str | None = None


@dataclass(frozen=True, slots=True)
class Unmute:
    """End the mute: all of it (``rule`` None), or one rule's."""

    rule: str | None = None


@dataclass(frozen=True, slots=True)
class Status:
    """Say what notifier watches, whether it is muted, and its last alert."""


@dataclass(frozen=True, slots=True)
class Ignored:
    """Not a command: ``reason`` says why (for one log line)."""

    reason: str


Command = MuteFor | Unmute | Status


def parse(text: object, *, now: float, zone: tzinfo, rules: Collection[str] | None = ()) -> Command | Ignored:
    """The command in ``text``, or why it is none. Words are case-insensitive; rule names are matched too.

    ``rules`` None takes any rule name as written (the command line without a rule file).
    """
    if not isinstance(text, str):
        return Ignored("not text")
    if len(text) > MAX_COMMAND:
        return Ignored(f"over {MAX_COMMAND} characters")
    words = text.split()
    if not words:
        return Ignored("empty")
    verb, rest = words[0].lower(), words[1:]
    if verb == "status" and not rest:
        return Status()
    if verb == "unmute":
        if not rest:
            return Unmute()
        if rest[0].lower() == "rule" and len(rest) > 1:
            name = _rule(" ".join(rest[1:]), rules)
            return Unmute(name) if name is not None else Ignored("no rule of that name")
        return Ignored("unmute takes nothing, or rule NAME")
    if verb != "mute" or not rest:
        return Ignored("not a command (mute 1h, mute until 07:00, mute rule NAME 1d, unmute, status)")
    rule: str | None = None
    if rest[0].lower() == "rule":
        if len(rest) < 3:
            return Ignored("mute rule needs a name and a duration (mute rule NAME 1d)")
        when = rest[-2:] if len(rest) >= 4 and rest[-2].lower() == "until" else rest[-1:]
        rule = _rule(" ".join(rest[1 : len(rest) - len(when)]), rules)
        if rule is None:
            return Ignored("no rule of that name")
        rest = when
    until = _until(rest, now, zone)
    if isinstance(until, Ignored):
        return until
    return MuteFor(until, rule)


def _until(words: list[str], now: float, zone: tzinfo) -> float | Ignored:
    if len(words) == 2 and words[0].lower() == "until":
        match = _TIME_OF_DAY.match(words[1])
        if match is None:
            return Ignored("mute until needs a time of day (mute until 07:00)")
        return next_time_of_day(now, time(int(match.group(1)), int(match.group(2))), zone)
    if len(words) != 1:
        return Ignored("mute takes one duration (mute 1h) or until HH:MM")
    try:
        seconds = parse_duration(words[0])
    except ValueError:
        return Ignored("not a duration (mute 1h, mute 30m, mute 1d)")
    if seconds > MAX_MUTE:
        return Ignored("longer than 30 days")
    return now + seconds


def next_time_of_day(now: float, at: time, zone: tzinfo) -> float:
    """The first moment after ``now`` when the wall clock of ``zone`` shows ``at`` (quiet hours' own rule).

    On the night the clocks change, a time that does not exist is reached when the clock jumps.
    """
    return next_wall_time(now, at.hour * 3600 + at.minute * 60, zone)


def _rule(name: str, rules: Collection[str] | None) -> str | None:
    """The rule called ``name`` (quotes around it allowed; case-insensitive), None if there is none."""
    written = name.strip().strip("\"'").strip()
    if rules is None:
        return written or None
    wanted = written.casefold()
    for known in rules:
        if known.casefold() == wanted:
            return known
    return None
