"""Loading rule files: the format, and every problem reported at once with its position."""

from __future__ import annotations

import textwrap

import pytest

from notifier.exceptions import RuleFileError
from notifier.rulefile import load_rules
from notifier.rules import Every, Gain, Milestones, On, When

from .helpers import CONV, HEADER, TWEET, combine, ruleset, write_rules


def problems_of(path, env=None) -> list[str]:
    with pytest.raises(RuleFileError) as caught:
        load_rules(path, env=env or {})
    return caught.value.problems


def problems(tmp_path, rules: str, **kwargs) -> list[str]:
    """The problems of a file made of the standard header and ``rules``, without the path prefix."""
    path = write_rules(tmp_path, rules, **kwargs)
    found = problems_of(path)
    assert all(p.startswith(f"{path}:") for p in found), found
    return [p[len(f"{path}:"):] for p in found]


def full(tmp_path, text: str, name: str = "rules.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --------------------------------------------------------------- the format


def test_the_issue_example_loads(tmp_path):
    """The format of the issue, as written, loads with env expansion, defaults and every trigger."""
    path = full(tmp_path, """\
        version: 1
        account:
          cookies: ${NOTIFIER_COOKIES:-cookies.json}   # twikit JSON or Netscape cookies.txt
        targets:                                       # name -> any Apprise URL
          team: json://localhost/${SLACK_TOKENS}
          phone: ntfy://ntfy.sh/${NTFY_TOPIC}
          inbox: mailtos://me:${SMTP_PASSWORD}@example.com
        defaults:
          notify: [team]
          cooldown: 0s
        rules:
          - name: Launch tweet passes 1,000 likes
            tweets: ["1850000000000000000"]
            when: likes > 1000
            notify: [team, phone]
            title: "Launch tweet passed {likes:,} likes"
            message: "{likes:,} likes · {retweets:,} reposts · {views:,} views\\n{url}"
          - name: Like milestones
            tweets: ["1850000000000000000", "1850000000000000001"]
            every: {likes: 1000}
          - name: Surge
            tweets: ["1850000000000000000"]
            gain: {likes: 500, within: 10m}
          - name: New DM
            dms: ["1111111111-2222222222"]
            on: message
            notify: [phone]
          - name: Typing
            dms: ["1111111111-2222222222"]
            on: typing
            cooldown: 2m
    """)
    env = {"SLACK_TOKENS": "abc", "NTFY_TOPIC": "my-topic", "SMTP_PASSWORD": "hunter2"}
    rules = load_rules(path, env=env)
    assert [type(rule.trigger) for rule in rules.rules] == [When, Every, Gain, On, On]
    assert rules.account_cookies == str(tmp_path.resolve() / "cookies.json")
    assert rules.targets["phone"].url == "ntfy://ntfy.sh/my-topic"
    assert "hunter2" not in repr(rules.targets["inbox"])
    assert rules.rules[1].notify == ("team",) and rules.rules[0].notify == ("team", "phone")
    assert rules.rules[2].trigger == Gain("likes", 500, 600.0)
    assert rules.rules[4].cooldown == 120
    assert rules.topics == {
        "/tweet_engagement/1850000000000000000", "/tweet_engagement/1850000000000000001",
        "/dm_update/1111111111-2222222222", "/dm_typing/1111111111-2222222222",
    }


def test_env_defaults_and_absolute_cookie_paths(tmp_path):
    """${VAR:-default} uses the variable when set; absolute and ~ paths are kept."""
    path = write_rules(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          when: likes > 1
    """, header=HEADER.replace("version: 1\n", "version: 1\naccount:\n  cookies: ${C:-x.json}\n"))
    assert load_rules(path, env={"C": "/etc/cookies.txt"}).account_cookies == "/etc/cookies.txt"
    assert load_rules(path, env={}).account_cookies == str(tmp_path.resolve() / "x.json")
    # A set but empty variable takes the default, as in the shell.
    assert load_rules(path, env={"C": ""}).account_cookies == str(tmp_path.resolve() / "x.json")


def test_env_is_expanded_only_in_account_and_targets(tmp_path):
    """${...} in a title is not expanded: it is a template there (and refused as a placeholder)."""
    found = problems(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          when: likes > 1
          title: "${{HOME}}"
    """)
    assert len(found) == 1 and "unknown placeholder {HOME}" in found[0]


def test_missing_environment_variable_is_named(tmp_path):
    """A ${VAR} that is not set is a load error naming it, at its column."""
    header = HEADER.replace("team: json://localhost/team", "team: json://localhost/${TEAM_TOKEN}")
    found = problems(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          when: likes > 1
    """, header=header)
    assert found == [
        "3:26: target 'team' uses ${TEAM_TOKEN}, but the environment variable TEAM_TOKEN is not set "
        "— set TEAM_TOKEN, or give a default: ${TEAM_TOKEN:-value}"
    ]


def test_malformed_env_reference(tmp_path):
    """${ without a closing brace or with a bad name is reported."""
    header = HEADER.replace("team: json://localhost/team", "team: json://localhost/${TEAM")
    found = problems(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          when: likes > 1
    """, header=header)
    assert len(found) == 1 and found[0].startswith("3:26: target 'team' has a malformed ${...}")


def test_tweet_ids_are_kept_exactly(tmp_path):
    """Ids beyond 2**53 given as YAML integers keep every digit; duplicates collapse."""
    rules = ruleset(tmp_path, """
        - name: A
          tweets: [1850000000000000001, "1850000000000000002", 1850000000000000001]
          when: likes > 1
    """)
    assert rules.rules[0].tweets == ("1850000000000000001", "1850000000000000002")


def test_aliases_in_triggers_and_templates(tmp_path):
    """Wire names are accepted for trigger fields and placeholders."""
    rules = ruleset(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          every: {{like_count: 1000}}
          title: "{{like_count:,}} / {{milestone:,}}"
        - name: B
          tweets: ["{TWEET}"]
          milestones: {{view_count: [1000, 10, 100, 100]}}
    """)
    assert rules.rules[0].trigger == Every("likes", 1000)
    assert rules.rules[1].trigger == Milestones("views", (10, 100, 1000))
    assert rules.rules[0].title.render({"likes": 1500, "milestone": 1000}) == "1,500 / 1,000"


def test_single_values_count_as_lists(tmp_path):
    """tweets, dms and notify accept one value without brackets."""
    rules = ruleset(tmp_path, f"""
        - name: A
          tweets: "{TWEET}"
          when: likes > 1
          notify: phone
    """)
    assert rules.rules[0].tweets == (TWEET,) and rules.rules[0].notify == ("phone",)


def test_disabled_rules_are_checked_but_not_watched(tmp_path):
    """enabled: false rules are validated and kept aside; their topics are not subscribed."""
    rules = ruleset(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          when: likes > 1
        - name: B
          tweets: ["42"]
          when: likes > 1
          enabled: false
    """)
    assert [r.name for r in rules.rules] == ["A"] and [r.name for r in rules.disabled] == ["B"]
    assert rules.topics == {f"/tweet_engagement/{TWEET}"}


def test_yaml_merge_keys_work(tmp_path):
    """A YAML anchor merged into rules (<<: *common) is read like any YAML loader reads it."""
    path = full(tmp_path, f"""\
        version: 1
        targets: {{team: json://localhost/}}
        common: &common
          notify: [team]
        rules:
          - <<: *common
            name: A
            tweets: ["{TWEET}"]
            when: likes > 1
    """)
    found = problems_of(path)
    # The anchor's home key is unknown at the top level, but the merge itself is understood.
    assert len(found) == 1 and "unknown key 'common' at the top level" in found[0]


def test_targets_from_tags_can_be_notified(tmp_path):
    """Rules may name tags of an Apprise config file given as targets_from."""
    (tmp_path / "apprise.yaml").write_text("urls:\n  - json://localhost/x:\n    - tag: ops\n", encoding="utf-8")
    rules = ruleset(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          when: likes > 1
          notify: [ops, team]
    """, header=HEADER.replace("targets:", "targets_from: apprise.yaml\ntargets:"))
    assert rules.targets_from == tmp_path.resolve() / "apprise.yaml"
    assert rules.tags == {"ops"} and rules.rules[0].notify == ("ops", "team")


# --------------------------------------------------------------------- errors


def test_every_problem_is_reported_at_once_in_file_order(tmp_path):
    """Three independent mistakes give three lines, sorted by position, each with a fix."""
    found = problems(tmp_path, f"""
        - name: A
          tweet: ["{TWEET}"]
          when: likes > 1
        - name: B
          tweets: ["{TWEET}"]
          when: likez > 1
        - name: C
          tweets: ["{TWEET}"]
          every: {{likes: 1000}}
          notify: [phnoe]
    """)
    assert found == [
        "8:5: rule 'A' watches nothing — add tweets: [\"<tweet id>\"] or dms: [\"<conversation id>\"]",
        "9:5: unknown key 'tweet' in rule 1 — did you mean 'tweets'?",
        "13:11: when: unknown name 'likez' — did you mean 'likes'?",
        "17:14: unknown target 'phnoe' in the notify of rule 'C' — did you mean 'phone'?",
    ]


def test_yaml_syntax_error_has_a_position(tmp_path):
    """Broken YAML is one problem at the place the parser stopped."""
    path = full(tmp_path, "version: 1\nrules:\n  - name: [unclosed\n")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:4:1: this is not valid YAML")
    assert problem.endswith("— check the indentation, colons and quotes here")


@pytest.mark.parametrize("indent", ["\t", "  \t", "\t  "])
def test_a_tab_in_the_indentation_is_named_with_its_line_and_column(tmp_path, indent):
    """A tab where YAML wants spaces is reported as a tab, at its line and column, with the fix; not as a token."""
    text = (
        "version: 1\ntargets:\n  phone: json://localhost/\nrules:\n  - name: Likes\n"
        f"  {indent}tweets: [1]\n    every: {{likes: 1000}}\n"
    )
    path = full(tmp_path, text)
    [problem] = problems_of(path)
    column = 3 + indent.index("\t")
    assert problem.startswith(f"{path}:6:{column}: a tab indents this line"), problem
    assert "replace the tab with spaces" in problem and "cannot start any token" not in problem


def test_a_tab_on_a_blank_line_is_named_too(tmp_path):
    """A blank line holding a tab breaks YAML as well: it is named, with its line, not a token error."""
    path = tmp_path / "rules.yaml"  # written as is: dedent would empty the blank line
    path.write_text("version: 1\ntargets:\n  t: json://localhost/\nrules:\n  - name: A\n"
                    "    tweets: [1]\n    every: {likes: 1000}\n\t\n    notify: [t]\n", encoding="utf-8")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:8:1: this blank line holds a tab"), problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "1:1: the rule file is empty"),
        ("- a\n- b\n", "1:1: the rule file must be a mapping"),
        ("version: 2\ntargets: {t: json://localhost/}\nrules: []\n", "1:10: version 2 is not supported"),
        ("targets: {t: json://localhost/}\nrules: [{name: a, tweets: [1], when: likes > 1}]\n",
         "1:1: the rule file has no version"),
        ("version: 1\nrule: []\n", "2:1: unknown key 'rule' at the top level — did you mean 'rules'?"),
        ("version: 1\ntargets: {t: json://localhost/}\n", "1:1: the rule file has no rules"),
        ("version: 1\nrules: [{name: a, tweets: [1], when: likes > 1}]\n", "1:1: the rule file has no targets"),
        ("version: 1\nversion: 1\n", "2:1: 'version' is given twice at the top level (first on line 1)"),
    ],
)
def test_file_level_problems(tmp_path, text, expected):
    """Problems of the file's shape each name their position and a fix."""
    path = full(tmp_path, text)
    found = problems_of(path)
    assert any(p.startswith(f"{path}:{expected}") for p in found), found
    assert all(" — " in p for p in found)


def test_missing_file_and_folder(tmp_path):
    """A path that is not a readable file is one clear problem."""
    assert problems_of(tmp_path / "nope.yaml") == [
        f"{tmp_path / 'nope.yaml'}: no such file — give the path of a rule file (rules.example.yaml is a start)"
    ]
    assert "this is a folder" in problems_of(tmp_path)[0]


def test_non_utf8_file(tmp_path):
    """Bytes that are not UTF-8 are reported, not a traceback."""
    path = tmp_path / "rules.yaml"
    path.write_bytes(b"version: 1\nname: \xff\n")
    assert "not UTF-8" in problems_of(path)[0]


RULE_PROBLEMS = [
    # (rule body, expected problem after the path; line 8 is the rule's first line)
    ("tweets: [1]\nwhen: likes > 1\n", "8:5: rule 1 has no name — add name:"),
    ("name: A\ntweets: [1]\n", "8:5: rule 'A' has no trigger — add one of when:"),
    ("name: A\ntweets: [1]\nwhen: likes > 1\nevery: {likes: 5}\n",
     "11:5: rule 'A' has more than one trigger (when, every)"),
    ("name: A\ntweets: [1]\ndms: [\"1\"]\non: message\n", "10:5: rule 'A' watches both tweets and dms"),
    ("name: A\ntweets: [\"12ab\"]\nwhen: likes > 1\n", "9:14: invalid tweet id '12ab'"),
    ("name: A\ntweets: [1.5e+18]\nwhen: likes > 1\n", "9:14: a tweet id must be a number or a quoted string"),
    ("name: A\ndms: [\"1-2-3\"]\non: message\n", "9:11: invalid conversation id '1-2-3'"),
    ("name: A\ntweets: [1]\non: message\n", "10:5: on: is for DM rules, but rule 'A' watches tweets"),
    ("name: A\ndms: [\"1\"]\nwhen: likes > 1\n", "10:5: when: is for tweet rules, but rule 'A' watches dms"),
    ("name: A\ndms: [\"1\"]\non: messages\n", "10:9: on: messages is not a DM event — did you mean on: message?"),
    ("name: A\ntweets: [1]\nevery: {view_state: 5}\n", "10:13: every: 'view_state' is not a count"),
    ("name: A\ntweets: [1]\nevery: {like: 5}\n", "10:13: every: 'like' is not a count — did you mean 'likes'?"),
    ("name: A\ntweets: [1]\nevery: {likes: 0}\n", "10:20: every: likes: 0 is not a whole number above zero"),
    ("name: A\ntweets: [1]\nevery: {likes: 2.5}\n", "10:20: every: likes: 2.5 is not a whole number above zero"),
    ("name: A\ntweets: [1]\nevery: {likes: 5, views: 6}\n", "10:12: every: must name exactly one field"),
    ("name: A\ntweets: [1]\nevery: 1000\n", "10:12: every: must be a mapping"),
    ("name: A\ntweets: [1]\nmilestones: {likes: 100}\n", "10:25: milestones need a list of numbers"),
    ("name: A\ntweets: [1]\ngain: {likes: 5}\n", "10:11: gain: has no within"),
    ("name: A\ntweets: [1]\ngain: {likes: 5, within: 10 min}\n", "10:30: within '10 min' is not a duration"),
    ("name: A\ntweets: [1]\ngain: {likes: 5, within: 0s}\n", "10:30: within must be longer than zero"),
    ("name: A\ntweets: [1]\nwhen: likes > 1\ncooldown: 30\n",
     "11:15: cooldown '30' is not a duration — add a unit: 30s, 30m, 30h or 30d"),
    ("name: A\ntweets: [1]\nwhen: likes > 1\nonce: maybe\n", "11:11: once must be true or false"),
    ("name: A\ntweets: [1]\nwhen: likes > 1\nenabled: 0\n", "11:14: enabled must be true or false"),
    ("name: A\ntweets: [1]\nwhen: likes > 1\ninitial: loud\n", "11:14: initial: loud is not known"),
    ("name: A\ntweets: [1]\ngain: {likes: 5, within: 1m}\ninitial: fire\n",
     "11:5: initial: has no effect on gain rules"),
    ("name: A\ntweets: [1]\nevery: {likes: 5}\nrearm_when: likes < 5\n",
     "11:5: rearm_when has no effect on every rules"),
    ("name: A\ntweets: [1]\nwhen: likes > 1\nnotify: []\n", "11:13: the notify of rule 'A' names no target"),
    ("name: A\ntweets: [1]\nwhen: likes > 1\nnotfy: [team]\n", "11:5: unknown key 'notfy' in rule 1 — did you mean 'notify'?"),
    ("name: A\ntweets: [1]\nwhen: likes > 1\nwhen: likes > 2\n", "11:5: 'when' is given twice in rule 1"),
    ("name: A\ntweets: []\nwhen: likes > 1\n", "9:13: rule 'A' lists no tweets"),
    ("name: A\ntweets: [1]\nwhen: 1000\n", "10:11: when: must be a condition"),
    ("name: A\ntweets: [1]\nwhen: likes > 1000 and likez < 5\n", "10:28: when: unknown name 'likez' — did you mean 'likes'?"),
    ("name: A\ntweets: [1]\nwhen: \"likes.real > 1\"\n", "10:12: when: attribute access (a.b) cannot be used"),
    ("name: A\ntweets: [1]\nwhen: likes > \"many\"\n", "10:19: when: likes > 'many' compares a number with a text value"),
    ("name: A\ntweets: [1]\nwhen: likes ** 2 > 1\n", "10:17: when: '**' cannot be used in a condition"),
    ("name: A\ntweets: [1]\nwhen: len(likes) > 1\n", "10:11: when: function calls cannot be used in a condition"),
    ("name: A\ntweets: [1]\nwhen: likes > 1\ntitle: \"{likez}\"\n", "11:13: title: unknown placeholder {likez} — did you mean {likes}?"),
    ("name: A\ntweets: [1]\nwhen: likes > 1\ntitle: \"{milestone}\"\n", "11:13: title: unknown placeholder {milestone}"),
    ("name: A\ntweets: [1]\nwhen: likes > 1\nmessage: \"x {likes.real}\"\n",
     "11:17: message: {likes.real} uses attribute or index access"),
    ("name: A\ntweets: [1]\nwhen: likes > 1\nmessage: \"{likes[0]}\"\n",
     "11:15: message: {likes[0]} uses attribute or index access"),
    ("name: A\ntweets: [1]\nwhen: likes > 1\ntitle: \"{likes:%H}\"\n", "11:13: title: the format spec ':%H' does not suit {likes}"),
    ("name: A\ntweets: [1]\nwhen: likes > 1\ntitle: \"{}\"\n", "11:13: title: the placeholder {} has no name"),
    ("name: A\ntweets: [1]\nwhen: likes > 1\ntitle: \"{likes\"\n", "11:13: title: this template has unbalanced braces"),
    ("name: A\ndms: [\"1\"]\non: message\ntitle: \"{likes}\"\n", "11:13: title: unknown placeholder {likes}"),
]


@pytest.mark.parametrize(("body", "expected"), RULE_PROBLEMS, ids=[e.split(":", 2)[2][:40] for _, e in RULE_PROBLEMS])
def test_rule_problems_have_position_and_fix(tmp_path, body, expected):
    """Each kind of mistake in a rule is reported at its line and column, with a fix."""
    rule = "- " + textwrap.indent(body, "  ")[2:]
    found = problems(tmp_path, rule)
    assert any(p.startswith(expected) for p in found), found
    assert all(" — " in p for p in found)


def test_duplicate_rule_names(tmp_path):
    """Two rules with one name are refused: state and alerts are kept by name."""
    found = problems(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          when: likes > 1
        - name: A
          tweets: ["{TWEET}"]
          when: likes > 2
    """)
    assert found == ["11:11: rule name 'A' is used twice (first on line 8) — give every rule its own name: "
                     "alerts and saved state are kept by name"]


def test_condition_over_500_characters_is_refused(tmp_path):
    """A condition longer than 500 characters is a load error."""
    condition = " or ".join(["likes > 1"] * 60)
    found = problems(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          when: {condition}
    """)
    assert len(found) == 1 and "characters long, over the limit of 500" in found[0]


def test_no_notify_and_no_defaults(tmp_path):
    """A rule without notify needs defaults.notify."""
    header = HEADER.replace("defaults:\n  notify: [team]\n", "")
    found = problems(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          when: likes > 1
    """, header=header)
    assert found == ["6:5: rule 'A' has no notify and there is no defaults.notify — add notify: [<target name>] "
                     "to the rule, or defaults: notify: [...]"]


def test_unusable_target_url_is_reported_masked(tmp_path):
    """An URL Apprise cannot use names the target; its secret is not echoed."""
    header = HEADER.replace("team: json://localhost/team", "team: nosuchservice://user:s3cr3tpass@host")
    found = problems(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          when: likes > 1
    """, header=header)
    assert len(found) == 1 and found[0].startswith("3:9: target 'team' (nosuchservice://***)")
    assert "s3cr3tpass" not in found[0]


def test_bad_target_names_and_shapes(tmp_path):
    """Target names are words; a target is a URL string (or a mapping with url:, see test_target_policy)."""
    header = HEADER.replace("  phone: json://localhost/phone\n", "  my phone: json://localhost/phone\n  box: [x]\n")
    found = problems(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          when: likes > 1
    """, header=header)
    assert found[0].startswith("4:3: 'my phone' cannot be a target name")
    assert found[1].startswith("5:8: target 'box' must be an Apprise URL")


def test_targets_from_missing_file(tmp_path):
    """targets_from must point at an existing Apprise config."""
    found = problems(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          when: likes > 1
    """, header=HEADER.replace("targets:", "targets_from: nope.yaml\ntargets:"))
    assert found[0].startswith("2:15: targets_from: no such file")


def test_star_without_any_named_conversation_is_refused(tmp_path):
    """dms: ["*"] with no concrete conversation anywhere explains why it cannot work."""
    found = problems(tmp_path, """
        - name: All DMs
          dms: ["*"]
          on: message
    """)
    assert len(found) == 1
    assert found[0].startswith("9:11: rule 'All DMs' watches dms: [\"*\"], but no rule names a conversation — ")
    assert "subscribed one by one" in found[0]


def test_star_conversations_come_from_enabled_rules_only(tmp_path):
    """A conversation named only by a disabled rule does not count for "*"."""
    found = problems(tmp_path, f"""
        - name: Off
          dms: ["{CONV}"]
          on: message
          enabled: false
        - name: All DMs
          dms: ["*"]
          on: typing
    """)
    assert len(found) == 1 and "no rule names a conversation" in found[0]


def test_every_rule_disabled(tmp_path):
    """A file whose rules are all disabled would watch nothing: refused."""
    found = problems(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          when: likes > 1
          enabled: false
    """)
    assert found == ["8:3: every rule is disabled (enabled: false), so nothing would be watched "
                     "— enable at least one rule"]


def test_combine_helper_builds_valid_files(tmp_path):
    """The test helper joins snippets of different indentation into one valid list."""
    rules = ruleset(tmp_path, combine(f"""
        - name: A
          tweets: ["{TWEET}"]
          when: likes > 1
    """, f"""- name: B
  tweets: ["{TWEET}"]
  when: likes > 2
"""))
    assert [r.name for r in rules.rules] == ["A", "B"]


@pytest.mark.parametrize("loader", ["SafeLoader", "CSafeLoader"])
def test_positions_are_the_same_with_either_yaml_parser(tmp_path, monkeypatch, loader):
    """Columns inside plain and quoted scalars are exact with PyYAML's and libyaml's parsers."""
    import yaml

    if not hasattr(yaml, loader):  # pragma: no cover - PyYAML built without libyaml
        pytest.skip("libyaml is not available")
    monkeypatch.setattr("notifier.rulefile.load._YAML_LOADER", getattr(yaml, loader))
    found = problems(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          when: likes > 1000 and likez < 5
          title: "Now {{likz}}"
    """)
    assert [p.split(" — ")[0] for p in found] == [
        "10:28: when: unknown name 'likez'",
        "11:17: title: unknown placeholder {likz}",
    ]
