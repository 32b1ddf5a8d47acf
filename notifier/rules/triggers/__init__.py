"""Compiled rules, one module per trigger kind: what each does with an event the engine routes to it.

May import the rest of `notifier.rules` and the leaves.
"""

# :func:`compile_rule` turns a :class:`~notifier.rules.model.Rule` into the
# object of its kind; the engine (:mod:`notifier.rules.engine`) plans which
# rules an event reaches and calls them.

from __future__ import annotations

from ..model import Every, Gain, Milestones, Rule, When
from .base import ALWAYS, FIELD_BITS, CompiledRule
from .dm import DMRule
from .gain import GAIN_BUCKETS, GainRule
from .milestones import MilestoneRule
from .when import WhenRule

__all__ = [
    "ALWAYS",
    "FIELD_BITS",
    "GAIN_BUCKETS",
    "CompiledRule",
    "DMRule",
    "GainRule",
    "MilestoneRule",
    "WhenRule",
    "compile_rule",
]


def compile_rule(rule: Rule) -> CompiledRule:
    trigger = rule.trigger
    if isinstance(trigger, When):
        return WhenRule(rule)
    if isinstance(trigger, (Every, Milestones)):
        return MilestoneRule(rule)
    if isinstance(trigger, Gain):
        return GainRule(rule)
    return DMRule(rule)
