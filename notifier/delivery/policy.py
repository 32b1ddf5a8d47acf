"""Delivery policies, as pure values: quiet hours and send budgets of a target, options of a rule.

A target's :class:`TargetPolicy` says when it may be sent to:

* **quiet hours** (:class:`QuietWindow`): a daily window of local wall-clock
  time, such as ``22:00-07:00`` in ``Europe/Berlin``. Alerts that arrive inside
  it wait until it ends. Windows may cross midnight, and the end is found on the
  wall clock of the target's zone, so a window ending at 07:00 ends at 07:00 on
  the days the clocks change too (the night is an hour shorter or longer).
* a **budget** (:class:`Budget`): at most N sends in any sliding period, such
  as ``5/h``. Alerts beyond it wait until the oldest send in the period ages out.

Nothing here reads a clock or stores anything: every method takes ``now`` (epoch
seconds) and, for budgets, the times of earlier sends. What a policy does with
the alerts due for a target is decided in :mod:`notifier.delivery.plan`.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ..counts import parse_count
from ..times import local_zone
from .policyfix import suggest_budget, suggest_quiet, suggest_zone

__all__ = [
    "Budget",
    "PolicyError",
    "QuietWindow",
    "TargetPolicy",
    "local_zone",
    "next_wall_time",
    "parse_budget",
    "parse_quiet",
    "zone",
]

_DAY = 86400
_TIME = r"(\d{1,2}):(\d{2})(?::(\d{2}))?"
_WINDOW = re.compile(rf"^\s*{_TIME}\s*[-–]\s*{_TIME}\s*$")
# The count as people write counts (5, 1,000, 1k: notifier.counts), a slash, an optional number, a unit.
_RATE = re.compile(r"^\s*(\d[\d,_]*(?:\.\d+)?\s*[kKmM]?)\s*/\s*(\d+(?:\.\d+)?)?\s*([smhd])\s*$")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_UNIT_NAMES = {1.0: "s", 60.0: "m", 3600.0: "h", 86400.0: "d"}


class PolicyError(ValueError):
    """A policy value that cannot be used: ``what`` is wrong, ``fix`` says how to write it."""

    def __init__(self, what: str, fix: str) -> None:
        super().__init__(f"{what} — {fix}")
        self.what = what
        self.fix = fix


# ------------------------------------------------------------------ time zones


def zone(name: str | None) -> tzinfo:
    """The zone called ``name`` (an IANA name such as ``Europe/Berlin``); the machine's for None."""
    if name is None:
        return local_zone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    offered = suggest_zone(name)
    if offered:
        # UTC-5 is no zone name; taking it for UTC would shift quiet hours by five hours.
        fix = f"did you mean {' or '.join(offered)}?"
        etc = [option for option in offered if option.startswith("Etc/")]
        if etc:
            fix += f" ({etc[0]} is {name.strip()} all year: these POSIX names invert the sign"
            fix += "; the city's zone also follows its daylight saving time)" if len(offered) > 1 else ")"
        raise PolicyError(f"unknown time zone '{name}'", fix)
    close = difflib.get_close_matches(name, _zone_names(), n=1, cutoff=0.6)
    fix = f"did you mean '{close[0]}'?" if close else "use an IANA zone name such as Europe/Berlin or America/New_York"
    if not _zone_names():
        fix = "this machine has no time zone database: install the tzdata package (pip install tzdata)"
    raise PolicyError(f"unknown time zone '{name}'", fix)


@functools.lru_cache(maxsize=1)
def _zone_names() -> tuple[str, ...]:
    try:
        return tuple(sorted(available_timezones()))
    except Exception:  # noqa: BLE001 - only used for a suggestion
        return ()


def _first_instant_at(day: date, seconds: int, tz: tzinfo, after: float) -> float:
    """The first instant after ``after`` at which the wall clock of ``tz`` shows ``day`` + ``seconds``.

    A wall time the clocks skip (spring forward) is reached at the jump; one they
    show twice (fall back) is taken the first time it comes after ``after``.
    """
    wall = datetime.combine(day, time()) + timedelta(seconds=seconds)
    for fold in (0, 1):
        local = wall.replace(tzinfo=tz, fold=fold)
        instant = local.timestamp()
        if datetime.fromtimestamp(instant, tz).replace(tzinfo=None) != wall:
            return _jump_reaching(wall, tz, wall.replace(tzinfo=tz, fold=1).timestamp(), instant)
        if instant > after:
            return instant
    # Both readings of an ambiguous wall time are past: the next day's.
    return _first_instant_at(day + timedelta(days=1), seconds, tz, after)


def next_wall_time(now: float, seconds: int, tz: tzinfo) -> float:
    """The first instant after ``now`` when the wall clock of ``tz`` shows ``seconds`` past midnight.

    The rule of quiet hours' ends, shared with ``mute until 07:00``: a skipped
    wall time is reached at the jump, a repeated one the first time it comes.
    """
    return _first_instant_at(datetime.fromtimestamp(now, tz).date(), seconds, tz, now)


def _jump_reaching(wall: datetime, tz: tzinfo, low: float, high: float) -> float:
    """The instant the clock jumps over the skipped ``wall``: the first second it shows ``wall`` or later."""
    low, high = min(low, high), max(low, high)
    low_s, high_s = math.floor(low), math.ceil(high)
    while low_s < high_s:
        middle = (low_s + high_s) // 2
        if datetime.fromtimestamp(middle, tz).replace(tzinfo=None) >= wall:
            high_s = middle
        else:
            low_s = middle + 1
    return float(high_s)


# ------------------------------------------------------------------ quiet hours


@dataclass(frozen=True, slots=True)
class QuietWindow:
    """A daily window of wall-clock time, ``start`` inclusive, ``end`` exclusive, in seconds of the day.

    ``end`` before ``start`` means the window crosses midnight (22:00-07:00).
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start < _DAY and 0 <= self.end < _DAY) or self.start == self.end:
            raise ValueError("a quiet window needs two different times of day")

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start

    def contains(self, seconds_of_day: float) -> bool:
        """Whether a wall-clock time (seconds since local midnight) is inside the window."""
        if self.crosses_midnight:
            return seconds_of_day >= self.start or seconds_of_day < self.end
        return self.start <= seconds_of_day < self.end

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


def parse_quiet(text: object) -> QuietWindow:
    """Read ``HH:MM-HH:MM`` (24-hour clock; ``24:00`` is midnight; ``HH:MM:SS`` works too)."""
    shown = str(text).strip() if text is not None else ""
    example = 'write quiet: "22:00-07:00" (24-hour HH:MM-HH:MM, in the target\'s tz)'
    match = _WINDOW.match(shown) if isinstance(text, str) else None
    if match is None:
        meant = suggest_quiet(shown)
        if meant is not None:
            example = f'write quiet: "{meant}" (24-hour HH:MM-HH:MM, in the target\'s tz)'
        raise PolicyError(f"quiet '{shown}' is not a time window", example)
    times = []
    for hours, minutes, seconds in (match.group(1, 2, 3), match.group(4, 5, 6)):
        hour, minute, second = int(hours), int(minutes), int(seconds or 0)
        if minute > 59 or second > 59 or hour > 24 or (hour == 24 and (minute or second)):
            written = f"{hours}:{minutes}" + (f":{seconds}" if seconds else "")
            raise PolicyError(f"quiet '{shown}': {written} is not a time of day", example)
        times.append((hour * 3600 + minute * 60 + second) % _DAY)
    start, end = times
    if start == end:
        raise PolicyError(
            f"quiet '{shown}' starts when it ends, so it is empty",
            "give the time it starts and the later time it ends, such as 22:00-07:00",
        )
    return QuietWindow(start, end)


def _clock(seconds: int) -> str:
    text = f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
    return f"{text}:{seconds % 60:02d}" if seconds % 60 else text


# ---------------------------------------------------------------------- budget


@dataclass(frozen=True, slots=True)
class Budget:
    """At most ``count`` sends in any period of ``per`` seconds (a sliding window)."""

    count: int
    per: float

    def __post_init__(self) -> None:
        if self.count < 1 or self.per <= 0:
            raise ValueError("a budget needs a count of at least 1 and a positive period")

    def recent(self, sent_times: Iterable[float], now: float) -> list[float]:
        """The sends that count at ``now``: those after ``now - per``, oldest first."""
        return sorted(t for t in sent_times if t > now - self.per)

    def left(self, sent_times: Iterable[float], now: float) -> int:
        """How many more sends fit at ``now`` (0 when the budget is used up)."""
        return max(0, self.count - len(self.recent(sent_times, now)))

    def frees_at(self, sent_times: Iterable[float], now: float) -> float:
        """The first moment from ``now`` on at which one more send fits."""
        recent = self.recent(sent_times, now)
        if len(recent) < self.count:
            return now
        # Once this many of the oldest have aged out, one fewer than count remain.
        return recent[len(recent) - self.count] + self.per

    def __str__(self) -> str:
        unit = _UNIT_NAMES.get(self.per)
        if unit is not None:
            return f"{self.count}/{unit}"
        for seconds, name in sorted(_UNIT_NAMES.items(), reverse=True):
            if self.per % seconds == 0:
                return f"{self.count}/{self.per / seconds:g}{name}"
        return f"{self.count}/{self.per:g}s"


def parse_budget(text: object) -> Budget:
    """Read ``N/h``, ``N/m``, ``N/d`` (or ``N/30m``) into a :class:`Budget`."""
    shown = str(text).strip() if text is not None else ""
    example = "write budget: 5/h (at most 5 sends per hour; also /m, /d, or a period such as /30m)"
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        raise PolicyError(f"budget {shown} has no period", example)
    match = _RATE.match(shown.lower()) if isinstance(text, str) else None
    if match is None:
        meant = suggest_budget(shown)
        if meant is not None:
            example = f"write budget: {meant} (at most {meant.split('/')[0]} sends per period)"
        raise PolicyError(f"budget '{shown}' is not a rate", example)
    value = parse_count(match[1])
    if value is None or value != value.to_integral_value():
        raise PolicyError(f"budget '{shown}' does not start with a whole number of sends", example)
    count = int(value)
    per = float(match[2] or 1) * _UNITS[match[3]]
    if count < 1:
        raise PolicyError(
            f"budget '{shown}' lets nothing through",
            "allow at least one send, such as 1/h, or remove budget: to send everything",
        )
    if per <= 0:
        raise PolicyError(f"budget '{shown}' has an empty period", example)
    return Budget(count, per)


# ---------------------------------------------------------------------- policy


@dataclass(frozen=True, slots=True)
class TargetPolicy:
    """When a target may be sent to: its quiet hours (in ``tz``) and its budget.

    ``tz`` is an IANA zone name; None means the machine's zone. The default
    policy (no quiet hours, no budget) lets everything through at once.
    """

    quiet: QuietWindow | None = None
    tz: str | None = None
    budget: Budget | None = None

    def __post_init__(self) -> None:
        zone(self.tz)  # an unknown zone fails here, not at the first alert at night

    @property
    def active(self) -> bool:
        """Whether the policy can ever hold a send back."""
        return self.quiet is not None or self.budget is not None

    @property
    def zone(self) -> tzinfo:
        return zone(self.tz)

    def in_quiet(self, now: float) -> bool:
        """Whether ``now`` is inside the quiet window (on the wall clock of ``tz``)."""
        if self.quiet is None:
            return False
        local = datetime.fromtimestamp(now, self.zone)
        seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        return self.quiet.contains(seconds)

    def quiet_ends(self, now: float) -> float:
        """When the quiet window around ``now`` ends (epoch seconds); ``now`` itself if not quiet."""
        if self.quiet is None or not self.in_quiet(now):
            return now
        tz = self.zone
        local = datetime.fromtimestamp(now, tz)
        seconds = local.hour * 3600 + local.minute * 60 + local.second
        day = local.date()
        if self.quiet.crosses_midnight and seconds >= self.quiet.start:
            day += timedelta(days=1)  # the evening part: it ends tomorrow morning
        return _first_instant_at(day, self.quiet.end, tz, now)

    def budget_left(self, sent_times: Iterable[float], now: float) -> float:
        """How many more sends fit at ``now`` (infinite without a budget)."""
        return math.inf if self.budget is None else self.budget.left(sent_times, now)

    def describe(self) -> str:
        """``quiet 22:00-07:00 Europe/Berlin, budget 5/h`` (empty for the default policy)."""
        parts = []
        if self.quiet is not None:
            parts.append(f"quiet {self.quiet} {self.tz or 'local time'}")
        if self.budget is not None:
            parts.append(f"budget {self.budget}")
        return ", ".join(parts)
