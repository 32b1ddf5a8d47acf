"""Read a rule file: YAML with positions, every problem reported at once.

The file is composed (not constructed) with PyYAML, so every value keeps the
line and column it came from. Each problem becomes one line
``file:line:col: what is wrong — how to fix it``; all of them are raised
together in one :class:`~notifier.exceptions.RuleFileError`. A file that loads
names no unknown target, topic or placeholder.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..delivery.policy import PolicyError, TargetPolicy, parse_budget, parse_quiet, zone
from ..delivery.targets import check_url, config_tags, mask_url
from ..exceptions import RuleFileError
from ..stream.topics import Topic
from .conditions import ConditionError, compile_condition
from .model import (
    ALIASES,
    COUNT_FIELDS,
    DEFAULT_MAX_GAP,
    FIELDS,
    Every,
    Gain,
    Milestones,
    On,
    Rule,
    RuleSet,
    TargetSpec,
    Trigger,
    When,
    canonical_field,
)
from .templates import Template, TemplateError, compile_template

__all__ = ["DEFAULT_MAX_GAP", "TYPING_COOLDOWN", "load_rules", "parse_duration"]

# A typing indicator repeats every few seconds while someone types.
TYPING_COOLDOWN = 60.0

_TOP_KEYS = ("version", "account", "targets", "targets_from", "defaults", "rules")
_ACCOUNT_KEYS = ("cookies",)
_TARGET_KEYS = ("url", "quiet", "tz", "budget")
_POLICY_EXAMPLES = {
    "quiet": 'write quiet: "22:00-07:00"',
    "tz": "write tz: Europe/Berlin (an IANA zone name)",
    "budget": "write budget: 5/h",
}
_DEFAULT_KEYS = ("notify", "cooldown", "max_gap")
_TRIGGERS = ("when", "every", "milestones", "gain", "on")
_RULE_KEYS = (
    "name", "tweets", "dms", *_TRIGGERS, "notify", "cooldown", "once", "initial",
    "rearm_when", "title", "message", "enabled", "urgent", "group_wait",
)
_ON_EVENTS = ("message", "typing")
_INITIAL = ("fire", "skip")

_COUNT_ALIASES = tuple(alias for alias, name in ALIASES.items() if name in COUNT_FIELDS)
_TYPES = {name: ("number" if name in COUNT_FIELDS else "text") for name in FIELDS}
_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_STR_TAG = "tag:yaml.org,2002:str"

# libyaml's parser when PyYAML has it (much faster on big rule files); same nodes and marks.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
# ${VAR} or ${VAR:-default}; $${ is a literal ${.
_ENV = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def unknown_key_fix(key: str, allowed: Sequence[str]) -> str:
    """How to fix an unknown key: the allowed key it is most likely a typo of, or the allowed ones."""
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else f"allowed here: {', '.join(allowed)}"


def parse_duration(text: str) -> float:
    """Seconds in ``30s``, ``10m``, ``2h``, ``1d`` (or ``1h30m``); ValueError otherwise."""
    cleaned = text.strip().lower() if isinstance(text, str) else ""
    position, total = 0, 0.0
    for match in _DURATION_PART.finditer(cleaned):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if not cleaned or position != len(cleaned):
        raise ValueError(f"invalid duration {text!r}")
    return total


def load_rules(path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None) -> RuleSet:
    """Load and check a rule file; raise RuleFileError listing every problem.

    ``env`` is where ``${VAR}`` in ``account`` and ``targets`` is looked up
    (default: the process environment).
    """
    shown = os.fspath(path)
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuleFileError(
            [f"{shown}: no such file — give the path of a rule file (rules.example.yaml is a start)"]
        ) from None
    except IsADirectoryError:
        raise RuleFileError([f"{shown}: this is a folder — give the path of a rule file"]) from None
    except UnicodeDecodeError as exc:
        raise RuleFileError(
            [f"{shown}: the file is not UTF-8 text ({exc.reason} at byte {exc.start}) — save it as UTF-8"]
        ) from None
    except OSError as exc:
        raise RuleFileError(
            [f"{shown}: cannot read the rule file ({exc.strerror or exc}) — check its path and permissions"]
        ) from None
    return _Loader(shown, file, text, os.environ if env is None else env).load()


class _Loader:
    def __init__(self, shown: str, path: Path, text: str, env: Mapping[str, str]) -> None:
        self.shown = shown
        self.path = path
        self.folder = path.resolve().parent
        self.text = text
        self.env = env
        self.problems: list[tuple[int, int, str]] = []
        self.constructor = yaml.constructor.SafeConstructor()
        self.targets: dict[str, TargetSpec] = {}
        self.tags: set[str] = set()
        self.targets_known = True  # False when targets/targets_from had errors: skip notify checks
        # Rule name -> the "*" item of its dms, to point at when "*" matches nothing.
        self.star_nodes: dict[str, Node] = {}

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

    # ------------------------------------------------------------------ load

    def load(self) -> RuleSet:
        try:
            root = yaml.compose(self.text, Loader=_YAML_LOADER)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            what = f"this is not valid YAML: {exc.problem or exc.context}"
            if exc.context and exc.problem:
                what += f" ({exc.context})"
            self.error((mark.line, mark.column) if mark else None, what,
                       "check the indentation, colons and quotes here")
            self.raise_problems()
        except yaml.YAMLError as exc:
            self.error(None, f"this is not valid YAML: {exc}", "check the file's syntax")
            self.raise_problems()
        if root is None:
            self.error(None, "the rule file is empty",
                       "start from rules.example.yaml: version: 1, targets: and rules:")
            self.raise_problems()
        if not isinstance(root, MappingNode):
            self.error(root, "the rule file must be a mapping of keys (version, targets, rules, ...)",
                       "start from rules.example.yaml")
            self.raise_problems()

        top = self.mapping(root, _TOP_KEYS, "at the top level")
        self.version(top.get("version"), root)
        cookies = self.account(top.get("account"))
        self.parse_targets(top.get("targets"))
        targets_from = self.parse_targets_from(top.get("targets_from"))
        if "targets" not in top and "targets_from" not in top:
            self.error(root, "the rule file has no targets",
                       "add targets: with a name per Apprise URL, such as phone: ntfy://ntfy.sh/my-topic")
            self.targets_known = False
        defaults = self.defaults(top.get("defaults"))
        rules = self.rules(top.get("rules"), root, defaults)
        self.raise_problems()

        enabled = tuple(rule for rule in rules if rule.enabled)
        disabled = tuple(rule for rule in rules if not rule.enabled)
        topics = frozenset(topic for rule in enabled for topic in rule.topics)
        return RuleSet(
            path=self.path,
            rules=enabled,
            targets=MappingProxyType(dict(self.targets)),
            account_cookies=cookies,
            targets_from=targets_from,
            disabled=disabled,
            topics=topics,
            tags=frozenset(self.tags),
            max_gap=defaults["max_gap"] or DEFAULT_MAX_GAP,
        )

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
            if key not in allowed:
                self.error(key_node, f"unknown key '{key}' {where}", unknown_key_fix(key, allowed))
                continue
            result[key] = (key_node, value_node)
        return result

    def scalar_text(self, node: Node, what: str, example: str) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag == _NULL_TAG:
            self.error(node, f"{what} must be text", f"write it as, for example, {example}")
            return None
        return node.value

    def construct(self, node: Node) -> Any:
        return self.constructor.construct_object(node, deep=True)

    def items(self, node: Node) -> list[Node]:
        """A list's items; a single value counts as a one-item list."""
        if isinstance(node, SequenceNode):
            return list(node.value)
        if isinstance(node, ScalarNode) and node.tag != _NULL_TAG:
            return [node]
        return []

    def duration(self, node: Node, what: str, *, positive: bool = False) -> float | None:
        text = node.value if isinstance(node, ScalarNode) and node.tag != _NULL_TAG else None
        fix = "write a number with a unit: 30s, 10m, 2h or 1d"
        if text is None:
            self.error(node, f"{what} must be a duration", fix)
            return None
        try:
            seconds = parse_duration(text)
        except ValueError:
            if node.tag in (_INT_TAG, _FLOAT_TAG):
                fix = f"add a unit: {text}s, {text}m, {text}h or {text}d"
            self.error(node, f"{what} '{text}' is not a duration", fix)
            return None
        if positive and seconds <= 0:
            self.error(node, f"{what} must be longer than zero", "use a duration such as 10m")
            return None
        return seconds

    def boolean(self, node: Node, what: str) -> bool | None:
        if isinstance(node, ScalarNode) and node.tag == _BOOL_TAG:
            return bool(self.construct(node))
        self.error(node, f"{what} must be true or false", f"write {what.split()[0]}: true or false")
        return None

    def expand(self, node: Node, what: str) -> str | None:
        """The scalar's text with ${VAR} and ${VAR:-default} expanded from the environment."""
        if not isinstance(node, ScalarNode) or node.tag == _NULL_TAG:
            self.error(node, f"{what} must be text", "write it as a string, for example ntfy://ntfy.sh/my-topic")
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

    # ------------------------------------------------------------- sections

    def version(self, entry: tuple[Node, Node] | None, root: Node) -> None:
        if entry is None:
            self.error(root, "the rule file has no version", "add version: 1 at the top")
            return
        node = entry[1]
        if not (isinstance(node, ScalarNode) and node.tag == _INT_TAG and node.value.strip() == "1"):
            shown = node.value if isinstance(node, ScalarNode) else "?"
            self.error(node, f"version {shown} is not supported", "this notifier reads version: 1")

    def account(self, entry: tuple[Node, Node] | None) -> str | None:
        if entry is None:
            return None
        node = entry[1]
        if isinstance(node, ScalarNode) and node.tag == _NULL_TAG:
            return None
        if not isinstance(node, MappingNode):
            self.error(node, "account must be a mapping", "write account: then, indented, cookies: cookies.json")
            return None
        keys = self.mapping(node, _ACCOUNT_KEYS, "in account")
        if "cookies" not in keys:
            return None
        text = self.expand(keys["cookies"][1], "account.cookies")
        if text is None:
            return None
        if not text.strip():
            self.error(keys["cookies"][1], "account.cookies is empty",
                       "give the path of a cookies.json or cookies.txt file")
            return None
        cookies = Path(text.strip()).expanduser()
        if not cookies.is_absolute():
            cookies = self.folder / cookies
        return str(cookies)

    def parse_targets(self, entry: tuple[Node, Node] | None) -> None:
        if entry is None:
            return
        node = entry[1]
        if not isinstance(node, MappingNode):
            self.error(node, "targets must map names to Apprise URLs",
                       "write targets: then, indented, phone: ntfy://ntfy.sh/my-topic")
            self.targets_known = False
            return
        self.constructor.flatten_mapping(node)
        seen: dict[str, Node] = {}
        for key_node, value_node in node.value:
            name = key_node.value if isinstance(key_node, ScalarNode) else ""
            if not name.strip() or any(char.isspace() or char == "," for char in name):
                self.error(key_node, f"'{name}' cannot be a target name",
                           "use a word without spaces or commas, such as phone or team-slack")
                self.targets_known = False
                continue
            if name in seen:
                self.error(key_node, f"target '{name}' is defined twice (first on line "
                           f"{seen[name].start_mark.line + 1})", "keep one of them")
                continue
            seen[name] = key_node
            line = key_node.start_mark.line + 1
            policy = TargetPolicy()
            url_node = value_node
            if isinstance(value_node, SequenceNode):
                self.error(
                    value_node, f"target '{name}' must be an Apprise URL, or a mapping with url: and its policy",
                    f"write {name}: ntfy://ntfy.sh/my-topic, or {name}: {{url: ntfy://ntfy.sh/my-topic, "
                    'quiet: "22:00-07:00", tz: Europe/Berlin, budget: 5/h}',
                )
                self.targets_known = False
                continue
            if isinstance(value_node, MappingNode):
                # {url: ..., quiet: "22:00-07:00", tz: Europe/Berlin, budget: 5/h}
                url_node, policy = self.target_policy(name, value_node)
                if url_node is None:
                    self.targets[name] = TargetSpec(name, "", line, policy)
                    continue
            url = self.expand(url_node, f"target '{name}'")
            if url is None:
                # Known name, unusable URL: its rules are still checked against it.
                self.targets[name] = TargetSpec(name, "", line, policy)
                continue
            problem = check_url(url)
            if problem is not None:
                self.error(url_node, f"target '{name}' ({mask_url(url)}): {problem}",
                           "fix the URL; the Apprise wiki lists every service's URL format")
            self.targets[name] = TargetSpec(name, url, line, policy)

    def target_policy(self, name: str, node: MappingNode) -> tuple[Node | None, TargetPolicy]:
        """A target written as a mapping: its URL's node and its policy (the default where wrong)."""
        keys = self.mapping(node, _TARGET_KEYS, f"in target '{name}'")
        url_node = keys["url"][1] if "url" in keys else None
        if url_node is None:
            beside = ", ".join(keys) or "its policy"
            self.error(node, f"target '{name}' has no url",
                       f"add url: SCHEMA://..., such as url: ntfy://ntfy.sh/my-topic, next to {beside}")
        values: dict[str, Any] = {}
        parsers = (("quiet", parse_quiet), ("tz", lambda text: zone(text.strip())), ("budget", parse_budget))
        for key, parse in parsers:
            if key not in keys:
                continue
            value_node = keys[key][1]
            # The text as written: YAML 1.1 reads an unquoted 22:00 as the number 1320.
            text = value_node.value if isinstance(value_node, ScalarNode) and value_node.tag != _NULL_TAG else None
            if key == "budget" and value_node.tag in (_INT_TAG, _FLOAT_TAG):
                text = self.construct(value_node)
            try:
                if text is None:
                    raise PolicyError(f"{key} must be text", _POLICY_EXAMPLES[key])
                parsed = parse(text)
            except PolicyError as exc:
                self.error(value_node, f"target '{name}': {exc.what}", exc.fix)
                continue
            values[key] = text.strip() if key == "tz" else parsed
        return url_node, TargetPolicy(**values)

    def parse_targets_from(self, entry: tuple[Node, Node] | None) -> Path | None:
        if entry is None:
            return None
        node = entry[1]
        text = self.scalar_text(node, "targets_from", "targets_from: apprise.yaml")
        if text is None:
            self.targets_known = False
            return None
        config = Path(text).expanduser()
        if not config.is_absolute():
            config = self.folder / config
        if not config.is_file():
            self.error(node, f"targets_from: no such file {config}",
                       "give the path of an Apprise YAML or TEXT config file, relative to the rule file")
            self.targets_known = False
            return None
        try:
            tags = config_tags(config)
        except Exception as exc:  # noqa: BLE001 - Apprise's own parser; any failure is the file's
            self.error(node, f"targets_from: Apprise cannot read {config} ({type(exc).__name__})",
                       "check that it is an Apprise YAML or TEXT config file")
            self.targets_known = False
            return None
        if not tags:
            self.error(node, f"targets_from: {config} defines no tags",
                       "tag its URLs (tag: team) so that rules can name them in notify")
        self.tags.update(tags)
        return config

    def defaults(self, entry: tuple[Node, Node] | None) -> dict[str, Any]:
        result: dict[str, Any] = {"notify": None, "notify_given": False, "cooldown": None, "max_gap": None}
        if entry is None:
            return result
        node = entry[1]
        if isinstance(node, ScalarNode) and node.tag == _NULL_TAG:
            return result
        if not isinstance(node, MappingNode):
            self.error(node, "defaults must be a mapping", "write defaults: then, indented, notify: [phone]")
            return result
        keys = self.mapping(node, _DEFAULT_KEYS, "in defaults")
        if "notify" in keys:
            result["notify_given"] = True
            result["notify"] = self.notify(keys["notify"][1], "defaults.notify")
        if "cooldown" in keys:
            result["cooldown"] = self.duration(keys["cooldown"][1], "defaults.cooldown")
        if "max_gap" in keys:
            # How long the stream may be silent before the next events count as a catch-up.
            result["max_gap"] = self.duration(keys["max_gap"][1], "defaults.max_gap", positive=True)
        return result

    def notify(self, node: Node, what: str) -> tuple[str, ...] | None:
        names = []
        items = self.items(node)
        if not items:
            self.error(node, f"{what} names no target", "list target names, such as notify: [phone]")
            return None
        ok = True
        known = sorted(set(self.targets) | self.tags)
        for item in items:
            name = item.value if isinstance(item, ScalarNode) else None
            if not name:
                self.error(item, f"{what} must list target names", "write notify: [phone, team]")
                ok = False
                continue
            if self.targets_known and name not in self.targets and name not in self.tags:
                close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
                if close:
                    fix = f"did you mean '{close[0]}'?"
                elif known:
                    fix = f"known targets: {', '.join(known)}"
                else:
                    fix = "define it under targets:"
                self.error(item, f"unknown target '{name}' in {what}", fix)
                ok = False
                continue
            if name not in names:
                names.append(name)
        return tuple(names) if ok else None

    # ----------------------------------------------------------------- rules

    def rules(self, entry: tuple[Node, Node] | None, root: Node, defaults: dict[str, Any]) -> list[Rule]:
        if entry is None:
            self.error(root, "the rule file has no rules", "add rules: with at least one rule")
            return []
        node = entry[1]
        if not isinstance(node, SequenceNode) or not node.value:
            self.error(node, "rules must be a list of rules",
                       "write rules: then, indented, one '- name: ...' item per rule")
            return []
        rules: list[Rule] = []
        names: dict[str, Node] = {}
        for index, item in enumerate(node.value, 1):
            rule = self.rule(item, index, defaults, names)
            if rule is not None:
                rules.append(rule)
        # dms: ["*"] watches every conversation that the enabled rules name.
        conversations: list[str] = []
        for rule in rules:
            if rule.enabled:
                conversations.extend(c for c in rule.dms if c != "*" and c not in conversations)
        resolved = []
        for rule in rules:
            if "*" in rule.dms:
                if not conversations and rule.enabled:
                    star = self.star_nodes.get(rule.name)
                    self.error(
                        star, f"rule '{rule.name}' watches dms: [\"*\"], but no rule names a conversation",
                        "\"*\" means every conversation named elsewhere in this file, because the stream "
                        "only delivers DMs of conversations subscribed one by one; list the conversation "
                        "ids, such as dms: [\"1111111111-2222222222\"]",
                    )
                keys = tuple(dict.fromkeys([*conversations, *(c for c in rule.dms if c != "*")]))
            else:
                keys = rule.tweets or rule.dms
            resolved.append(replace(rule, keys=keys, topics=_topics(rule.trigger, keys)))
        if rules and not any(rule.enabled for rule in resolved) and not self.problems:
            self.error(node, "every rule is disabled (enabled: false), so nothing would be watched",
                       "enable at least one rule")
        return resolved

    def rule(self, node: Node, index: int, defaults: dict[str, Any], names: dict[str, Node]) -> Rule | None:
        if not isinstance(node, MappingNode):
            self.error(node, f"rule {index} must be a mapping", "write '- name: ...' followed by its keys")
            return None
        keys = self.mapping(node, _RULE_KEYS, f"in rule {index}")
        errors_before = len(self.problems)

        # --- name
        name = None
        if "name" not in keys:
            self.error(node, f"rule {index} has no name", "add name: a short sentence saying what it watches")
        else:
            name = self.scalar_text(keys["name"][1], "name", "name: Launch tweet passes 1,000 likes")
            if name is not None:
                name = name.strip()
                if not name:
                    self.error(keys["name"][1], f"rule {index} has an empty name", "give it a name")
                    name = None
                elif name in names:
                    first = names[name].start_mark.line + 1
                    self.error(keys["name"][1], f"rule name '{name}' is used twice (first on line {first})",
                               "give every rule its own name: alerts and saved state are kept by name")
                else:
                    names[name] = keys["name"][1]
        label = f"rule '{name}'" if name else f"rule {index}"

        # --- trigger
        given = [key for key in _TRIGGERS if key in keys]
        trigger: Trigger | None = None
        if not given:
            self.error(node, f"{label} has no trigger",
                       "add one of when: (a condition), every:, milestones:, gain: (tweets) or on: (dms)")
        elif len(given) > 1:
            second = keys[given[1]][0]
            self.error(second, f"{label} has more than one trigger ({', '.join(given)})",
                       "keep one trigger per rule; write another rule for the other")
        else:
            trigger = self.trigger(given[0], keys[given[0]], label)

        # --- what it watches
        tweets: tuple[str, ...] = ()
        dms: tuple[str, ...] = ()
        star_node: Node | None = None
        if "tweets" in keys and "dms" in keys:
            self.error(keys["dms"][0], f"{label} watches both tweets and dms",
                       "a rule watches either tweets or dms; split it in two")
        elif "tweets" in keys:
            tweets = self.tweet_ids(keys["tweets"][1], label)
            if given == ["on"]:
                self.error(keys["on"][0], f"on: is for DM rules, but {label} watches tweets",
                           "use when:, every:, milestones: or gain: for tweets, or watch dms: with on:")
        elif "dms" in keys:
            dms, star_node = self.conversation_ids(keys["dms"][1], label)
            if given and given[0] != "on":
                self.error(keys[given[0]][0], f"{given[0]}: is for tweet rules, but {label} watches dms",
                           "DM rules fire per event: use on: message or on: typing")
        else:
            self.error(node, f"{label} watches nothing",
                       "add tweets: [\"<tweet id>\"] or dms: [\"<conversation id>\"]")

        # --- options
        notify = defaults["notify"]
        if "notify" in keys:
            notify = self.notify(keys["notify"][1], f"the notify of {label}")
        elif not defaults["notify_given"] and self.targets_known:
            self.error(node, f"{label} has no notify and there is no defaults.notify",
                       "add notify: [<target name>] to the rule, or defaults: notify: [...]")

        cooldown = defaults["cooldown"] or 0.0
        if "cooldown" in keys:
            cooldown = self.duration(keys["cooldown"][1], "cooldown") or 0.0
        elif isinstance(trigger, On) and trigger.event == "typing":
            cooldown = max(cooldown, TYPING_COOLDOWN)

        once = False
        if "once" in keys:
            once = bool(self.boolean(keys["once"][1], "once"))
        enabled = True
        if "enabled" in keys:
            value = self.boolean(keys["enabled"][1], "enabled")
            enabled = True if value is None else value

        initial_fire = False
        if "initial" in keys:
            value_node = keys["initial"][1]
            text = value_node.value if isinstance(value_node, ScalarNode) else None
            if text not in _INITIAL:
                self.error(value_node, f"initial: {text or '?'} is not known",
                           "write initial: fire (announce a state already met at start) or leave it out")
            elif isinstance(trigger, (Gain, On)):
                self.error(keys["initial"][0], f"initial: has no effect on {trigger.kind} rules",
                           "remove it; it applies to when, every and milestones")
            initial_fire = text == "fire"

        urgent = False
        if "urgent" in keys:
            urgent = bool(self.boolean(keys["urgent"][1], "urgent"))
        group_wait = 0.0
        if "group_wait" in keys:
            if trigger is not None and not (isinstance(trigger, On) and trigger.event == "message"):
                kind = trigger.event if isinstance(trigger, On) else trigger.kind
                self.error(keys["group_wait"][0], f"group_wait has no effect on {kind} rules",
                           "remove it; it collects the messages of on: message rules")
            else:
                group_wait = self.duration(keys["group_wait"][1], "group_wait", positive=True) or 0.0

        rearm = None
        if "rearm_when" in keys:
            value_node = keys["rearm_when"][1]
            if trigger is not None and not isinstance(trigger, (When, Gain)):
                self.error(keys["rearm_when"][0], f"rearm_when has no effect on {trigger.kind} rules",
                           "remove it; it applies to when and gain rules")
            elif trigger is not None:
                extra = {"gain": "number"} if isinstance(trigger, Gain) else {}
                rearm = self.condition(value_node, "rearm_when", extra)

        # Known from the trigger's key alone, so templates are checked even when the trigger has errors.
        placeholders = _placeholders(given[0]) if len(given) == 1 else None
        title = message = None
        for key in ("title", "message"):
            if key not in keys:
                continue
            template = self.template(keys[key][1], key, placeholders) if placeholders else None
            if key == "title":
                title = template
            else:
                message = template

        if len(self.problems) != errors_before or trigger is None or name is None or notify is None:
            return None
        rule = Rule(
            name=name, trigger=trigger, notify=notify, tweets=tweets, dms=dms, cooldown=cooldown,
            once=once, initial_fire=initial_fire, rearm_when=rearm, title=title, message=message,
            enabled=enabled, line=node.start_mark.line + 1, urgent=urgent, group_wait=group_wait,
        )
        if star_node is not None:
            self.star_nodes[name] = star_node
        return rule

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
        if len(fields) != 1:
            self.error(node, f"{key}: must name exactly one field",
                       f"write one of {', '.join(COUNT_FIELDS)}, such as {key}: {{likes: ...}}")
            return None
        field_text, field_node, value_node = fields[0]
        field = self.count_field(field_text, field_node, key)
        if key == "every":
            step = self.positive(value_node, f"every: {field_text}", integer=True)
            return Every(field, int(step)) if field and step else None
        if key == "milestones":
            values = self.milestone_values(value_node)
            return Milestones(field, values) if field and values else None
        amount = self.positive(value_node, f"gain: {field_text}", integer=False)
        if field and amount and within:
            return Gain(field, amount, within)
        return None

    def count_field(self, text: str, node: Node, key: str) -> str | None:
        field = canonical_field(text)
        if field is None or field not in COUNT_FIELDS:
            known = [*COUNT_FIELDS, *_COUNT_ALIASES]
            close = difflib.get_close_matches(text, known, n=1, cutoff=0.6)
            if field == "view_state":
                fix = "view_state is text; use a count: " + ", ".join(COUNT_FIELDS)
            elif close:
                fix = f"did you mean '{close[0]}'?"
            else:
                fix = f"use one of: {', '.join(COUNT_FIELDS)}"
            self.error(node, f"{key}: '{text}' is not a count", fix)
            return None
        return field

    def positive(self, node: Node, what: str, *, integer: bool) -> float | None:
        tags = (_INT_TAG,) if integer else (_INT_TAG, _FLOAT_TAG)
        if isinstance(node, ScalarNode) and node.tag in tags:
            value = self.construct(node)
            if value > 0:
                return value
        kind = "a whole number" if integer else "a number"
        self.error(node, f"{what} must be {kind} above zero", f"write, for example, {what}: 1000")
        return None

    def milestone_values(self, node: Node) -> tuple[int, ...] | None:
        if not isinstance(node, SequenceNode) or not node.value:
            self.error(node, "milestones need a list of numbers", "write milestones: {likes: [100, 1000, 10000]}")
            return None
        values = []
        for item in node.value:
            value = self.positive(item, "a milestone", integer=True)
            if value is None:
                return None
            values.append(int(value))
        return tuple(sorted(set(values)))

    def tweet_ids(self, node: Node, label: str) -> tuple[str, ...]:
        items = self.items(node)
        if not items:
            self.error(node, f"{label} lists no tweets", "write tweets: [\"1850000000000000000\"]")
        ids: list[str] = []
        for item in items:
            if not isinstance(item, ScalarNode) or item.tag not in (_STR_TAG, _INT_TAG):
                self.error(item, "a tweet id must be a number or a quoted string",
                           "write tweets: [\"1850000000000000000\"]")
                continue
            try:
                # The text as written: ids exceed 2**53 and must not pass through a float.
                topic = Topic.tweet_engagement(item.value.strip())
            except ValueError as exc:
                self.error(item, str(exc), "copy the number at the end of the tweet's URL")
                continue
            tweet_id = topic.rsplit("/", 1)[1]
            if tweet_id not in ids:
                ids.append(tweet_id)
        return tuple(ids)

    def conversation_ids(self, node: Node, label: str) -> tuple[tuple[str, ...], Node | None]:
        items = self.items(node)
        if not items:
            self.error(node, f"{label} lists no conversations",
                       "write dms: [\"1111111111-2222222222\"] or dms: [\"*\"]")
        ids: list[str] = []
        star = None
        for item in items:
            if not isinstance(item, ScalarNode) or item.tag not in (_STR_TAG, _INT_TAG):
                self.error(item, "a conversation id must be a quoted string",
                           "write dms: [\"1111111111-2222222222\"]")
                continue
            text = item.value.strip()
            if text == "*":
                star = item
                if "*" not in ids:
                    ids.append("*")
                continue
            try:
                Topic.dm_update(text)
            except ValueError as exc:
                self.error(item, str(exc), "copy it from the conversation's URL: x.com/messages/<id>")
                continue
            if text not in ids:
                ids.append(text)
        return tuple(ids), star

    def condition(self, node: Node, what: str, extra: Mapping[str, str]):
        if not isinstance(node, ScalarNode) or node.tag != _STR_TAG:
            self.error(node, f"{what}: must be a condition", f"write, for example, {what}: likes > 1000")
            return None
        try:
            return compile_condition(node.value, {**_TYPES, **extra}, ALIASES)
        except ConditionError as exc:
            for offset, problem, fix in exc.problems:
                self.error(self.at_offset(node, offset), f"{what}: {problem}", fix)
            return None

    def template(self, node: Node, what: str, placeholders: Mapping[str, str]) -> Template | None:
        if not isinstance(node, ScalarNode) or node.tag == _NULL_TAG:
            self.error(node, f"{what} must be text", f"write {what}: \"Launch tweet passed {{likes:,}} likes\"")
            return None
        try:
            return compile_template(node.value, placeholders, ALIASES)
        except TemplateError as exc:
            for offset, problem, fix in exc.problems:
                self.error(self.at_offset(node, offset), f"{what}: {problem}", fix)
            return None


def _topics(trigger: Trigger, keys: tuple[str, ...]) -> frozenset[str]:
    if isinstance(trigger, On):
        build = Topic.dm_update if trigger.event == "message" else Topic.dm_typing
    else:
        build = Topic.tweet_engagement
    return frozenset(build(key) for key in keys)


_TWEET_PLACEHOLDERS = {
    "rule": "text", "tweet_id": "text", "url": "text", "time": "time", "counts": "text",
    **{name: ("int" if name in COUNT_FIELDS else "text") for name in FIELDS},
}
_DM_PLACEHOLDERS = {"rule": "text", "conversation_id": "text", "user_id": "text", "url": "text", "time": "time"}


def _placeholders(trigger_key: str) -> dict[str, str]:
    """The placeholders the templates of a rule with this trigger key may use."""
    if trigger_key == "on":
        return dict(_DM_PLACEHOLDERS)
    if trigger_key == "when":
        return {**_TWEET_PLACEHOLDERS, "condition": "text"}
    if trigger_key == "gain":
        return {**_TWEET_PLACEHOLDERS, "gain": "int", "within": "text", "field": "text"}
    return {**_TWEET_PLACEHOLDERS, "milestone": "int", "field": "text"}
