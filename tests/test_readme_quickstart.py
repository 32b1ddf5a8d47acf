"""The README's first-alert rule file loads, and its targets reach the network only over HTTPS."""

from __future__ import annotations

import re
from pathlib import Path

from notifier.delivery import build_targets
from notifier.rulefile import load_rules

README = Path(__file__).resolve().parent.parent / "README.md"


def _quickstart_rules() -> str:
    """The YAML block of the README's "Write a rule file" step."""
    text = README.read_text(encoding="utf-8")
    step = text.split("Write a rule file", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", step, re.DOTALL)
    assert match is not None, "the rule file step has no yaml block"
    return match.group(1)


def test_quickstart_rule_file_loads(tmp_path: Path) -> None:
    """The rule file a newcomer copies from the README is valid as written."""
    path = tmp_path / "rules.yaml"
    path.write_text(_quickstart_rules(), encoding="utf-8")
    ruleset = load_rules(path, env={"NTFY_TOPIC": "notifier-k3v9q2x7-alerts"})
    assert ruleset.rules
    targets = build_targets(ruleset.targets, ruleset.targets_from)
    assert all(target.url.startswith(("ntfys://", "https://")) for target in targets), [t.url for t in targets]
