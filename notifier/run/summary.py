"""What a replay or a dry run did, in a few lines at its end: alerts by rule, what waited.

``notifier replay`` and ``notifier run --dry-run`` print the alerts one by
one; the summary answers the questions a reader has once they scrolled past:
how many, from which rules, and what quiet hours or a budget held back::

    1,799 events, 18 alerts
        7  Like milestones
        3  Repost milestones
      phone: 1 alert held by quiet hours

Counting is pure: the caller hands in the alerts that fired and, after a dry
run, the outbox rows of its deliveries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..alert import Alert
from ..delivery.digest import DIGEST_KIND

if TYPE_CHECKING:
    from ..delivery.outbox_rows import OutboxRow

__all__ = ["Held", "Summary", "held_back", "rule_counts"]

_REASONS = {"quiet": "quiet hours", "budget": "its budget"}


@dataclass(frozen=True, slots=True)
class Held:
    """Alerts a target's policy held back, and the digests they went out in."""

    target: str
    reason: str  # "quiet" or "budget"
    alerts: int
    digests: int = 0


@dataclass(frozen=True, slots=True)
class Summary:
    """Alerts by rule (most first, then in the order they first fired), and what waited."""

    events: int
    alerts: int
    by_rule: tuple[tuple[str, int], ...]
    held: tuple[Held, ...] = ()

    @classmethod
    def of(cls, events: int, alerts: int, counts: Mapping[str, int], held: Iterable[Held] = ()) -> Summary:
        """``counts``: alerts per rule, in the order the rules first fired (see :func:`rule_counts`).

        A catch-up alert counts once in ``alerts`` and once for each rule it folds.
        """
        order = {rule: index for index, rule in enumerate(counts)}
        ranked = sorted(counts.items(), key=lambda item: (-item[1], order[item[0]]))
        return cls(events, alerts, tuple(ranked), tuple(held))

    def headline(self) -> str:
        """``1,799 events, 18 alerts``."""
        return f"{_count(self.events, 'event')}, {_count(self.alerts, 'alert')}"

    def details(self) -> list[str]:
        """One indented line per rule that fired, then one per target that held alerts back."""
        width = len(f"{max((count for _, count in self.by_rule), default=0):,}")
        lines = [f"  {count:>{width},}  {rule}" for rule, count in self.by_rule]
        for held in self.held:
            line = f"  {held.target}: {_count(held.alerts, 'alert')} held by {_REASONS.get(held.reason, held.reason)}"
            if held.digests:
                line += f", sent as {_count(held.digests, 'digest')}"
            lines.append(line)
        return lines


def rule_counts(alerts: Iterable[Alert]) -> Counter[str]:
    """Alerts per rule, in the order the rules first fired."""
    # A catch-up alert folds several rules' milestones: each rule counts it, as metrics do.
    return Counter(rule for alert in alerts for rule in (alert.rules or (alert.rule,)))


def held_back(rows: Iterable[OutboxRow], name_of: Callable[[str], str]) -> list[Held]:
    """What quiet hours and budgets held back, per target (``name_of`` names a target key).

    A row keeps the first reason it was held for, and points to the digest it
    was folded into, so the outbox of a finished run tells the whole story.
    """
    rows = list(rows)
    digest_ids = {row.id for row in rows if row.alert.kind == DIGEST_KIND}
    held: Counter[tuple[str, str]] = Counter()
    digests: dict[tuple[str, str], set[int]] = {}
    for row in rows:
        if row.alert.kind == DIGEST_KIND or row.held not in _REASONS:
            continue
        key = (name_of(row.target), row.held)
        held[key] += 1
        if row.digest_id in digest_ids:
            digests.setdefault(key, set()).add(row.digest_id)
    return [
        Held(target, reason, count, len(digests.get((target, reason), ())))
        for (target, reason), count in held.items()
    ]


def _count(number: int, word: str) -> str:
    return f"{number:,} {word}{'' if number == 1 else 's'}"
