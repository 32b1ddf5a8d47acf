"""A rule's trigger: ``when``, ``on``, ``every``, ``milestones`` or ``gain``, checked into a :class:`~notifier.rules.model.Trigger`.

:class:`TriggerReader` reads the values a trigger is written with: the
condition of ``when:`` (and of ``rearm_when:``), the DM event of ``on:``, and
the one count field and the counts of ``every:``, ``milestones:`` and
``gain:`` as people write them (1000, 1,000, 1k, 2M), catching the 1,000 that
YAML splits in two inside ``{…}`` or ``[…]``;
:class:`~notifier.rulefile.rules.RuleReader` reads the rest of a rule on top
of it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..counts import parse_count
from ..rules.conditions import ConditionError, compile_condition
from ..rules.model import (
    ALIASES,
    COUNT_FIELDS,
    FIELDS,
    NOT_CARRIED,
    Every,
    Gain,
    Milestones,
    On,
    Trigger,
    When,
    canonical_field,
    fields_text,
)
from ..rules.yamlnodes import FLOAT_TAG, INT_TAG, STR_TAG
from .follow import FollowReader

__all__ = ["TriggerReader"]

# What YAML leaves of 1,000 in a flow {…} or […]: a key or an item of three digits.
_SPLIT_THOUSANDS = re.compile(r"\d{3}")
_ON_EVENTS = ("message", "typing")

_COUNT_ALIASES = tuple(alias for alias, name in ALIASES.items() if name in COUNT_FIELDS)
_TYPES = {name: ("number" if name in COUNT_FIELDS else "text") for name in FIELDS}


class TriggerReader(FollowReader):
    """Reads a rule's trigger and the conditions, count fields and counts it is written with."""

    def trigger(self, key: str, entry: tuple[Node, Node], label: str) -> Trigger | None:
        key_node, node = entry
        if key == "when":
            condition = self.condition(node, "when", {})
            return When(condition) if condition else None
        if key == "on":
            text = node.value if isinstance(node, ScalarNode) else None
            if text not in _ON_EVENTS:
                close = difflib.get_close_matches(text or "", _ON_EVENTS, n=1, cutoff=0.5)
                fix = f"did you mean on: {close[0]}?" if close else "write on: message or on: typing"
                self.error(node, f"on: {text or '?'} is not a DM event", fix)
                return None
            return On(text)  # type: ignore[arg-type]
        if not isinstance(node, MappingNode):
            example = {
                "every": "every: {likes: 1000}",
                "milestones": "milestones: {likes: [100, 1000, 10000]}",
                "gain": "gain: {likes: 500, within: 10m}",
            }[key]
            self.error(node, f"{key}: must be a mapping", f"write {example}")
            return None
        self.constructor.flatten_mapping(node)
        pairs = [(k.value if isinstance(k, ScalarNode) else "", k, v) for k, v in node.value]
        if key == "gain":
            within_node = next((v for name, _, v in pairs if name == "within"), None)
            fields = [(name, k, v) for name, k, v in pairs if name != "within"]
            within = None
            if within_node is None:
                self.error(node, "gain: has no within", "add the window, such as gain: {likes: 500, within: 10m}")
            else:
                within = self.duration(within_node, "within", positive=True)
        else:
            fields = pairs
        if any(_SPLIT_THOUSANDS.fullmatch(name) for name, _, _ in fields) or (
            key == "milestones" and len(fields) == 1 and self._split_in(fields[0][2])
        ):
            meant = self.grouped_in_flow(node)
            if meant is not None:
                self.error(node, f"{key}: a comma inside {{…}} or […] separates entries, so 1,000 there reads "
                           "as 1 and 000", f"write {key}: {meant} (or 1k)")
                return None
        if len(fields) != 1:
            self.error(node, f"{key}: must name exactly one field",
                       f"write one of {', '.join(COUNT_FIELDS)}, such as {key}: {{likes: ...}}")
            return None
        field_text, field_node, value_node = fields[0]
        field = self.count_field(field_text, field_node, key)
        if key == "every":
            step = self.positive(value_node, f"every: {field_text}", integer=True,
                                 example=f"every: {{{field_text}: 1000}}")
            return Every(field, int(step)) if field and step else None
        if key == "milestones":
            values = self.milestone_values(value_node, field_text)
            return Milestones(field, values) if field and values else None
        within_text = within_node.value if isinstance(within_node, ScalarNode) else "10m"
        amount = self.positive(value_node, f"gain: {field_text}", integer=False,
                               example=f"gain: {{{field_text}: 500, within: {within_text}}}")
        if field and amount and within:
            return Gain(field, amount, within)
        return None

    @staticmethod
    def _split_in(node: Node) -> bool:
        """Whether a list holds a piece such as 000 that only a split 1,000 leaves.

        [1,500] stays the list of 1 and 500 that YAML reads: only a piece with a leading
        zero, which no one writes as a number of its own, tells a split apart.
        """
        return isinstance(node, SequenceNode) and any(
            isinstance(item, ScalarNode) and re.fullmatch(r"0\d\d", item.value) for item in node.value
        )

    def count_field(self, text: str, node: Node, key: str) -> str | None:
        field = canonical_field(text)
        if field is None or field not in COUNT_FIELDS:
            known = [*COUNT_FIELDS, *_COUNT_ALIASES]
            close = difflib.get_close_matches(text, known, n=1, cutoff=0.6)
            if text in NOT_CARRIED:
                self.error(node, f"{key}: '{text}' is not a field: {NOT_CARRIED[text]}",
                           f"use one of: {fields_text()}")
                return None
            if field == "view_state":
                fix = "view_state is text; use a count: " + ", ".join(COUNT_FIELDS)
            elif close:
                fix = f"did you mean '{close[0]}'?"
            else:
                fix = f"use one of: {', '.join(COUNT_FIELDS)}"
            self.error(node, f"{key}: '{text}' is not a count", fix)
            return None
        return field

    def positive(self, node: Node, what: str, *, integer: bool, example: str) -> float | None:
        """A count above zero as people write it (1000, 1,000, 1k, 1.5k, 2M: :mod:`notifier.counts`)."""
        readable = isinstance(node, ScalarNode) and node.tag in (INT_TAG, FLOAT_TAG, STR_TAG)
        value = parse_count(node.value) if readable else None
        if value is not None and value > 0 and (not integer or value == value.to_integral_value()):
            return int(value) if integer else float(value)
        shown = node.value.strip() if isinstance(node, ScalarNode) and node.value.strip() else "?"
        kind = "a whole number" if integer else "a number"
        self.error(node, f"{what}: {shown} is not {kind} above zero",
                   f"write {example} (a count may also read 1,000, 1k, 1.5k or 2M)")
        return None

    def milestone_values(self, node: Node, field_text: str) -> tuple[int, ...] | None:
        example = f"milestones: {{{field_text}: [100, 1000, 10000]}}"
        if not isinstance(node, SequenceNode) or not node.value:
            self.error(node, "milestones need a list of numbers", f"write {example}")
            return None
        values = []
        for item in node.value:
            value = self.positive(item, f"milestones: {field_text}", integer=True, example=example)
            if value is None:
                return None
            values.append(int(value))
        return tuple(sorted(set(values)))

    def condition(self, node: Node, what: str, extra: Mapping[str, str]):
        if not isinstance(node, ScalarNode) or node.tag != STR_TAG:
            self.error(node, f"{what}: must be a condition", f"write, for example, {what}: likes > 1000")
            return None
        try:
            return compile_condition(node.value, {**_TYPES, **extra}, ALIASES, NOT_CARRIED)
        except ConditionError as exc:
            for offset, problem, fix in exc.problems:
                self.error(self.at_offset(node, offset), f"{what}: {problem}", fix)
            return None
