"""The rule file's targets: where alerts go, and the names rules may notify.

``targets:`` maps a name to an Apprise URL, or to a mapping with ``url:`` and
the target's delivery policy (quiet hours, zone, budget); ``targets_from:``
names an Apprise config file whose tags count as targets too.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..delivery.policy import PolicyError, TargetPolicy, parse_budget, parse_quiet, zone
from ..delivery.targets import check_url, config_tags, mask_url
from ..rules.yamlnodes import FLOAT_TAG, INT_TAG, NULL_TAG
from .account import AccountReader
from .model import TargetSpec
from .placement import BELONGS, TARGET_KEYS

__all__ = ["TargetReader"]

# chart: is a target's own key but no policy, so it is not among the keys placement looks for.
_TARGET_KEYS = (*TARGET_KEYS, "chart")
_POLICY_EXAMPLES = {
    "quiet": 'write quiet: "22:00-07:00"',
    "tz": "write tz: Europe/Berlin (an IANA zone name)",
    "budget": "write budget: 5/h",
}


class TargetReader(AccountReader):
    """Reads ``targets``, ``targets_from`` and the target names of a ``notify``."""

    def __init__(self, shown: str, folder: Path, env: Mapping[str, str]) -> None:
        super().__init__(shown, folder, env)
        self.targets: dict[str, TargetSpec] = {}
        self.tags: set[str] = set()
        self.targets_known = True  # False when targets/targets_from had errors: skip notify checks

    def parse_targets(self, entry: tuple[Node, Node] | None) -> None:
        if entry is None:
            return
        node = entry[1]
        if not isinstance(node, MappingNode):
            self.error(node, "targets must map names to Apprise URLs",
                       "write targets: then, indented, phone: ntfys://ntfy.sh/my-topic")
            self.targets_known = False
            return
        self.constructor.flatten_mapping(node)
        seen: dict[str, Node] = {}
        previous: tuple[Node, Node] | None = None
        for key_node, value_node in node.value:
            name = key_node.value if isinstance(key_node, ScalarNode) else ""
            if self.misplaced_policy(name, key_node, value_node, previous):
                continue
            previous = (key_node, value_node)
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
            chart = True
            url_node = value_node
            if isinstance(value_node, SequenceNode):
                self.error(
                    value_node, f"target '{name}' must be an Apprise URL, or a mapping with url: and its policy",
                    f"write {name}: ntfys://ntfy.sh/my-topic, or {name}: {{url: ntfys://ntfy.sh/my-topic, "
                    'quiet: "22:00-07:00", tz: Europe/Berlin, budget: 5/h}',
                )
                self.targets_known = False
                continue
            if isinstance(value_node, MappingNode):
                # {url: ..., quiet: "22:00-07:00", tz: Europe/Berlin, budget: 5/h}
                url_node, policy = self.target_policy(name, value_node)
                chart = self.target_chart(name, value_node)
                if url_node is None:
                    self.targets[name] = TargetSpec(name, "", line, policy, chart)
                    continue
            url = self.expand(url_node, f"target '{name}'")
            if url is None:
                # Known name, unusable URL: its rules are still checked against it.
                self.targets[name] = TargetSpec(name, "", line, policy, chart)
                continue
            problem = check_url(url)
            if problem is not None:
                self.error(url_node, f"target '{name}' ({mask_url(url)}): {problem}",
                           "fix the URL; the Apprise wiki lists every service's URL format")
            self.targets[name] = TargetSpec(name, url, line, policy, chart)

    def target_chart(self, name: str, node: MappingNode) -> bool:
        """A target's chart: false (no chart attached, no sparkline): True unless it says so."""
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == "chart":
                value = self.boolean(value_node, f"chart of target '{name}'")
                return True if value is None else value
        return True

    def misplaced_policy(
        self, name: str, key_node: Node, value_node: Node, previous: tuple[Node, Node] | None,
    ) -> bool:
        """Whether ``name`` is a target's url/quiet/tz/budget written one level too far left (reported)."""
        if name not in TARGET_KEYS:
            return False
        before = previous[0].value if previous is not None else None
        above = previous[1] if previous is not None else None
        empty_above = isinstance(above, ScalarNode) and above.tag == NULL_TAG
        is_url = isinstance(value_node, ScalarNode) and "://" in value_node.value
        # A target may be called quiet; a quiet: whose value is no URL, or a url: under an empty target, is not one.
        if (name == "url" and not empty_above) or (name != "url" and is_url):
            return False
        what = f"'{name}:' is read as a target called '{name}', one level left of where it belongs"
        if before is None:
            fix = BELONGS[name][1]
        elif empty_above or isinstance(above, MappingNode):
            column = above.value[0][0].start_mark.column + 1 if isinstance(above, MappingNode) else None
            fix = (f"indent it to line up with url: under '{before}:'" + (f" (column {column})" if column else "")
                   if not empty_above else f"indent it one level, under '{before}:'")
        else:
            fix = (f"to give target '{before}' a {name}, write it as a mapping: {before}: then, indented one "
                   f"level, url: and {name}: in the same column")
        self.error(key_node, what, fix)
        return True

    def target_policy(self, name: str, node: MappingNode) -> tuple[Node | None, TargetPolicy]:
        """A target written as a mapping: its URL's node and its policy (the default where wrong)."""
        keys = self.mapping(node, _TARGET_KEYS, f"in target '{name}'")
        url_node = keys["url"][1] if "url" in keys else None
        if url_node is None:
            beside = ", ".join(keys) or "its policy"
            self.error(node, f"target '{name}' has no url",
                       f"add url: SCHEMA://..., such as url: ntfys://ntfy.sh/my-topic, next to {beside}")
        values: dict[str, Any] = {}
        parsers = (("quiet", parse_quiet), ("tz", lambda text: zone(text.strip())), ("budget", parse_budget))
        for key, parse in parsers:
            if key not in keys:
                continue
            value_node = keys[key][1]
            # The text as written: YAML 1.1 reads an unquoted 22:00 as the number 1320.
            text = value_node.value if isinstance(value_node, ScalarNode) and value_node.tag != NULL_TAG else None
            if key == "budget" and value_node.tag in (INT_TAG, FLOAT_TAG):
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
