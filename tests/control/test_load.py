"""The rule file's control block: loaded with its topic masked, wrong values reported with line and fix."""

from __future__ import annotations

import pytest

from notifier.commands.check import summary, warnings
from notifier.exceptions import RuleFileError
from notifier.rulefile import load_rules

HEAD = """version: 1
targets:
  phone: ntfys://ntfy.sh/alerts-topic-1
rules:
  - name: Likes
    tweets: ["1850000000000000000"]
    when: likes > 10
    notify: [phone]
"""
SECRET = "control-3f9a7c1e"


def load(tmp_path, block: str, **env: str):
    path = tmp_path / "rules.yaml"
    path.write_text(HEAD + block)
    return load_rules(path, env={"NTFY_CONTROL": SECRET, **env})


def test_the_control_block_loads_and_check_shows_it_masked(tmp_path):
    """control.ntfy from the environment: published and subscribed at ntfy.sh; check never shows the topic."""
    ruleset = load(tmp_path, "control:\n  ntfy: ntfys://ntfy.sh/${NTFY_CONTROL}\n  tz: Europe/Berlin\n")
    assert ruleset.control is not None
    assert ruleset.control.link.url == f"https://ntfy.sh/{SECRET}"
    assert ruleset.control.link.json_url == f"https://ntfy.sh/{SECRET}/json"
    shown = summary(ruleset, "rules.yaml")
    assert "Control\n  ntfy https://ntfy.sh/c...e · times on Europe/Berlin" in shown
    assert SECRET not in shown and SECRET not in repr(ruleset)


@pytest.mark.parametrize(("block", "expected"), [
    ("control:\n  ntfy: slack://a/b/c\n", "rules.yaml:10:9: control.ntfy: it must be an ntfy URL"),
    ("control:\n  ntfy: ntfys://ntfy.sh/a/b\n", "rules.yaml:10:9: control.ntfy: it must name one topic"),
    ("control:\n  tz: UTC\n", "rules.yaml:10:3: control has no ntfy — add ntfy: ntfys://ntfy.sh/${NTFY_CONTROL}"),
    ("control:\n  ntfy: ntfys://ntfy.sh/topic-x\n  tz: Europe/Berln\n",
     "rules.yaml:11:7: control: unknown time zone 'Europe/Berln' — did you mean 'Europe/Berlin'?"),
    ("control:\n  ntfy: ntfys://ntfy.sh/topic-x\n  topic: x\n", "unknown key 'topic' in control"),
])
def test_a_wrong_control_block_is_a_load_error_with_the_fix(tmp_path, block, expected):
    """Each mistake names its line and says what to write; the URL itself is never echoed."""
    with pytest.raises(RuleFileError) as caught:
        load(tmp_path, block)
    assert expected in str(caught.value).replace(str(tmp_path) + "/", "")


def test_a_control_topic_over_plain_http_on_a_public_host_is_a_warning(tmp_path):
    """ntfy://ntfy.sh/TOPIC would send the topic, and every command, in the clear."""
    ruleset = load(tmp_path, "control:\n  ntfy: ntfy://ntfy.sh/${NTFY_CONTROL}\n")
    assert any("control.ntfy" in warning and "ntfys://ntfy.sh/" in warning for warning in warnings(ruleset, "r", {}))
