"""Rule tests: the alerts a replay must fire, as a golden YAML file (``notifier replay --expect``).

Like ``promtool test rules``: a recording and a rule file go in, the alerts
that fired are compared with the expected list, and any difference is shown
as a diff. The file::

    alerts:
      - at: "2025-06-03T13:42:10Z"     # the replay's clock, UTC (or epoch seconds)
        rule: Launch tweet passes 1,000 likes
        key: "1850000000000000000"     # the tweet or conversation id
        title: Launch tweet passed 1,001 likes

``at`` is optional, but all or none: without it only the order is compared.
Times are compared to the second. ``alerts: []`` expects silence.
"""

from __future__ import annotations

import difflib
import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..alert import Alert
from ..exceptions import ExpectFileError
from ..times import format_time, iso_utc
from .yamlnodes import FLOAT_TAG, INT_TAG, NULL_TAG, unknown_key_fix

__all__ = ["ExpectFileError", "Expected", "ExpectedAlerts", "compare", "dump_expected", "load_expected"]

_TOP_KEYS = ("alerts",)
_ALERT_KEYS = ("at", "rule", "key", "title")


@dataclass(frozen=True, slots=True)
class Expected:
    """One alert the replay must fire; ``at`` in whole epoch seconds, or None."""

    rule: str
    key: str
    title: str
    at: int | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class ExpectedAlerts:
    """A loaded expected-alerts file. ``timed``: its alerts give ``at``, so times count."""

    path: Path
    alerts: tuple[Expected, ...]
    timed: bool


def load_expected(path: str | os.PathLike[str]) -> ExpectedAlerts:
    """Read and check an expected-alerts file; :class:`ExpectFileError` lists every problem."""
    path = Path(path)
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ExpectFileError(
            [f"{shown}: cannot read it: {exc.strerror or exc} — give the path of a YAML file "
             "(notifier replay RULES EVENTS --format expect writes one)"]
        ) from exc
    problems: list[str] = []

    def problem(node: Node | None, what: str, fix: str) -> None:
        where = f"{shown}:{node.start_mark.line + 1}:{node.start_mark.column + 1}" if node is not None else shown
        problems.append(f"{where}: {what} — {fix}")

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{shown}:{mark.line + 1}:{mark.column + 1}" if mark is not None else shown
        raise ExpectFileError(
            [f"{where}: this is not valid YAML ({getattr(exc, 'problem', None) or exc}) — "
             "check the indentation, colons and quotes here"]
        ) from None
    if root is None or not isinstance(root, MappingNode):
        problem(root, "the file must be a mapping with an alerts: list",
                "write alerts: and, indented, one '- rule: ...' entry per expected alert")
        raise ExpectFileError(problems)
    entries: list[Expected] = []
    items: SequenceNode | None = None
    for key_node, value_node in root.value:
        name = key_node.value
        if name not in _TOP_KEYS:
            problem(key_node, f"unknown key '{name}' at the top level", unknown_key_fix(name, _TOP_KEYS))
        elif isinstance(value_node, SequenceNode):
            items = value_node
        else:
            problem(value_node, "alerts must be a list", "write alerts: [] for none, or one '- rule: ...' per alert")
    if items is None and not problems:
        problem(root, "there is no alerts: list", "add alerts: with the expected alerts ([] for none)")
    for index, item in enumerate(items.value if items is not None else (), 1):
        entry = _entry(item, index, problem)
        if entry is not None:
            entries.append(entry)
    timed = [entry for entry in entries if entry.at is not None]
    if timed and len(timed) != len(entries):
        untimed = next(entry for entry in entries if entry.at is None)
        problems.append(
            f"{shown}:{untimed.line}:1: alert {entries.index(untimed) + 1} has no at: while others have — "
            "give at: for every alert, or for none (then only the order is compared)"
        )
    if problems:
        raise ExpectFileError(problems)
    # alerts: [] expects silence; a diff against it shows the times of what fired.
    return ExpectedAlerts(path=path, alerts=tuple(entries), timed=bool(timed) or not entries)


def _entry(item: Node, index: int, problem) -> Expected | None:
    if not isinstance(item, MappingNode):
        problem(item, f"alert {index} must be a mapping", "write - rule: ..., key: ..., title: ... (and at: ...)")
        return None
    values: dict[str, str] = {}
    at: int | None = None
    ok = True
    for key_node, value_node in item.value:
        name = key_node.value
        if name not in _ALERT_KEYS:
            problem(key_node, f"unknown key '{name}' in alert {index}", unknown_key_fix(name, _ALERT_KEYS))
            ok = False
            continue
        if not isinstance(value_node, ScalarNode) or value_node.tag == NULL_TAG:
            problem(value_node, f"{name} of alert {index} must be a single value", f"write {name}: and a value")
            ok = False
            continue
        if name == "at":
            at = _time(value_node)
            if at is None:
                problem(value_node, f"at: '{value_node.value}' of alert {index} is not a time",
                        'write the UTC time as "2025-06-03T13:42:10Z", or epoch seconds')
                ok = False
        else:
            # Tweet ids may be written unquoted: YAML ints are exact, and the text is kept as written.
            values[name] = value_node.value
    for name in ("rule", "key", "title"):
        if name not in values and ok:
            problem(item, f"alert {index} has no {name}:", f"add {name}: (every alert names rule, key and title)")
            ok = False
    if not ok:
        return None
    return Expected(values["rule"], values["key"], values["title"], at, item.start_mark.line + 1)


def _time(node: ScalarNode) -> int | None:
    text = node.value.strip()
    if node.tag in (INT_TAG, FLOAT_TAG):
        try:
            value = float(text)
        except ValueError:
            return None
        return math.floor(value) if math.isfinite(value) else None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return math.floor(moment.timestamp())


def _line(rule: str, key: str, title: str, at: int | None) -> str:
    stamp = f"{format_time(at, UTC)}  " if at is not None else ""
    return f"{stamp}{rule} [{key}]: {title}"


def compare(expected: ExpectedAlerts, alerts: Iterable[Alert], *, fired_name: str = "replay") -> list[str]:
    """A unified diff of the expected alerts against the fired ones; empty when they agree.

    Alerts are compared by (rule, key, title), in firing order, and by time
    (to the second, on the replay's clock) when the file gives times.
    """
    want = [_line(entry.rule, entry.key, entry.title, entry.at) for entry in expected.alerts]
    got = [
        _line(alert.rule, alert.key, alert.title, math.floor(alert.ts) if expected.timed else None)
        for alert in alerts
    ]
    if want == got:
        return []
    return list(difflib.unified_diff(want, got, fromfile=str(expected.path), tofile=fired_name, lineterm=""))


def dump_expected(alerts: Iterable[Alert], *, header: str = "") -> str:
    """The YAML of an expected-alerts file holding ``alerts`` (what ``--format expect`` prints)."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    body = []
    for alert in alerts:
        # JSON strings are valid YAML double-quoted scalars: exact, whatever the text.
        body += [
            f"  - at: {json.dumps(iso_utc(alert.ts, millis=False))}",
            f"    rule: {json.dumps(alert.rule, ensure_ascii=False)}",
            f"    key: {json.dumps(alert.key)}",
            f"    title: {json.dumps(alert.title, ensure_ascii=False)}",
        ]
    lines.append("alerts:" if body else "alerts: []")
    return "\n".join(lines + body) + "\n"
