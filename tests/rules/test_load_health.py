"""The rule file's health block: where notifier's own problems go, with every mistake located."""

from __future__ import annotations

import textwrap

import pytest

from notifier.commands.check import summary
from notifier.exceptions import RuleFileError
from notifier.rulefile import load_rules
from notifier.rulefile.model import DEFAULT_STREAM_DOWN

HEAD = """\
version: 1
targets:
  phone: json://127.0.0.1:9/
  team: json://127.0.0.1:9/team
{defaults}{health}rules:
  - name: A
    tweets: ["1"]
    when: likes > 1
    notify: [team]
"""


def load(tmp_path, health: str = "", defaults: str = "", env=None):
    path = tmp_path / "rules.yaml"
    path.write_text(HEAD.format(health=textwrap.dedent(health), defaults=defaults), encoding="utf-8")
    return load_rules(path, env=env or {}), path


def problems(tmp_path, health: str, env=None) -> list[str]:
    path = tmp_path / "rules.yaml"
    path.write_text(HEAD.format(health=textwrap.dedent(health), defaults=""), encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_rules(path, env=env or {})
    return [p[len(f"{path}:"):] for p in caught.value.problems]


def test_health_block_loads_with_its_defaults(tmp_path):
    """notify, stream_down and an env-expanded ping load; stream_down defaults to 10 minutes."""
    ruleset, _ = load(tmp_path, """\
        health:
          notify: [phone]
          ping: https://hc-ping.com/${HC_UUID}
        """, env={"HC_UUID": "0f1e2d3c-4b5a"})
    health = ruleset.health
    assert health.given and health.notify == ("phone",)
    assert health.stream_down == DEFAULT_STREAM_DOWN == 600
    assert health.ping == "https://hc-ping.com/0f1e2d3c-4b5a"
    assert "0f1e2d3c" not in repr(health)


def test_without_a_health_block_defaults_notify_hears_of_fatal_problems(tmp_path):
    """No health block: the spec is not given and notifies defaults.notify."""
    ruleset, _ = load(tmp_path, defaults="defaults:\n  notify: [team]\n")
    assert not ruleset.health.given
    assert ruleset.health.notify == ("team",)
    assert ruleset.health.ping is None


def test_health_notify_falls_back_to_defaults_notify(tmp_path):
    """A health block without notify uses defaults.notify."""
    ruleset, _ = load(tmp_path, "health:\n  stream_down: 90s\n", defaults="defaults:\n  notify: [phone]\n")
    assert ruleset.health.notify == ("phone",) and ruleset.health.stream_down == 90


def test_health_mistakes_are_located_with_a_fix(tmp_path):
    """Unknown targets and keys, bad durations and a non-http ping are each reported at their place."""
    found = problems(tmp_path, """\
        health:
          notify: [phon]
          stream_down: 10
          ping: ftp://secret-host/abc
          notfy: [team]
        """)
    assert found == [
        "6:12: unknown target 'phon' in health.notify — did you mean 'phone'?",
        "7:16: health.stream_down '10' is not a duration — add a unit: 10s, 10m, 10h or 10d",
        "8:9: health.ping is not an http(s) URL — write ping: https://hc-ping.com/<your check's uuid> "
        "(a URL that a GET reports alive)",
        "9:3: unknown key 'notfy' in health — did you mean 'notify'?",
    ]
    assert not any("secret-host" in problem for problem in found)


def test_health_without_any_notify_is_an_error(tmp_path):
    """A health block with no notify and no defaults.notify cannot tell anyone: a load error."""
    assert problems(tmp_path, "health:\n  stream_down: 5m\n") == [
        "6:3: health has no notify and there is no defaults.notify — add notify: [<target name>] under health:",
    ]


def test_check_shows_the_health_block_without_the_ping_secret(tmp_path):
    """`notifier check` lists the health targets, the delay and the ping host, never the ping path."""
    ruleset, path = load(tmp_path, """\
        health:
          notify: [phone]
          stream_down: 2m
          ping: https://hc-ping.com/secret-uuid-1234
        """)
    text = summary(ruleset, str(path))
    assert "Health\n  notify phone · stream down after 2 minutes · ping hc-ping.com while healthy\n" in text
    assert "secret-uuid-1234" not in text
