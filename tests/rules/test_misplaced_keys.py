"""A target's url/quiet/tz/budget in the wrong place says where it belongs, not "not an Apprise URL"."""

from __future__ import annotations

import pytest

from notifier.exceptions import RuleFileError
from notifier.rulefile import load_rules

from .helpers import HEADER, TWEET, write_rules

RULE = f"""
    - name: A
      tweets: ["{TWEET}"]
      when: likes > 1
"""


def problems(tmp_path, targets: str, rules: str = RULE) -> list[str]:
    """The problems of a file whose targets section is ``targets``, without the path prefix."""
    header = HEADER.replace("  team: json://localhost/team\n  phone: json://localhost/phone\n", targets)
    path = write_rules(tmp_path, rules, header=header)
    with pytest.raises(RuleFileError) as caught:
        load_rules(path, env={})
    return [p[len(f"{path}:"):] for p in caught.value.problems]


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        (
            '  team:\n    url: json://localhost/team\n  quiet: "22:00-07:00"\n',
            ("5:3: 'quiet:' is read as a target called 'quiet', one level left of where it belongs — "
             "indent it to line up with url: under 'team:' (column 5)"),
        ),
        (
            "  team: json://localhost/team\n  budget: 5/h\n",
            ("4:3: 'budget:' is read as a target called 'budget', one level left of where it belongs — "
             "to give target 'team' a budget, write it as a mapping: team: then, indented one level, "
             "url: and budget: in the same column"),
        ),
        (
            '  team:\n    url: json://localhost/team\n      quiet: "22:00-07:00"\n',
            "5:7: 'quiet:' is indented deeper than the line above it — line it up with 'url:' on line 4, column 5",
        ),
        (
            "  team: json://localhost/team\n    tz: Europe/Berlin\n",
            ("4:5: 'tz:' is indented deeper than the line above it — to give target 'team' a tz, write it as a "
             "mapping: team: then, indented one level, url: and tz: in the same column"),
        ),
    ],
)
def test_a_target_key_one_level_off_says_where_it_belongs(tmp_path, targets, expected):
    """quiet: one level too far left or right is placed, with the target it belongs to."""
    found = problems(tmp_path, targets)
    assert found == [expected]
    assert not any("Apprise" in problem for problem in found)


def test_a_url_under_an_empty_target_one_level_left_is_placed(tmp_path):
    """team: with nothing after it, then url: beside it: url: is to be indented under team:."""
    found = problems(tmp_path, "  team:\n  url: json://localhost/team\n")
    assert "4:3: 'url:' is read as a target called 'url', one level left of where it belongs — " \
           "indent it one level, under 'team:'" in found


def test_a_target_called_quiet_with_a_url_is_still_a_target(tmp_path):
    """A target may be named quiet: with a URL as its value it loads as before."""
    header = HEADER.replace("  phone: json://localhost/phone\n", "  quiet: json://localhost/quiet\n")
    path = write_rules(tmp_path, RULE, header=header)
    assert "quiet" in load_rules(path, env={}).targets


@pytest.mark.parametrize(
    ("snippet", "where"),
    [('quiet: "22:00-07:00"', "in rule 1"), ("tz: Europe/Berlin", "in rule 1"), ("budget: 5/h", "in rule 1")],
)
def test_a_target_key_inside_a_rule_says_it_belongs_to_a_target(tmp_path, snippet, where):
    """quiet: inside a rule is a target's setting: the fix says to put it beside a target's url:."""
    [found] = problems(tmp_path, "  team: json://localhost/team\n", RULE + f"      {snippet}\n")
    key = snippet.split(":")[0]
    assert found.startswith(f"10:5: '{key}' is a target's setting and does nothing {where} — "
                            "move it under targets:, beside the url: of the target it applies to"), found
