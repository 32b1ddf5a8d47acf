"""Reading composed YAML nodes: every problem kept with its line and column.

:class:`NodeReader` holds what a rule file's readers share: the list of
problems (``file:line:col: what is wrong — how to fix it``, raised together as
one :class:`~notifier.exceptions.RuleFileError`) and the checks of single
values (text, durations, booleans, ``${VAR}`` expansion).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..durations import parse_duration, suggest_duration
from ..exceptions import RuleFileError
from ..rules.yamlnodes import BOOL_TAG, FLOAT_TAG, INT_TAG, NULL_TAG, unknown_key_fix
from .placement import BELONGS

__all__ = ["NodeReader"]

# The comma of a number grouped in threes (1,000 and 1,000,000): inside {…} or […] YAML splits there.
_GROUPED_NUMBER = re.compile(r"(?<=\d),(?=\d{3}\b)")
# ${VAR} or ${VAR:-default}; $${ is a literal ${.
_ENV = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class NodeReader:
    """The problems found so far, and the checks of single nodes that add to them."""

    def __init__(self, shown: str, folder: Path, env: Mapping[str, str]) -> None:
        self.shown = shown
        self.folder = folder
        self.env = env
        self.problems: list[tuple[int, int, str]] = []
        self.constructor = yaml.constructor.SafeConstructor()
        # The file's text, for what a node's value no longer shows (the loader sets it).
        self.text = ""

    def grouped_in_flow(self, node: Node) -> str | None:
        """A flow ``{…}``/``[…]`` node's text with 1,000-style numbers written out, if it has any.

        YAML splits ``{likes: 1,000}`` at the comma (``likes: 1`` and a key ``000``): the values
        left are no clue to what was written, the text is.
        """
        if not getattr(node, "flow_style", False) or not self.text:
            return None
        written = self.text[node.start_mark.index:node.end_mark.index]
        if not _GROUPED_NUMBER.search(written):
            return None
        return " ".join(_GROUPED_NUMBER.sub("", written).split())

    # ------------------------------------------------------------- reporting

    def error(self, where: Node | tuple[int, int] | None, what: str, fix: str) -> None:
        if isinstance(where, Node):
            line, column = where.start_mark.line, where.start_mark.column
        elif where is None:
            line, column = 0, 0
        else:
            line, column = where
        self.problems.append((line, column, f"{self.shown}:{line + 1}:{column + 1}: {what} — {fix}"))

    def raise_problems(self) -> None:
        if self.problems:
            ordered = sorted(self.problems, key=lambda item: (item[0], item[1]))
            raise RuleFileError([message for _, _, message in ordered])

    @staticmethod
    def at_offset(node: ScalarNode, offset: int) -> tuple[int, int]:
        """File position of character ``offset`` of a scalar's value, where it can be known."""
        start, end = node.start_mark, node.end_mark
        # Plain style is None from PyYAML's parser and "" from libyaml's.
        if node.style in (None, "", '"', "'") and start.line == end.line:
            return start.line, start.column + (1 if node.style in ('"', "'") else 0) + offset
        return start.line, start.column

    # -------------------------------------------------------------- helpers

    def mapping(self, node: Node, allowed: Iterable[str], where: str) -> dict[str, tuple[Node, Node]]:
        """Keys of a mapping node -> (key node, value node); unknown and repeated keys reported."""
        allowed = tuple(allowed)
        if isinstance(node, MappingNode):
            # YAML merge keys (<<: *defaults) are resolved like a YAML loader would.
            self.constructor.flatten_mapping(node)
        result: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.error(key_node, f"a key {where} must be a plain word", f"use one of: {', '.join(allowed)}")
                continue
            # The text as written: `on` is a key here, not YAML 1.1's boolean.
            key = key_node.value
            if key in result:
                first = result[key][0].start_mark.line + 1
                self.error(key_node, f"'{key}' is given twice {where} (first on line {first})",
                           "keep one of them")
                continue
            if key not in allowed and key in BELONGS:
                whose, fix = BELONGS[key]
                self.error(key_node, f"'{key}' is {whose} and does nothing {where}", fix)
                continue
            if key not in allowed:
                self.error(key_node, f"unknown key '{key}' {where}", unknown_key_fix(key, allowed))
                continue
            result[key] = (key_node, value_node)
        return result

    def scalar_text(self, node: Node, what: str, example: str) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag == NULL_TAG:
            self.error(node, f"{what} must be text", f"write it as, for example, {example}")
            return None
        return node.value

    def construct(self, node: Node) -> Any:
        return self.constructor.construct_object(node, deep=True)

    def items(self, node: Node) -> list[Node]:
        """A list's items; a single value counts as a one-item list."""
        if isinstance(node, SequenceNode):
            return list(node.value)
        if isinstance(node, ScalarNode) and node.tag != NULL_TAG:
            return [node]
        return []

    def duration(self, node: Node, what: str, *, positive: bool = False) -> float | None:
        text = node.value if isinstance(node, ScalarNode) and node.tag != NULL_TAG else None
        fix = "write a number with a unit: 30s, 10m, 2h or 1d"
        if text is None:
            self.error(node, f"{what} must be a duration", fix)
            return None
        try:
            seconds = parse_duration(text, zero=True)
        except ValueError:
            meant = suggest_duration(text)
            if node.tag in (INT_TAG, FLOAT_TAG):
                fix = f"add a unit: {text}s, {text}m, {text}h or {text}d"
            elif meant is not None:
                fix = f"write {what.rsplit('.', 1)[-1]}: {meant}"
            self.error(node, f"{what} '{text}' is not a duration", fix)
            return None
        if positive and seconds <= 0:
            self.error(node, f"{what} must be longer than zero", "use a duration such as 10m")
            return None
        return seconds

    def boolean(self, node: Node, what: str) -> bool | None:
        if isinstance(node, ScalarNode) and node.tag == BOOL_TAG:
            return bool(self.construct(node))
        self.error(node, f"{what} must be true or false", f"write {what.split()[0]}: true or false")
        return None

    def expand(self, node: Node, what: str) -> str | None:
        """The scalar's text with ${VAR} and ${VAR:-default} expanded from the environment."""
        if not isinstance(node, ScalarNode) or node.tag == NULL_TAG:
            self.error(node, f"{what} must be text", "write it as a string, for example ntfys://ntfy.sh/my-topic")
            return None
        text = node.value
        missing: list[str] = []

        def substitute(match: re.Match[str]) -> str:
            if match.group(0) == "$${":
                return "${"
            name, default = match.group(1), match.group(2)
            value = self.env.get(name)
            if default is not None and not value:
                return default
            if value is None:
                missing.append(name)
                return ""
            return value

        for opening in re.finditer(r"\$?\$\{", text):
            if opening.group().startswith("$$") or _ENV.match(text, opening.start()):
                continue
            self.error(self.at_offset(node, opening.start()), f"{what} has a malformed ${{...}}",
                       "write ${NAME} or ${NAME:-default}; NAME is letters, digits and _")
            return None
        expanded = _ENV.sub(substitute, text)
        for name in missing:
            self.error(self.at_offset(node, max(text.find("${" + name), 0)),
                       f"{what} uses ${{{name}}}, but the environment variable {name} is not set",
                       f"set {name}, or give a default: ${{{name}:-value}}")
        return None if missing else expanded
