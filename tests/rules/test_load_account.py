"""Loading the rule-file forms that watch a whole account: follows, dms: any, account.poll and graphql."""

from __future__ import annotations

import pytest

from notifier.rulefile import load_rules
from notifier.rules.model import Follow

from .helpers import ruleset
from .test_load import full, problems, problems_of

ISSUE_EXAMPLE = """\
    version: 1
    account:
      cookies: cookies.json
      poll: 2m                  # how often to ask X for new posts and messages (default 2m)
    targets:
      team: json://localhost/team
    defaults:
      notify: [team]
    rules:
      - name: Any of my posts passes 1,000 likes
        tweets: {from: me, within: 3d}        # me = the signed-in account; or "@handle"
        when: likes > 1000
      - name: Every 1,000 likes on the brand's posts
        tweets: {from: "@brand", within: 2d, replies: false}
        every: {likes: 1000}
      - name: Any new DM
        dms: any                              # every conversation, including new ones
        on: message
"""


def test_the_issue_example_loads(tmp_path):
    """The issue's rule lines load: two follows, a dms: any rule, a 2 minute poll; nothing watched yet."""
    loaded = load_rules(full(tmp_path, ISSUE_EXAMPLE), env={})
    mine, brand, dm = loaded.rules
    assert mine.follow == Follow("me", 3 * 86400.0, False, 50)
    assert brand.follow == Follow("@brand", 2 * 86400.0, False, 50)
    assert dm.dms_any and dm.requests and dm.follow is None
    assert all(rule.keys == () and rule.topics == frozenset() for rule in loaded.rules)
    assert loaded.topics == frozenset()
    assert loaded.poll == 120.0 and dict(loaded.graphql) == {}
    assert loaded.follows == (mine.follow, brand.follow)
    assert loaded.watches_any_dm and loaded.any_dm_requests


def test_defaults_of_a_follow_and_of_the_account(tmp_path):
    """tweets: {from: me} alone means the last 3 days, no replies, the 50 newest; poll defaults to a minute."""
    loaded = ruleset(tmp_path, """
        - name: Mine
          tweets: {from: "@Brand_2"}
          every: {likes: 1000}
    """)
    (rule,) = loaded.rules
    assert rule.follow == Follow("@brand_2", 3 * 86400.0, False, 50)
    assert loaded.poll == 60.0
    assert not loaded.watches_any_dm and not loaded.any_dm_requests


def test_follows_merge_the_widest_wishes_of_each_account(tmp_path):
    """RuleSet.follows: one per account, the longest window, replies if any rule wants them, the largest cap."""
    loaded = ruleset(tmp_path, """
        - name: A
          tweets: {from: me, within: 1d, max_posts: 10}
          every: {likes: 1000}
        - name: B
          tweets: {from: "@brand"}
          every: {likes: 1000}
        - name: C
          tweets: {from: ME, within: 5d, replies: true}
          when: likes > 5
        - name: D
          tweets: {from: "@other"}
          when: likes > 5
          enabled: false
    """)
    assert loaded.follows == (Follow("me", 5 * 86400.0, True, 50), Follow("@brand", 3 * 86400.0, False, 50))


def test_requests_false_and_the_dm_flags(tmp_path):
    """requests: false on a dms: any rule leaves message requests out; any_dm_requests says whether any rule wants them."""
    loaded = ruleset(tmp_path, """
        - name: DMs
          dms: any
          on: message
          requests: false
    """)
    assert loaded.rules[0].requests is False
    assert loaded.watches_any_dm and not loaded.any_dm_requests


def test_poll_and_graphql_overrides_load(tmp_path):
    """account.poll takes any duration above zero (1s for tests); account.graphql keeps the query ids given."""
    path = full(tmp_path, """\
        version: 1
        account:
          poll: 1s
          graphql: {UserTweets: abc-DEF_123, UserByScreenName: "x1"}
        targets: {team: json://localhost/team}
        rules:
          - {name: A, dms: any, on: message, notify: [team]}
    """)
    loaded = load_rules(path, env={})
    assert loaded.poll == 1.0
    assert dict(loaded.graphql) == {"UserTweets": "abc-DEF_123", "UserByScreenName": "x1"}
    assert loaded.account_cookies is None


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ('tweets: {from: "brand"}',
         '9:20: from: brand is not an account — write from: "@brand" for the account @brand'),
        ("tweets: {from: brand}",
         '9:20: from: brand is not an account — write from: "@brand" for the account @brand'),
        ('tweets: {from: "@not a handle"}', "9:20: from: @not a handle is not an X handle"),
        ('tweets: {from: ""}', "9:20: from: names no account"),
        ("tweets: {from: me, within: 0s}", "9:32: within: 0s must be longer than zero"),
        ("tweets: {from: me, within: 3}", "9:32: within: 3 is not a duration — add a unit: within: 3d"),
        ("tweets: {from: me, whitin: 3d}", "9:24: unknown key 'whitin' in the tweets of rule 'A' — did you mean 'within'?"),
        ("tweets: {within: 3d}", "9:13: the tweets of rule 'A' say whose posts, but not from whom — add from: me"),
        ("tweets: {from: me, max_posts: 0}", "9:35: max_posts: 0 is not a number of posts"),
        ("tweets: {from: me, replies: maybe}", "9:33: replies must be true or false"),
    ],
)
def test_bad_follow_values_are_load_errors_with_the_fix(tmp_path, snippet, expected):
    """Each bad value of tweets: {from: ...} is reported at its line and column, with the fix in the file's terms."""
    found = problems(tmp_path, f"""
        - name: A
          {snippet}
          every: {{likes: 1000}}
    """)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_typing_with_dms_any_is_refused(tmp_path):
    """on: typing cannot watch dms: any (typing only comes through a named conversation's stream topic)."""
    found = problems(tmp_path, """
        - name: A
          dms: any
          on: typing
    """)
    assert len(found) == 1 and found[0].startswith("10:9: rule 'A' watches dms: any, which cannot say when someone"), found
    assert "on: message" in found[0]


def test_requests_outside_dms_any_is_refused(tmp_path):
    """requests: is an option of dms: any only."""
    found = problems(tmp_path, """
        - name: A
          dms: ["1111111111-2222222222"]
          on: message
          requests: false
    """)
    assert found == ["11:5: requests: applies to dms: any, which rule 'A' does not watch — "
                     "remove it, or watch every conversation with dms: any"]


def test_on_with_a_follow_is_refused_as_with_ids(tmp_path):
    """on: is for DM rules, whether tweets are ids or an account."""
    found = problems(tmp_path, """
        - name: A
          tweets: {from: me}
          on: message
    """)
    assert len(found) == 1 and "on: is for DM rules" in found[0]


def test_star_and_any_in_lists_point_at_the_new_forms(tmp_path):
    """tweets: ["*"] and dms: ["any"] are still refused, and the fix names the form that does what was meant."""
    found = problems(tmp_path, """
        - name: A
          tweets: ["*"]
          every: {likes: 1000}
        - name: B
          dms: ["any"]
          on: message
    """)
    assert "tweets: {from: me}" in found[0] and "dms: any (not in a list)" in found[1], found


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        ("poll: 0s", "3:9: account.poll must be longer than zero"),
        ("poll: 5", "3:9: account.poll '5' is not a duration — add a unit: 5s"),
        ("graphql: {UserTweet: abc}", "3:13: unknown key 'UserTweet' in account.graphql — did you mean 'UserTweets'?"),
        ("graphql: {UserTweets: \"a/b\"}", "3:25: account.graphql.UserTweets must be a query id"),
        ("graphql: [UserTweets]", "3:12: account.graphql must map operation names to query ids"),
        ("pol: 2m", "3:3: unknown key 'pol' in account — did you mean 'poll'?"),
    ],
)
def test_bad_account_values_are_load_errors_with_the_fix(tmp_path, account, expected):
    """account.poll and account.graphql problems carry their position and the fix."""
    path = full(tmp_path, f"""\
        version: 1
        account:
          {account}
        targets: {{team: json://localhost/team}}
        rules:
          - {{name: A, dms: any, on: message, notify: [team]}}
    """)
    found = [p[len(f"{path}:"):] for p in problems_of(path)]
    assert len(found) == 1 and found[0].startswith(expected), found


def test_an_unquoted_handle_says_to_quote_it(tmp_path):
    """from: @brand without quotes is a YAML error; the fix says to quote it."""
    found = problems(tmp_path, """
        - name: A
          tweets: {from: @brand}
          every: {likes: 1000}
    """)
    assert len(found) == 1 and found[0].startswith("9:20: this is not valid YAML"), found
    assert found[0].endswith('a value that starts with @ must be quoted: write from: "@brand"')
