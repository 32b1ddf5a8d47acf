"""The one mute: everything until a time (or until unmuted), and single rules until a time.

A mute from a phone's button, from ``notifier mute`` or from Home Assistant's
switch is this one value. It is pure: times are epoch seconds from the
caller's clock, and the state file keeps it as :meth:`Mute.to_entry`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from types import MappingProxyType
from typing import Any

from ..times import format_time

__all__ = ["FOREVER", "Mute"]

# "Until unmuted": Home Assistant's switch, which has no end of its own.
FOREVER = math.inf


def _no_rules() -> Mapping[str, float]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Mute:
    """Everything muted ``until`` (None: not muted; :data:`FOREVER`: until unmuted), and ``rules`` by name."""

    until: float | None = None
    rules: Mapping[str, float] = field(default_factory=_no_rules)

    def everything(self, now: float) -> bool:
        """Whether every alert (but health and urgent ones) is held at ``now``."""
        return self.until is not None and now < self.until

    def ends_for(self, rule: str, now: float) -> float | None:
        """When an alert of ``rule`` may go again (None: it is not muted at ``now``)."""
        ends = [end for end in (self.until, self.rules.get(rule)) if end is not None and now < end]
        return max(ends) if ends else None

    def active(self, now: float) -> bool:
        """Whether anything is muted at ``now``."""
        return self.everything(now) or any(now < end for end in self.rules.values())

    def current(self, now: float) -> Mute:
        """This mute without the parts that ended by ``now``."""
        until = self.until if self.everything(now) else None
        rules = {name: end for name, end in self.rules.items() if now < end}
        return Mute(until, MappingProxyType(rules))

    def next_end(self, now: float) -> float | None:
        """The next time a part of this mute ends (None: nothing ends, or nothing is muted)."""
        ends = [end for end in (self.until, *self.rules.values()) if end is not None and now < end < FOREVER]
        return min(ends) if ends else None

    def muting(self, until: float, rule: str | None = None) -> Mute:
        """This mute with everything (or ``rule``) muted until ``until``; a later command replaces an earlier."""
        if rule is None:
            return Mute(until, self.rules)
        return Mute(self.until, MappingProxyType({**self.rules, rule: until}))

    def describe(self, now: float, zone: tzinfo) -> str:
        """``muted until 07:00 CET``, ``muted until unmuted``, ``rule 'Likes' muted until …``, or ``not muted``."""
        parts: list[str] = []
        if self.everything(now):
            parts.append("muted until unmuted" if self.until == FOREVER else f"muted until {_when(self.until, now, zone)}")
        for name, end in sorted(self.rules.items()):
            if now < end:
                parts.append(f"rule {name!r} muted until {_when(end, now, zone)}")
        return ", ".join(parts) if parts else "not muted"

    # -- the state file ------------------------------------------------------------------

    def to_entry(self) -> dict[str, Any]:
        """The JSON object the state file keeps (JSON has no infinity: "until unmuted" is ``"off"``)."""
        entry: dict[str, Any] = {"rules": dict(self.rules)}
        if self.until is not None:
            entry["until"] = "off" if self.until == FOREVER else self.until
        return entry

    @classmethod
    def from_entry(cls, entry: object) -> Mute:
        """Read :meth:`to_entry`'s object; anything unreadable in it is left out (not muted)."""
        if not isinstance(entry, Mapping):
            return cls()
        raw = entry.get("until")
        until = FOREVER if raw == "off" else float(raw) if _number(raw) else None
        rules = entry.get("rules")
        found = {str(name): float(end) for name, end in rules.items() if _number(end)} if isinstance(rules, Mapping) else {}
        return cls(until, MappingProxyType(found))


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _when(ts: float, now: float, zone: tzinfo) -> str:
    shown = format_time(ts, zone, date=False, seconds=False)
    same_day = datetime.fromtimestamp(ts, zone).date() == datetime.fromtimestamp(now, zone).date()
    return shown if same_day else f"{datetime.fromtimestamp(ts, zone):%a} {shown}"
