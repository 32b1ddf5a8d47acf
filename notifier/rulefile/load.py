"""Read a rule file: YAML with positions, every problem reported at once.

The file is composed (not constructed) with PyYAML, so every value keeps the
line and column it came from. Each problem becomes one line
``file:line:col: what is wrong — how to fix it``; all of them are raised
together in one :class:`~notifier.exceptions.RuleFileError`. A file that loads
names no unknown target, topic or placeholder.

The sections are read by a chain of readers, each adding its own:
:class:`~notifier.rulefile.nodes.NodeReader` (problems, single values),
:class:`~notifier.rulefile.targets.TargetReader` (account, targets),
:class:`~notifier.rulefile.follow.FollowReader` (followed accounts, ``dms: any``),
:class:`~notifier.rulefile.triggers.TriggerReader` (a rule's trigger and conditions) and
:class:`~notifier.rulefile.rules.RuleReader` (defaults, rules).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from ..exceptions import RuleFileError
from ..rules.model import DEFAULT_MAX_GAP
from ..rules.yamlnodes import INT_TAG
from .control import read_control
from .health import read_health
from .homeassistant import read_home_assistant
from .model import RuleFile
from .placement import misindented_key
from .rules import RuleReader

__all__ = ["load_rules"]

# A rule file is a few KB; one of 10 MB is not a rule file (or is /dev/zero), and
# reading it whole could exhaust memory before YAML ever saw it.
MAX_RULE_FILE = 10 << 20
_TOP_KEYS = ("version", "account", "targets", "targets_from", "defaults", "health", "home_assistant", "control",
             "rules")
# libyaml's parser when PyYAML has it (much faster on big rule files); same nodes and marks.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_rules(path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None) -> RuleFile:
    """Load and check a rule file; raise RuleFileError listing every problem.

    ``env`` is where ``${VAR}`` in ``account`` and ``targets`` is looked up
    (default: the process environment).
    """
    shown = os.fspath(path)
    file = Path(path)
    try:
        with file.open("rb") as raw:
            data = raw.read(MAX_RULE_FILE + 1)
        if len(data) > MAX_RULE_FILE:
            raise RuleFileError(
                [f"{shown}: the file is over 10 MB, far more than any rule file — give the path of a rule file"]
            )
        text = data.decode("utf-8")
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


class _Loader(RuleReader):
    """One rule file's text, read section by section into a :class:`RuleFile`."""

    def __init__(self, shown: str, path: Path, text: str, env: Mapping[str, str]) -> None:
        super().__init__(shown, path.resolve().parent, env)
        self.path = path
        self.text = text

    # ------------------------------------------------------------------ load

    def tabs_in_indentation(self) -> bool:
        """Report each line indented with a tab, which YAML refuses; whether there was one."""
        found = False
        for number, line in enumerate(self.text.splitlines()):
            indent = line[: len(line) - len(line.lstrip(" \t"))]
            if "\t" not in indent:
                continue
            found = True
            column = indent.index("\t")
            if not line.strip():
                self.error((number, column), "this blank line holds a tab, which YAML refuses here",
                           "delete the tab (an editor's 'convert tabs to spaces' fixes the whole file)")
                continue
            self.error((number, column), "a tab indents this line, and YAML indents with spaces only",
                       "replace the tab with spaces (two per level, lined up with the lines around it); "
                       "an editor's 'convert tabs to spaces' does the whole file")
        return found

    def load(self) -> RuleFile:
        try:
            root = yaml.compose(self.text, Loader=_YAML_LOADER)
        except yaml.MarkedYAMLError as exc:
            if self.tabs_in_indentation():
                # YAML's own words ("found character that cannot start any token") never say "tab".
                self.raise_problems()
            mark = exc.problem_mark or exc.context_mark
            what = f"this is not valid YAML: {exc.problem or exc.context}"
            if exc.context and exc.problem:
                what += f" ({exc.context})"
            fix = "check the indentation, colons and quotes here"
            where = (mark.line, mark.column) if mark else None
            misplaced = misindented_key(self.text, mark.line) if mark is not None else None
            if mark is not None and self.text[mark.index:mark.index + 1] == "@":
                # from: @brand, as people write a handle: YAML reserves a leading @.
                fix = 'a value that starts with @ must be quoted: write from: "@brand"'
            elif misplaced is not None:
                # quiet: one level too far right, under url: or a plain target URL.
                where, what, fix = misplaced
            self.error(where, what, fix)
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
        account = self.account(top.get("account"))
        self.parse_targets(top.get("targets"))
        targets_from = self.parse_targets_from(top.get("targets_from"))
        if "targets" not in top and "targets_from" not in top:
            self.error(root, "the rule file has no targets",
                       "add targets: with a name per Apprise URL, such as phone: ntfys://ntfy.sh/my-topic")
            self.targets_known = False
        defaults = self.defaults(top.get("defaults"))
        health = read_health(self, top.get("health"), defaults["notify"])
        home_assistant = read_home_assistant(self, top.get("home_assistant"))
        control = read_control(self, top.get("control"))
        rules = self.rules(top.get("rules"), root, defaults)
        self.raise_problems()

        enabled = tuple(rule for rule in rules if rule.enabled)
        disabled = tuple(rule for rule in rules if not rule.enabled)
        topics = frozenset(topic for rule in enabled for topic in rule.topics)
        return RuleFile(
            path=self.path,
            rules=enabled,
            targets=MappingProxyType(dict(self.targets)),
            account_cookies=account.cookies,
            poll=account.poll,
            graphql=account.graphql,
            targets_from=targets_from,
            disabled=disabled,
            topics=topics,
            tags=frozenset(self.tags),
            max_gap=defaults["max_gap"] or DEFAULT_MAX_GAP,
            health=health,
            home_assistant=home_assistant,
            control=control,
        )

    def version(self, entry: tuple[Node, Node] | None, root: Node) -> None:
        if entry is None:
            self.error(root, "the rule file has no version", "add version: 1 at the top")
            return
        node = entry[1]
        if not (isinstance(node, ScalarNode) and node.tag == INT_TAG and node.value.strip() == "1"):
            shown = node.value if isinstance(node, ScalarNode) else "?"
            self.error(node, f"version {shown} is not supported", "this notifier reads version: 1")

