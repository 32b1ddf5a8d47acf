"""Targets with a policy (quiet hours, tz, budget) and the rule keys urgent and group_wait, as loaded."""

from __future__ import annotations

import pytest

from notifier.delivery import build_targets
from notifier.delivery.policy import Budget, QuietWindow, TargetPolicy
from notifier.exceptions import RuleFileError
from notifier.rulefile import load_rules

from .helpers import CONV, HEADER, TWEET, ruleset, write_rules

POLICY_HEADER = HEADER.replace(
    "  phone: json://localhost/phone\n",
    "  phone:\n"
    "    url: json://localhost/phone\n"
    '    quiet: "22:00-07:00"\n'
    "    tz: Europe/Berlin\n"
    "    budget: 5/h\n"
    "  pager: {url: json://localhost/pager, quiet: 23:30-06:00}\n",
)

TWEET_RULE = f"""
    - name: A
      tweets: ["{TWEET}"]
      when: likes > 1
      notify: [team, phone]
"""


def problems(tmp_path, rules: str, header: str) -> list[str]:
    """The load problems of a file, without the path prefix."""
    path = write_rules(tmp_path, rules, header=header)
    with pytest.raises(RuleFileError) as caught:
        load_rules(path, env={})
    found = caught.value.problems
    assert all(p.startswith(f"{path}:") for p in found), found
    return [p[len(f"{path}:"):] for p in found]


def policy_header(lines: str) -> str:
    """The standard header with a target 'phone' written as the mapping ``lines``."""
    return HEADER.replace("  phone: json://localhost/phone\n", "  phone:\n" + lines)


def test_a_target_may_be_a_mapping_with_url_quiet_tz_and_budget(tmp_path):
    """{url, quiet, tz, budget} loads into a TargetSpec whose policy holds them; plain URLs have none."""
    rules = ruleset(tmp_path, TWEET_RULE, header=POLICY_HEADER)
    phone = rules.targets["phone"]
    assert phone.url == "json://localhost/phone"
    assert phone.policy == TargetPolicy(QuietWindow(22 * 3600, 7 * 3600), "Europe/Berlin", Budget(5, 3600.0))
    assert (phone.quiet, phone.tz, phone.budget) == (phone.policy.quiet, "Europe/Berlin", Budget(5, 3600.0))
    # Unquoted 23:30 is a YAML 1.1 number; the loader reads the text as written.
    assert rules.targets["pager"].quiet == QuietWindow(23 * 3600 + 1800, 6 * 3600)
    assert rules.targets["pager"].tz is None
    assert not rules.targets["team"].policy.active


def test_build_targets_carries_each_targets_policy(tmp_path):
    """The delivery targets built from the rule file know their policies."""
    rules = ruleset(tmp_path, TWEET_RULE, header=POLICY_HEADER)
    targets = build_targets(rules.targets, rules.targets_from)
    (phone,) = targets.resolve("phone")
    assert phone.policy.budget == Budget(5, 3600.0)
    (team,) = targets.resolve("team")
    assert not team.policy.active


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            '    url: json://localhost/phone\n    quiet: "10pm-7am"\n',
            "6:12: target 'phone': quiet '10pm-7am' is not a time window — write quiet: \"22:00-07:00\"",
        ),
        (
            '    url: json://localhost/phone\n    quiet: "22:00-22:00"\n',
            "6:12: target 'phone': quiet '22:00-22:00' starts when it ends, so it is empty — give the time it",
        ),
        (
            '    url: json://localhost/phone\n    quiet: "22:00-07:00"\n    tz: Europe/Berln\n',
            "7:9: target 'phone': unknown time zone 'Europe/Berln' — did you mean 'Europe/Berlin'?",
        ),
        (
            "    url: json://localhost/phone\n    budget: 5 per hour\n",
            "6:13: target 'phone': budget '5 per hour' is not a rate — write budget: 5/h",
        ),
        (
            "    url: json://localhost/phone\n    budget: 5\n",
            "6:13: target 'phone': budget 5 has no period — write budget: 5/h",
        ),
        (
            "    url: json://localhost/phone\n    budget: 0/d\n",
            "6:13: target 'phone': budget '0/d' lets nothing through — allow at least one send",
        ),
        (
            "    url: json://localhost/phone\n    quiet: [22, 7]\n",
            "6:12: target 'phone': quiet must be text — write quiet: \"22:00-07:00\"",
        ),
        (
            '    quiet: "22:00-07:00"\n',
            "5:5: target 'phone' has no url — add url: SCHEMA://...",
        ),
        (
            "    url: json://localhost/phone\n    quiet_hours: 22:00-07:00\n",
            "6:5: unknown key 'quiet_hours' in target 'phone' — did you mean 'quiet'?",
        ),
        (
            "    url: nosuch://secret@host\n    budget: 5/h\n",
            "5:10: target 'phone' (nosuch://***): Apprise cannot use this nosuch:// URL",
        ),
    ],
)
def test_bad_policies_say_where_what_and_how_to_fix(tmp_path, lines, expected):
    """Each policy mistake is one problem at the value's position, with the fix."""
    found = problems(tmp_path, TWEET_RULE, policy_header(lines))
    assert len(found) == 1, found
    assert found[0].startswith(expected), found[0]


def test_a_target_given_as_a_list_is_refused(tmp_path):
    """A list is neither a URL nor a mapping: the fix shows both shapes."""
    (found,) = problems(tmp_path, TWEET_RULE, policy_header("    - json://localhost/phone\n"))
    assert found.startswith("5:5: target 'phone' must be an Apprise URL, or a mapping with url: and its policy")
    assert "{url: ntfys://ntfy.sh/my-topic, quiet:" in found


def test_urgent_and_group_wait_load_onto_the_rule(tmp_path):
    """urgent: true and group_wait: 30s are kept on the rule; both default to off."""
    rules = ruleset(tmp_path, f"""
        - name: DM
          dms: ["{CONV}"]
          on: message
          urgent: true
          group_wait: 30s
        - name: A
          tweets: ["{TWEET}"]
          when: likes > 1
    """)
    dm, tweet = rules.rules
    assert (dm.urgent, dm.group_wait) == (True, 30.0)
    assert (tweet.urgent, tweet.group_wait) == (False, 0.0)


def test_group_wait_is_for_message_rules_only(tmp_path):
    """group_wait on a tweet or typing rule is an error saying where it applies."""
    found = problems(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          when: likes > 1
          group_wait: 30s
        - name: T
          dms: ["{CONV}"]
          on: typing
          group_wait: 30s
    """, HEADER)
    assert found[0].startswith("11:5: group_wait has no effect on when rules — remove it; it collects")
    assert found[1].startswith("15:5: group_wait has no effect on typing rules")


def test_bad_urgent_and_group_wait_values(tmp_path):
    """urgent must be a boolean, group_wait a positive duration."""
    found = problems(tmp_path, f"""
        - name: DM
          dms: ["{CONV}"]
          on: message
          urgent: yes please
          group_wait: 30
    """, HEADER)
    assert found[0].startswith("11:13: urgent must be true or false")
    assert found[1].startswith("12:17: group_wait '30' is not a duration — add a unit: 30s")
