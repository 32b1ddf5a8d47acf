"""with_discoveries: which found posts and conversations each rule watches; pure and deterministic."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.rulefile import RuleFile
from notifier.rules.discovery import post_verdicts, with_discoveries
from notifier.rules.model import Follow
from notifier.stream.events import PostRef
from notifier.stream.topics import Topic

from .helpers import TWEET, ruleset

NOW = 1_780_000_000.0
DAY = 86400.0

RULES = """
    - name: Mine
      tweets: {from: me, within: 3d, max_posts: 3}
      every: {likes: 1000}
    - name: Mine with replies
      tweets: {from: me, within: 1d, replies: true}
      when: likes > 5
    - name: Brand
      tweets: {from: "@Brand"}
      every: {likes: 1000}
    - name: Fixed
      tweets: ["1850000000000000000"]
      when: likes > 5
    - name: DMs
      dms: any
      on: message
    - name: DMs, no requests
      dms: any
      on: message
      requests: false
"""


def post(number: int, age_days: float | None = 0.0, reply: bool = False, text: str = "") -> PostRef:
    created = None if age_days is None else NOW - age_days * DAY
    return PostRef(str(1900000000000000000 + number), created, reply, text)


def by_name(rules):
    return {rule.name: rule for rule in rules.rules}


def test_follow_rules_watch_the_posts_that_fit(tmp_path):
    """Replies only when asked, the window, at most max_posts newest; /tweet_engagement/ topics; others untouched."""
    base = ruleset(tmp_path, RULES)
    mine = [post(1, 0.5), post(2, 0.1, reply=True), post(3, 2.5, text="Launching today…"), post(4, 5.0),
            post(5, None), post(6, 0.2), post(7, 0.3)]
    found = with_discoveries(base, {"me": tuple(mine), "@brand": (post(10, 1.0),)}, (), NOW)
    rules = by_name(found)
    assert rules["Mine"].keys == (post(7).id, post(6).id, post(5).id)  # newest first, no reply, cap 3
    assert rules["Mine with replies"].keys == (post(7).id, post(6).id, post(5).id, post(2).id, post(1).id)
    assert rules["Brand"].keys == (post(10).id,)  # the file's @Brand is @brand
    assert rules["Fixed"] == by_name(base)["Fixed"]
    assert rules["Mine"].topics == frozenset(Topic.tweet_engagement(key) for key in rules["Mine"].keys)
    assert found.topics == frozenset().union(*(rule.topics for rule in found.rules))
    assert Topic.tweet_engagement(TWEET) in found.topics
    assert dict(found.post_texts) == {post(3).id: "Launching today…"}
    assert base.topics == frozenset({Topic.tweet_engagement(TWEET)})  # the original is unchanged


def test_dms_any_rules_watch_every_conversation_on_notifiers_topics(tmp_path):
    """dms: any watches the conversations found on /dm_message/ topics; requests: false leaves requests out."""
    base = ruleset(tmp_path, RULES)
    found = with_discoveries(base, {}, ["3-4", "1-2", "99", "a:b", "1-2"], NOW, requests=["99"])
    rules = by_name(found)
    assert rules["DMs"].keys == ("1-2", "3-4", "99")  # sorted, once each; XChat's a:b cannot be named
    assert rules["DMs, no requests"].keys == ("1-2", "3-4")
    assert rules["DMs"].topics == frozenset({"/dm_message/1-2", "/dm_message/3-4", "/dm_message/99"})
    assert not any(Topic.on_stream(topic) for topic in rules["DMs"].topics)


def test_a_rule_file_stays_a_rule_file(tmp_path):
    """with_discoveries on a loaded file keeps its targets, account and the rest."""
    base = ruleset(tmp_path, RULES)
    found = with_discoveries(base, {"me": (post(1),)}, ["1-2"], NOW)
    assert isinstance(found, RuleFile)
    assert found.targets == base.targets and found.poll == base.poll and found.path == base.path


def test_discoveries_replace_rather_than_accumulate(tmp_path):
    """Applying to an already discovered set gives what applying to the original gives: a post gone is unwatched."""
    base = ruleset(tmp_path, RULES)
    once = with_discoveries(base, {"me": (post(1), post(2))}, ["1-2"], NOW)
    again = with_discoveries(once, {"me": (post(2),)}, [], NOW)
    assert again == with_discoveries(base, {"me": (post(2),)}, [], NOW)
    assert by_name(again)["Mine"].keys == (post(2).id,) and by_name(again)["DMs"].keys == ()


def test_the_verdicts_say_why_a_post_is_not_watched():
    """Each left-out post has its reason: a reply, older than the window, beyond max_posts."""
    follow = Follow("me", 1 * DAY, False, 1)
    verdicts = post_verdicts(follow, [post(1, 0.1, reply=True), post(2, 2.0), post(3, 0.2), post(4, 0.3)], NOW)
    reasons = {verdict.post.id: verdict.reason for verdict in verdicts}
    assert reasons[post(4).id] is None
    assert reasons[post(3).id] == "beyond max_posts (1 newer posts are watched)"
    assert reasons[post(2).id] == "older than the window (within: 1 day)"
    assert reasons[post(1).id] == "a reply (replies: true would watch it)"
    assert [verdict.post.id for verdict in verdicts] == [post(n).id for n in (4, 3, 2, 1)]


posts_strategy = st.lists(
    st.builds(
        PostRef,
        id=st.integers(min_value=1, max_value=10**19).map(str),
        created_at=st.one_of(st.none(), st.floats(min_value=NOW - 10 * DAY, max_value=NOW + DAY)),
        reply=st.booleans(),
        text=st.text(max_size=3),
    ),
    max_size=40,
)
follows = st.builds(
    Follow,
    account=st.just("me"),
    within=st.floats(min_value=1.0, max_value=6 * DAY),
    replies=st.booleans(),
    max_posts=st.integers(min_value=1, max_value=60),
)


@settings(max_examples=300, deadline=None)
@given(follow=follows, posts=posts_strategy, seed=st.integers())
def test_properties_of_what_a_follow_watches(follow, posts, seed):
    """Never a reply unless asked, never more than max_posts, always inside the window, whatever the input order."""
    from notifier.rules.discovery import watched_posts

    watched = watched_posts(follow, posts, NOW)
    known = {}
    for item in posts:
        known.setdefault(item.id, item)
    assert len(watched) <= follow.max_posts
    assert len(set(watched)) == len(watched)
    for post_id in watched:
        item = known[post_id]
        assert follow.replies or not item.reply
        assert item.created_at is None or NOW - item.created_at <= follow.within
    shuffled = list(posts)
    random.Random(seed).shuffle(shuffled)
    # The first of repeated ids is the one kept, so only an input without repeats may be reordered freely.
    if len(known) == len(posts):
        assert watched_posts(follow, shuffled, NOW) == watched
    assert watched_posts(follow, posts, NOW) == watched
    assert [int(post_id) for post_id in watched] == sorted(map(int, watched), reverse=True)


@settings(max_examples=50, deadline=None)
@given(posts=posts_strategy.map(lambda items: list({item.id: item for item in items}.values())),
       conversations=st.lists(st.sampled_from(["1-2", "3", "4-5", "g6", "7"]), max_size=6),
       seed=st.integers())
def test_with_discoveries_is_deterministic(tmp_path_factory, posts, conversations, seed):
    """The same discoveries, in any order of conversations, give equal rule sets; nothing watches a reply unasked."""
    base = ruleset(tmp_path_factory.mktemp("rules"), RULES)
    found = with_discoveries(base, {"me": tuple(posts)}, conversations, NOW)
    shuffled = list(conversations)
    random.Random(seed).shuffle(shuffled)
    assert found == with_discoveries(base, {"me": tuple(posts)}, shuffled, NOW)
    replies = {item.id for item in posts if item.reply}
    for rule in found.rules:
        if rule.follow is not None and not rule.follow.replies:
            assert not replies & set(rule.keys)
        if rule.follow is not None:
            assert len(rule.keys) <= rule.follow.max_posts
