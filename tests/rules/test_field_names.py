"""Field names as people say them: reposts is retweets everywhere; bookmarks is named as missing."""

from __future__ import annotations

import pytest

from notifier.exceptions import RuleFileError
from notifier.rulefile import load_rules

from .helpers import TWEET, engagement, engine, feed, write_rules


def test_reposts_works_in_conditions_milestones_surges_and_templates(tmp_path):
    """reposts names the retweet count in when:, every:, milestones:, gain: and {reposts}."""
    e = engine(tmp_path, f"""
        - name: When
          tweets: ["{TWEET}"]
          when: reposts >= 100
          title: "{{reposts:,}} reposts"
        - name: Every
          tweets: ["{TWEET}"]
          every: {{reposts: 100}}
          title: "every {{reposts}}"
        - name: Milestones
          tweets: ["{TWEET}"]
          milestones: {{reposts: [150]}}
          title: "milestone {{milestone}} {{field}}"
        - name: Surge
          tweets: ["{TWEET}"]
          gain: {{reposts: 50, within: 10m}}
          title: "surge {{gain}} {{field}}"
    """)
    titles = feed(e, [(0, engagement(retweets=10)), (60, engagement(retweets=1200))])
    assert sorted(titles) == sorted(["1,200 reposts", "every 1200", "milestone 150 reposts", "surge 1190 reposts"])


@pytest.mark.parametrize(
    ("snippet", "column", "what"),
    [
        ("when: bookmarks > 10", 11, "when: 'bookmarks' is not a field: the live stream does not carry"),
        ("every: {bookmarks: 10}", 13, "every: 'bookmarks' is not a field: the live stream does not carry"),
        ("gain: {bookmark_count: 5, within: 1m}", 12, "gain: 'bookmark_count' is not a field"),
    ],
)
def test_bookmarks_is_named_as_a_field_the_stream_does_not_carry(tmp_path, snippet, column, what):
    """bookmarks is refused with why (the stream lacks it) and the fields that exist."""
    path = write_rules(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          {snippet}
    """)
    with pytest.raises(RuleFileError) as caught:
        load_rules(path, env={})
    [problem] = caught.value.problems
    assert problem.startswith(f"{path}:10:{column}: {what}"), problem
    assert "likes" in problem.split(" — ")[1] and "quotes" in problem.split(" — ")[1]


def test_bookmarks_in_a_template_is_named_as_missing(tmp_path):
    """A {bookmarks} placeholder says the stream does not carry it, not just 'unknown'."""
    path = write_rules(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          when: likes > 1
          title: "{{bookmarks}} bookmarks"
    """)
    with pytest.raises(RuleFileError) as caught:
        load_rules(path, env={})
    assert "{bookmarks} is not a placeholder: the live stream does not carry bookmark counts" in str(caught.value)


@pytest.mark.parametrize(
    "written",
    [
        "https://x.com/me/status/1850000000000000000?s=20",
        "https://twitter.com/me/status/1850000000000000000",
        "https://mobile.twitter.com/me/status/1850000000000000000/photo/1",
        "https://www.x.com/i/web/status/1850000000000000000",
        "x.com/me/status/1850000000000000000",
        "http://www.twitter.com/Some_User/statuses/1850000000000000000#m",
    ],
)
def test_a_post_url_is_accepted_as_its_tweet_id(tmp_path, capsys, written):
    """tweets: [<a post's URL>] watches that post, and check shows its id."""
    from notifier.cli import main

    path = write_rules(tmp_path, f"""
        - name: A
          tweets: ["{written}", "{TWEET}"]
          when: likes > 1
    """)
    rules = load_rules(path, env={})
    assert rules.rules[0].tweets == (TWEET,)
    assert rules.topics == {f"/tweet_engagement/{TWEET}"}
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"· tweets {TWEET} ·" in out
    assert "status" not in out


@pytest.mark.parametrize("written", ["https://x.com/me", "https://example.com/me/status/1850000000000000000"])
def test_an_address_that_is_not_a_post_says_what_a_post_url_looks_like(tmp_path, written):
    """A profile URL or another site is refused with the shape of a post's URL."""
    path = write_rules(tmp_path, f"""
        - name: A
          tweets: ["{written}"]
          when: likes > 1
    """)
    with pytest.raises(RuleFileError) as caught:
        load_rules(path, env={})
    [problem] = caught.value.problems
    assert f"'{written}' is not the address of a post: a post's URL looks like https://x.com/<user>/status/" in problem
    assert problem.startswith(f"{path}:9:")
