"""Discoveries and inbox messages through the pipeline: what is watched, counts filled in, never backwards."""

from __future__ import annotations

from pathlib import Path

from notifier.run.pipeline import Pipeline, fill_in
from notifier.rulefile import load_rules
from notifier.rules import Engine
from notifier.stream.events import DiscoveryEvent, DMUpdateEvent, Payload, PostRef
from notifier.stream.topics import Topic

NOW = 1_780_000_000.0
HEADER = """\
version: 1
targets:
  screen: console://
defaults:
  notify: [screen]
rules:
"""
RULES = HEADER + """\
  - name: My posts
    tweets: {from: me, within: 1d}
    every: {likes: 1000}
    title: "{text} passed {milestone:,} likes"
  - name: Any DM
    dms: any
    on: message
    message: "{sender}: {text}"
"""


def pipeline(tmp_path: Path) -> Pipeline:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    return Pipeline(Engine(load_rules(path)))


def found(*posts: PostRef) -> Payload:
    return Payload(discovery=DiscoveryEvent("me", posts))


def post(likes: int | None, *, created_at: float = NOW - 60, reply: bool = False, post_id: str = "19") -> PostRef:
    return PostRef(post_id, created_at, reply, "Launching today", likes=likes)


def test_fill_in_takes_what_is_unknown_or_higher_and_never_lowers() -> None:
    """A poll's counts fill in unknown fields and raise known ones; a stale lower count is dropped."""
    polled = PostRef("1", None, likes=900, retweets=5, views=100)
    assert fill_in(None, polled) == fill_in({}, polled)
    event = fill_in({"likes": 950, "retweets": 2}, polled)
    assert event is not None and event.like_count is None and event.retweet_count == 5 and event.view_count == 100
    assert fill_in({"likes": 950, "retweets": 5, "views": 100}, polled) is None


def test_a_discovered_post_is_watched_and_its_polled_counts_cross_milestones(tmp_path: Path) -> None:
    """First sight sets state (no alert); a later poll past 1,000 likes fires once; a stale poll does not."""
    pipe = pipeline(tmp_path)
    assert pipe.handle(Topic.DISCOVERY, found(post(10)), NOW).alerts == []
    assert Topic.tweet_engagement("19") in pipe.ruleset.topics
    (alert,) = pipe.handle(Topic.DISCOVERY, found(post(1200)), NOW + 120).alerts
    assert alert.title == "Launching today passed 1,000 likes"
    assert pipe.handle(Topic.DISCOVERY, found(post(1100)), NOW + 240).alerts == []
    assert pipe.engine.state.snapshot("s:19")["likes"] == 1200


def test_replies_and_posts_outside_the_window_are_not_watched(tmp_path: Path) -> None:
    """The follow rule's own filters decide; their counts are never read."""
    pipe = pipeline(tmp_path)
    step = pipe.handle(
        Topic.DISCOVERY,
        found(post(5000, reply=True, post_id="21"), post(5000, created_at=NOW - 3 * 86400, post_id="20")),
        NOW,
    )
    assert step.alerts == [] and not any(topic.startswith("/tweet_engagement/") for topic in pipe.ruleset.topics)


def test_an_inbox_message_in_a_new_conversation_alerts_with_sender_and_text(tmp_path: Path) -> None:
    """dms: any watches a conversation from its first inbox message on."""
    pipe = pipeline(tmp_path)
    message = DMUpdateEvent("7-9", "7", message_id="77", text="are you free tomorrow?", sender="alice")
    (alert,) = pipe.handle(Topic.dm_message("7-9"), Payload(dm_update=message), NOW).alerts
    assert alert.message == "@alice: are you free tomorrow?"


def test_topic_changes_are_reported_for_the_stream(tmp_path: Path) -> None:
    """The daemon hears the new topics when a discovery changes what is watched."""
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    heard: list[frozenset[str]] = []
    pipe = Pipeline(Engine(load_rules(path)), on_topics=heard.append)
    pipe.handle(Topic.DISCOVERY, found(post(10)), NOW)
    pipe.handle(Topic.DISCOVERY, found(post(20)), NOW + 60)
    assert heard == [frozenset({Topic.tweet_engagement("19")})]


def test_requests_false_leaves_message_requests_out_even_beside_a_rule_that_wants_them(tmp_path: Path) -> None:
    """Two dms: any rules: the one with requests: false stays silent on a message request."""
    path = tmp_path / "rules.yaml"
    path.write_text(RULES + "  - name: Trusted only\n    dms: any\n    requests: false\n    on: message\n")
    pipe = Pipeline(Engine(load_rules(path)))
    request = DMUpdateEvent("9-1", "9", message_id="90", text="buy my course", sender="spam", request=True)
    alerts = pipe.handle(Topic.dm_message("9-1"), Payload(dm_update=request), NOW).alerts
    assert [alert.rule for alert in alerts] == ["Any DM"]
    friend = DMUpdateEvent("7-1", "7", message_id="91", text="hi", sender="alice")
    alerts = pipe.handle(Topic.dm_message("7-1"), Payload(dm_update=friend), NOW + 1).alerts
    assert [alert.rule for alert in alerts] == ["Any DM", "Trusted only"]


FOLLOW = HEADER + """\
  - name: My posts
    tweets: {from: me, within: 1d, max_posts: %d}
    every: {likes: 1000}
    initial: fire
    title: "{text} passed {milestone:,} likes"
"""
DAY = 86400.0


def follow_pipeline(tmp_path: Path, max_posts: int = 50) -> Pipeline:
    path = tmp_path / "rules.yaml"
    path.write_text(FOLLOW % max_posts)
    return Pipeline(Engine(load_rules(path)))


def titles(pipe: Pipeline, payload: Payload, now: float) -> list[str]:
    return [alert.title for alert in pipe.handle(Topic.DISCOVERY, payload, now).alerts]


def test_a_post_that_leaves_the_poll_and_returns_keeps_its_milestone(tmp_path: Path) -> None:
    """A post missing from one discovery is unwatched, not forgotten: back again, 1,000 is not re-announced."""
    pipe = follow_pipeline(tmp_path)
    assert titles(pipe, found(post(1200)), NOW) == ["Launching today passed 1,000 likes"]
    titles(pipe, found(post(5, post_id="20")), NOW + 120)
    assert Topic.tweet_engagement("19") not in pipe.ruleset.topics
    assert titles(pipe, found(post(1300), post(5, post_id="20")), NOW + 240) == []
    assert titles(pipe, found(post(2100), post(5, post_id="20")), NOW + 360) == [
        "Launching today passed 2,000 likes"
    ]


def test_a_post_pushed_out_by_max_posts_and_back_keeps_its_milestone(tmp_path: Path) -> None:
    """A reload lowering max_posts unwatches the older post; raising it again finds its state intact."""
    pipe = follow_pipeline(tmp_path, max_posts=2)
    both = found(post(1200), post(5, post_id="20"))
    assert titles(pipe, both, NOW) == ["Launching today passed 1,000 likes"]
    (tmp_path / "rules.yaml").write_text(FOLLOW % 1)
    pipe.replace_rules(load_rules(tmp_path / "rules.yaml"))
    assert Topic.tweet_engagement("19") not in pipe.ruleset.topics
    (tmp_path / "rules.yaml").write_text(FOLLOW % 2)
    pipe.replace_rules(load_rules(tmp_path / "rules.yaml"))
    assert titles(pipe, found(post(1300), post(5, post_id="20")), NOW + 120) == []


def test_state_of_an_unwatched_post_ages_out_after_thirty_days(tmp_path: Path) -> None:
    """Kept for 29 days after it was last watched; after 30 days it is gone and the post starts afresh."""
    pipe = follow_pipeline(tmp_path)
    assert titles(pipe, found(post(1200, created_at=None)), NOW) == ["Launching today passed 1,000 likes"]
    titles(pipe, found(), NOW + 60)
    titles(pipe, found(), NOW + 60 + 29 * DAY)
    assert pipe.engine.state.get("s:19") is not None
    titles(pipe, found(), NOW + 60 + 30 * DAY)
    assert pipe.engine.state.get("s:19") is None
    assert not any(key.endswith(":19") for key in pipe.engine.state.entries())
    # Seen again, the post is new: its milestone already met is announced (initial: fire).
    assert titles(pipe, found(post(1300, created_at=None)), NOW + 31 * DAY) == [
        "Launching today passed 1,000 likes"
    ]
