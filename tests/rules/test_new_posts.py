"""Discovered posts through the pipeline: a new post counted from zero, each follow's rules with their own start."""

from __future__ import annotations

from notifier.run.pipeline import Pipeline
from notifier.rules import Engine
from notifier.stream.events import DiscoveryEvent, Payload, PostRef
from notifier.stream.topics import Topic

from .helpers import OWN, engagement, ruleset

NOW = 1_780_000_000.0
POST = "1900000000000000001"

RULES = """
    - name: Past 100
      tweets: {from: me}
      when: likes > 100
    - name: Few likes
      tweets: {from: me}
      when: likes < 10
    - name: Milestones
      tweets: {from: me}
      milestones: {likes: [10, 50, 100, 1000]}
    - name: Every 25
      tweets: {from: me}
      every: {likes: 25}
    - name: Surge
      tweets: {from: me}
      gain: {likes: 50, within: 10m}
"""


def pipeline(folder, rules=RULES) -> Pipeline:
    return Pipeline(Engine(ruleset(folder, rules), own_user_id=OWN))


def found(account: str, likes: int, *, new: bool | None, post: str = POST) -> Payload:
    ref = PostRef(post, NOW - 60, text="Launching today", likes=likes, new=new)
    return Payload(discovery=DiscoveryEvent(account, (ref,)))


def fired(step) -> list[tuple[str, object]]:
    return sorted((alert.rule, alert.fields.get("milestone")) for alert in step.alerts)


def test_a_new_post_fires_every_threshold_it_is_above_and_the_highest_milestone_once(tmp_path):
    """130 likes at first sight: likes > 100, milestone 100, step 125; likes < 10 was true at zero, a surge needs history."""
    flow = pipeline(tmp_path)
    step = flow.handle(Topic.DISCOVERY, found("me", 130, new=True), NOW)
    assert fired(step) == [("Every 25", 125), ("Milestones", 100), ("Past 100", None)]
    # Found again by the next poll, or the stream repeating the count: nothing more.
    assert flow.handle(Topic.DISCOVERY, found("me", 130, new=True), NOW + 60).alerts == []
    assert flow.handle(Topic.tweet_engagement(POST), engagement(likes=140), NOW + 61).alerts == []
    (alert,) = flow.handle(Topic.tweet_engagement(POST), engagement(likes=150), NOW + 62).alerts
    assert alert.rule == "Every 25" and alert.fields["milestone"] == 150


def test_a_new_post_below_every_threshold_fires_nothing_and_then_crosses_as_usual(tmp_path):
    """Found at 5 likes: nothing passed yet (likes < 10 held from zero); 12 likes then fires the 10 milestone."""
    flow = pipeline(tmp_path)
    assert flow.handle(Topic.DISCOVERY, found("me", 5, new=True), NOW).alerts == []
    step = flow.handle(Topic.tweet_engagement(POST), engagement(likes=12), NOW + 1)
    assert fired(step) == [("Milestones", 10)]


def test_an_old_post_keeps_the_start_up_rule(tmp_path):
    """A post that existed before notifier started is quiet at 130 likes, as before."""
    flow = pipeline(tmp_path)
    assert flow.handle(Topic.DISCOVERY, found("me", 130, new=None), NOW).alerts == []
    assert fired(flow.handle(Topic.tweet_engagement(POST), engagement(likes=1000), NOW + 1)) == [
        ("Every 25", 1000), ("Milestones", 1000), ("Surge", None),
    ]


def test_a_post_under_a_second_follow_gives_its_rules_their_own_first_look(tmp_path):
    """Mine (from: me) saw 5,569 first; By handle ("@me") starts from the same counts, so 5,570 fires both."""
    flow = pipeline(tmp_path, """
        - name: Mine
          tweets: {from: me}
          when: likes > 5569
        - name: By handle
          tweets: {from: "@me"}
          when: likes > 5569
    """)
    assert flow.handle(Topic.DISCOVERY, found("me", 5569, new=None), NOW).alerts == []
    assert flow.handle(Topic.DISCOVERY, found("@me", 5569, new=None), NOW).alerts == []
    step = flow.handle(Topic.tweet_engagement(POST), engagement(likes=5570), NOW + 1)
    assert sorted(alert.rule for alert in step.alerts) == ["By handle", "Mine"]


def test_a_new_post_under_a_second_follow_is_counted_from_zero_for_its_rules_too(tmp_path):
    """The second follow's rules on a new post fire what it already passed, even when no count changed."""
    flow = pipeline(tmp_path, """
        - name: Mine
          tweets: {from: me}
          when: likes > 100
        - name: By handle
          tweets: {from: "@me"}
          when: likes > 100
    """)
    assert [a.rule for a in flow.handle(Topic.DISCOVERY, found("me", 130, new=True), NOW).alerts] == ["Mine"]
    assert [a.rule for a in flow.handle(Topic.DISCOVERY, found("@me", 130, new=True), NOW).alerts] == ["By handle"]
