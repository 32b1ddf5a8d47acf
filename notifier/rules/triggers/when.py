"""``when: EXPR`` rules: fire when the condition becomes true, re-arm when it is false again."""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ...alert import Alert
from ..engine_state import EngineState, RuleEntry
from ..model import COUNT_FIELDS, Rule, When
from .. import texts
from .base import FIELD_BITS, CompiledRule

if TYPE_CHECKING:  # pragma: no cover
    from ..plans import Watch

__all__ = ["ZERO_COUNTS", "WhenRule", "threshold_of", "true_range"]

# A post just made: every count zero (its view state is not known).
ZERO_COUNTS: Mapping[str, int] = MappingProxyType({name: 0 for name in COUNT_FIELDS})


def _count_comparison(node: ast.AST) -> tuple[str, type[ast.cmpop], float] | None:
    """``likes >= 1000`` (or ``1000 <= likes``) as ``("likes", ast.GtE, 1000)``, count on the left; else None."""
    if not (isinstance(node, ast.Compare) and len(node.comparators) == 1):
        return None
    left, right, op = node.left, node.comparators[0], type(node.ops[0])
    if isinstance(right, ast.Name):
        left, right, op = right, left, _MIRRORED.get(op, op)
    if (
        isinstance(left, ast.Name) and left.id in COUNT_FIELDS
        and isinstance(right, ast.Constant) and isinstance(right.value, (int, float))
        and not isinstance(right.value, bool)
    ):
        return left.id, op, right.value
    return None


_MIRRORED: dict[type[ast.cmpop], type[ast.cmpop]] = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}


def threshold_of(canonical: str) -> tuple[str, float] | None:
    """The count and the number of the condition's first comparison of a count with a number.

    ``likes >= 1000 and views > 5`` -> ``("likes", 1000.0)``: what a chart of
    a threshold alert draws. None when there is no such comparison (a
    condition on text, or on a sum of counts): the alert then has no chart.
    """
    for node in ast.walk(ast.parse(canonical, mode="eval")):
        comparison = _count_comparison(node)
        if comparison is not None:
            return comparison[0], float(comparison[2])
    return None


def true_range(canonical: str) -> tuple[str, float, float] | None:
    """Where a condition that is one comparison of a count with a number holds: ``(count, lo, hi)``.

    True exactly for the whole counts in ``[lo, hi)`` (one end infinite):
    ``likes > 999.5`` -> ``("likes", 1000, inf)``. None for any other condition
    (``==``, a sum, two comparisons, text). Counts are always whole numbers,
    which is what lets ``>`` and ``<=`` be written as half-open ranges.
    """
    comparison = _count_comparison(ast.parse(canonical, mode="eval").body)
    if comparison is None:
        return None
    field, op, number = comparison
    if not math.isfinite(number):
        return None
    # The least whole count above the number, and the least one at or above it.
    above, at_or_above = math.floor(number) + 1, math.ceil(number)
    if op is ast.Gt:
        return field, above, math.inf
    if op is ast.GtE:
        return field, at_or_above, math.inf
    if op is ast.Lt:
        return field, -math.inf, at_or_above
    if op is ast.LtE:
        return field, -math.inf, above
    return None


class WhenRule(CompiledRule):
    __slots__ = ("condition", "fast", "rearm", "threshold", "truth")

    def __init__(self, rule: Rule) -> None:
        super().__init__(rule, "when", "info")
        assert isinstance(rule.trigger, When)
        self.condition = rule.trigger.condition
        self.fast = self.condition.fast
        self.rearm = rule.rearm_when
        names = set(self.condition.names) | (set(self.rearm.names) if self.rearm else set())
        self.mask = sum(FIELD_BITS[name] for name in names)
        self.threshold = threshold_of(self.condition.canonical) if rule.chart else None
        # Where the condition holds, when that is one range of one count: the
        # engine then knows without calling it which events change nothing.
        self.truth = true_range(self.condition.canonical)
        if self.threshold is not None:
            self.chart_field = self.threshold[0]

    def chart_extras(self, fields: Mapping[str, object], now: float) -> dict[str, Any]:
        """The threshold the condition compares the count with is the rule line."""
        extras = super().chart_extras(fields, now)
        assert self.threshold is not None
        value = self.threshold[1]
        extras.update(line=value, line_label=f"{value:,g} {extras['field']}")
        return extras

    def run(
        self, watch: Watch, memory: EngineState, dirty: set, topic: str, key: str, snap: dict, now: float,
        explain: list | None,
    ) -> Alert | None:
        try:
            value = self.fast(snap)
        except KeyError:
            value = self.condition.kleene(snap)
        state = watch.state
        if state is not None:
            if watch.armed:
                if value:
                    return self.matched(watch, state, dirty, topic, key, snap, now, explain)
            elif not value:
                return self.maybe_rearm(watch, state, dirty, topic, key, snap, explain)
            if explain is not None:
                self.explain_steady(state, value, topic, key, snap, explain)
            return None
        if value is None:
            if explain is not None:
                self.decide(explain, topic, key, "unknown", None,
                            texts.not_known(self.condition.source), self.condition.values(snap))
            return None
        # The first observation with a known answer only sets the state.
        state = memory.add_rule_entry(watch.rkey, RuleEntry.edge(not value))
        watch.attach(state)
        if value and self.initial:
            watch.armed = state.armed = False
            return self.fire(state, topic, key, now, self.values(key, snap))
        if explain is not None:
            source = self.condition.source
            detail = texts.when_first(source, bool(value))
            self.decide(explain, topic, key, "initial", bool(value), detail, self.condition.values(snap))
        return None

    def matched(
        self, watch: Watch, state: RuleEntry, dirty: set, topic: str, key: str, snap: dict, now: float,
        explain: list | None,
    ) -> Alert | None:
        """Armed and true: fire, unless once or the cooldown holds it back."""
        values = self.condition.values(snap) if explain is not None else {}
        if state.fired_once:
            self.decide(explain, topic, key, "once", True, texts.ONCE, values)
            return None
        watch.armed = state.armed = False
        dirty.add(watch.rkey)
        if self.cooling(state, now):
            self.decide(explain, topic, key, "cooldown", True, self.hold_back(state, now), values)
            return None
        return self.fire(state, topic, key, now, self.values(key, snap))

    def maybe_rearm(
        self, watch: Watch, state: RuleEntry, dirty: set, topic: str, key: str, snap: dict,
        explain: list | None,
    ) -> None:
        """Disarmed and false: re-arm, and with rearm_when only when that holds too."""
        if state.fired_once:
            if explain is not None:
                self.decide(explain, topic, key, "once", False, texts.ONCE,
                            self.condition.values(snap))
            return None
        if self.rearm is None or self.rearm(snap) is True:
            watch.armed = state.armed = True
            dirty.add(watch.rkey)
            if explain is not None:
                self.decide(explain, topic, key, "rearmed", False,
                            texts.when_rearmed(self.condition.source), self.condition.values(snap))
            return None
        if explain is not None:
            values = self.condition.values(snap)
            values.update(self.rearm.values(snap))
            self.decide(explain, topic, key, "waiting", False,
                        texts.when_rearm_pending(self.condition.source, self.rearm.source), values)
        return None

    def explain_steady(
        self, state: RuleEntry, value: bool | None, topic: str, key: str, snap: dict, explain: list,
    ) -> None:
        """Nothing changes: armed and false, or disarmed and still true."""
        source = self.condition.source
        if state.armed:
            detail = texts.when_no_match(source, value)
            self.decide(explain, topic, key, "no_match", value, detail, self.condition.values(snap))
        elif state.fired_once:
            self.decide(explain, topic, key, "once", value, texts.ONCE,
                        self.condition.values(snap))
        else:
            self.decide(explain, topic, key, "waiting", value,
                        texts.when_still_holds(source),
                        self.condition.values(snap))

    def zero_state(self) -> RuleEntry | None:
        """Armed when the condition is false at zero counts (``likes > 100``), so crossing it fires."""
        value = self.condition.kleene(ZERO_COUNTS)
        return None if value is None else RuleEntry.edge(not value)

    def values(self, key: str, snap: Mapping[str, object]) -> dict[str, Any]:
        values = self.tweet_values(key, snap)
        values["condition"] = self.condition.source
        return values

    valid = staticmethod(RuleEntry.valid_edge)
