"""``milestones:`` and ``every:`` rules: announce the highest milestone a count passed."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...alert import Alert
from ..engine_state import EngineState, RuleEntry
from ..model import Every, Milestones, Rule, field_label
from .. import texts
from .base import FIELD_BITS, CompiledRule

if TYPE_CHECKING:  # pragma: no cover
    from ..plans import Watch

__all__ = ["MilestoneRule"]

_NEVER = float("inf")



class MilestoneRule(CompiledRule):
    __slots__ = ("field", "label", "marks", "step")

    def __init__(self, rule: Rule) -> None:
        super().__init__(rule, "milestone", "success")
        trigger = rule.trigger
        assert isinstance(trigger, (Every, Milestones))
        self.field = trigger.field
        self.label = field_label(trigger.field)
        self.mask = FIELD_BITS[trigger.field]
        self.step = trigger.step if isinstance(trigger, Every) else 0
        self.marks = trigger.values if isinstance(trigger, Milestones) else ()
        if rule.chart:
            self.chart_field = trigger.field

    def chart_extras(self, fields: Mapping[str, object], now: float) -> dict[str, Any]:
        """The milestone passed is the rule line."""
        extras = super().chart_extras(fields, now)
        milestone = fields.get("milestone")
        if isinstance(milestone, int):
            extras.update(line=float(milestone), line_label=f"{milestone:,} {self.label}")
        return extras

    def next_above(self, mark: object) -> int | float | None:
        """The least count at which an event crosses a milestone above ``mark``.

        Below it an event changes nothing, which the engine checks without
        calling :meth:`run`; None when that shortcut does not apply (a mark
        that is not a plain non-negative int, as only a damaged state has).
        """
        if mark.__class__ is not int or mark < 0:  # type: ignore[operator]
            return None
        if self.step:
            return (mark // self.step + 1) * self.step  # type: ignore[operator]
        index = bisect_right(self.marks, mark)  # type: ignore[arg-type]
        return self.marks[index] if index < len(self.marks) else _NEVER

    def highest(self, value: int) -> int:
        """The highest milestone at or below ``value`` (0 for none)."""
        if self.step:
            return value // self.step * self.step
        index = bisect_right(self.marks, value)
        return self.marks[index - 1] if index else 0

    def run(
        self, watch: Watch, memory: EngineState, dirty: set, topic: str, key: str, snap: dict, now: float,
        explain: list | None,
    ) -> Alert | None:
        value = snap.get(self.field)
        if value is None:
            if explain is not None:
                self.decide(explain, topic, key, "unknown", None, texts.not_known(self.label),
                            {self.field: None})
            return None
        step = self.step
        reached = value // step * step if step else self.highest(value)
        state = watch.state
        if state is not None:
            if reached <= watch.mark:
                if explain is not None:
                    self.explain_below(watch.mark, value, topic, key, explain)
                return None
            return self.crossed(watch, state, dirty, topic, key, snap, now, explain, value, reached)
        # The first observation: the mark is what was already reached, unannounced.
        state = memory.add_rule_entry(watch.rkey, RuleEntry.milestone(reached))
        watch.attach(state)
        if reached and self.initial:
            return self.fire(state, topic, key, now, self.values(key, snap, reached))
        if explain is not None:
            detail = texts.milestone_first(value, self.label, reached)
            self.decide(explain, topic, key, "initial", bool(reached), detail,
                        {self.field: value, "milestone": reached})
        return None

    def crossed(
        self, watch: Watch, state: RuleEntry, dirty: set, topic: str, key: str, snap: dict, now: float,
        explain: list | None, value: int, reached: int,
    ) -> Alert | None:
        """A milestone above the mark: announce the highest one reached."""
        values = {self.field: value, "milestone": reached}
        if state.fired_once:
            self.decide(explain, topic, key, "once", True, texts.ONCE, values)
            return None
        watch.set_mark(reached)
        dirty.add(watch.rkey)
        if self.cooling(state, now):
            detail = texts.milestone_held_back(reached, self.label, self.hold_back(state, now))
            self.decide(explain, topic, key, "cooldown", True, detail, values)
            return None
        return self.fire(state, topic, key, now, self.values(key, snap, reached))

    def explain_below(self, mark: int, value: int, topic: str, key: str, explain: list) -> None:
        detail = texts.milestone_below(mark, value, self.label)
        self.decide(explain, topic, key, "announced" if mark else "no_match", False, detail,
                    {self.field: value, "announced": mark})

    def zero_state(self) -> RuleEntry | None:
        """No milestone reached: the first count above one announces the highest reached, once."""
        return RuleEntry.milestone(0)

    def values(self, key: str, snap: Mapping[str, object], milestone: int) -> dict[str, Any]:
        values = self.tweet_values(key, snap)
        values["milestone"] = milestone
        values["field"] = self.label
        return values

    valid = staticmethod(RuleEntry.valid_milestone)
