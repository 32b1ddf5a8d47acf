"""Catch-up after an outage, on a fake clock: which events are a catch-up and what their alerts say."""

from __future__ import annotations

import pytest

from notifier.alert import Alert
from notifier.durations import format_duration
from notifier.exceptions import RuleFileError
from notifier.rules import Engine
from notifier.rules.catchup import CatchUp, Outage, merge_milestones

from .helpers import (
    CONV,
    HEADER,
    TOPIC,
    TOPIC2,
    TWEET,
    TWEET2,
    engagement,
    engine,
    ruleset,
)

DM_TOPIC = f"/dm_update/{CONV}"


def alert(rule: str, title: str, *, kind: str = "every", key: str = TWEET, targets=("team",),
          message: str = "Now 4,100 likes.\nhttps://x.com/i/status/1") -> Alert:
    return Alert(rule=rule, topic=f"/tweet_engagement/{key}", key=key, title=title, message=message,
                 targets=tuple(targets), ts=0.0, kind=kind, notify_type="success")


def after_outage(seconds: float, max_gap: float = 300.0) -> CatchUp:
    """A tracker that saw a connection at 0, a message at 10, and reconnects at 10 + seconds."""
    catchup = CatchUp(max_gap)
    assert catchup.connected(0.0) is None
    catchup.event(TOPIC, [], 10.0)
    catchup.connected(10.0 + seconds)
    return catchup


def two_milestone_rules_seen_once(tmp_path, *, likes_urgent: bool = False) -> tuple[Engine, CatchUp]:
    """Like and repost milestone rules on TWEET, connected at 0 and seen at 1 s (900 likes, 90 reposts)."""
    urgent = "\n          urgent: true" if likes_urgent else ""
    e = engine(tmp_path, f"""
        - name: Like milestones
          tweets: ["{TWEET}"]
          every: {{likes: 1000}}{urgent}
        - name: Repost milestones
          tweets: ["{TWEET}"]
          milestones: {{retweets: [100, 500]}}
    """)
    catchup = CatchUp(300)
    catchup.connected(0.0)
    catchup.event(TOPIC, e.process(TOPIC, engagement(likes=900, retweets=90), 1.0), 1.0)
    return e, catchup


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(45, "45 s"), (119.4, "119 s"), (119.6, "2 min"), (120, "2 min"), (720, "12 min"), (7140, "119 min"),
     (7200, "2 h"), (7500, "2 h 5 min"), (86400 * 3, "3 d"), (86400 * 3 + 3600 * 4 + 59, "3 d 4 h")],
)
def test_outage_text_reads_like_people_write(seconds: float, text: str) -> None:
    """Outage lengths are seconds, minutes, hours with minutes, or days with hours."""
    assert format_duration(seconds) == text


def test_first_connection_is_never_a_catch_up() -> None:
    """Nothing is known before the first connection: it ends no outage."""
    catchup = CatchUp(300)
    assert catchup.connected(1_000_000.0) is None
    assert catchup.event(TOPIC, [alert("Likes", "Tweet passed 1,000 likes")], 1_000_001.0)[0].title == (
        "Tweet passed 1,000 likes"
    )


def test_short_gap_is_not_an_outage() -> None:
    """A reconnect within max_gap of the last sign of life changes no alert."""
    catchup = after_outage(300.0)
    assert catchup.outage is None
    assert catchup.event(TOPIC, [alert("Likes", "T")], 311.0)[0].title == "T"


def test_long_gap_labels_the_first_event_of_each_tweet() -> None:
    """After a 12 min outage, each tweet's first event says so; its next event does not."""
    catchup = after_outage(720.0)
    assert catchup.outage == Outage(10.0, 730.0)
    first = catchup.event(TOPIC, [alert("Likes", "Tweet passed 4,000 likes")], 731.0)
    assert first[0].title == "Tweet passed 4,000 likes (catch-up after 12 min outage)"
    assert first[0].catch_up == 720.0
    assert catchup.event(TOPIC, [alert("Likes", "Tweet passed 5,000 likes")], 732.0)[0].title == (
        "Tweet passed 5,000 likes"
    )
    other = catchup.event(TOPIC2, [alert("Likes", "Tweet passed 1,000 likes", key=TWEET2)], 733.0)
    assert other[0].title.endswith("(catch-up after 12 min outage)")


def test_first_event_without_alerts_still_uses_up_the_catch_up() -> None:
    """The first event of a tweet is the catch-up even when it fires nothing; later ones are live."""
    catchup = after_outage(720.0)
    assert catchup.event(TOPIC, [], 731.0) == []
    assert catchup.event(TOPIC, [alert("Likes", "T")], 740.0)[0].title == "T"


def test_catch_up_ends_max_gap_after_the_reconnect() -> None:
    """A tweet's first event more than max_gap after the reconnect is ordinary news."""
    catchup = after_outage(720.0)
    assert catchup.event(TOPIC, [alert("Likes", "T")], 730.0 + 301.0)[0].title == "T"
    assert catchup.outage is None
    assert catchup.event(TOPIC2, [alert("Likes", "U", key=TWEET2)], 730.0 + 302.0)[0].title == "U"


def test_dm_events_are_not_a_catch_up() -> None:
    """A DM after a reconnect is a new message, not a summary of the outage."""
    catchup = after_outage(720.0)
    dm_alert = Alert("New DM", DM_TOPIC, CONV, "New direct message", "m", ("phone",), 731.0, kind="message")
    assert catchup.event(DM_TOPIC, [dm_alert], 731.0) == [dm_alert]


def test_signs_of_life_shorten_the_outage() -> None:
    """A connection reported up (alive) until shortly before the reconnect was not down long."""
    catchup = CatchUp(300)
    catchup.connected(0.0)
    catchup.alive(3000.0)  # the daemon saw the quiet connection still up
    assert catchup.connected(3010.0) is None
    catchup.alive(2000.0)  # a late report never moves the last sign of life back
    assert catchup.connected(3400.0) == Outage(3010.0, 3400.0)


def test_max_gap_is_read_at_each_reconnect() -> None:
    """A changed max_gap (a reload) applies to the next reconnect."""
    catchup = CatchUp(300)
    catchup.connected(0.0)
    catchup.max_gap = 1000
    assert catchup.connected(720.0) is None


def test_burst_of_milestones_for_one_tweet_becomes_one_alert() -> None:
    """Milestones of several rules for one tweet fold into one alert, to every target once."""
    catchup = after_outage(720.0)
    gain = alert("Surge", "Tweet gained 900 likes in 10 minutes", kind="gain", targets=("phone",))
    alerts = [
        alert("Like milestones", "Tweet passed 4,000 likes"),
        gain,
        alert("Repost milestones", "600 reposts! (500 passed)", kind="milestones", targets=("team", "phone")),
    ]
    out = catchup.event(TOPIC, alerts, 731.0)
    assert [a.title for a in out] == [
        "Tweet passed 4,000 likes · 600 reposts! (500 passed) (catch-up after 12 min outage)",
        "Tweet gained 900 likes in 10 minutes (catch-up after 12 min outage)",
    ]
    merged = out[0]
    assert merged.rule == "Like milestones + Repost milestones"
    assert merged.targets == ("team", "phone")
    assert merged.message == "Now 4,100 likes.\nhttps://x.com/i/status/1"  # the same text once
    assert merged.rules == ("Like milestones", "Repost milestones")


def test_merge_keeps_distinct_messages_and_other_tweets_apart() -> None:
    """Different messages are all kept; milestones of different tweets are not folded together."""
    one = alert("A", "a", message="first")
    two = alert("B", "b", kind="milestones", message="second")
    three = alert("A", "c", key=TWEET2)
    merged = merge_milestones([one, three, two])
    assert [m.title for m in merged] == ["a · b", "c"]
    assert merged[0].message == "first\nsecond"


def test_engine_burst_after_an_outage_end_to_end(tmp_path) -> None:
    """Engine alerts from one jump across milestones of two rules come out as one catch-up alert."""
    e, catchup = two_milestone_rules_seen_once(tmp_path)
    catchup.connected(1.0 + 1800)
    out = catchup.event(TOPIC, e.process(TOPIC, engagement(likes=4100, retweets=600), 1802.0), 1802.0)
    assert len(out) == 1
    assert out[0].title == (
        "Tweet passed 4,000 likes · Tweet passed 500 reposts (catch-up after 30 min outage)"
    )


def test_max_gap_defaults_to_five_minutes_and_loads_from_defaults(tmp_path) -> None:
    """defaults.max_gap sets the outage length that counts; without it, 5 minutes."""
    rule = f'- name: A\n  tweets: ["{TWEET}"]\n  every: {{likes: 10}}\n'
    assert ruleset(tmp_path, rule).max_gap == 300.0
    header = HEADER.replace("defaults:\n", "defaults:\n  max_gap: 10m\n")
    assert ruleset(tmp_path, rule, header=header).max_gap == 600.0


@pytest.mark.parametrize(
    ("value", "problem"),
    [("0s", "defaults.max_gap must be longer than zero"), ("soon", "defaults.max_gap 'soon' is not a duration"),
     ("5", "add a unit: 5s, 5m, 5h or 5d"), ("mx_gap: 5m", "unknown key")],
)
def test_bad_max_gap_is_a_load_error(tmp_path, value: str, problem: str) -> None:
    """A max_gap that is not a positive duration is refused at load, with the fix."""
    line = value if ":" in value else f"max_gap: {value}"
    header = HEADER.replace("defaults:\n", f"defaults:\n  {line}\n")
    with pytest.raises(RuleFileError) as caught:
        ruleset(tmp_path, f'- name: A\n  tweets: ["{TWEET}"]\n  every: {{likes: 10}}\n', header=header)
    assert any(problem in text for text in caught.value.problems), caught.value.problems


def test_an_urgent_rule_keeps_its_alerts_urgent_through_a_catch_up_merge(tmp_path) -> None:
    """The engine marks an urgent rule's alerts urgent, and a merged catch-up alert stays urgent."""
    e, catchup = two_milestone_rules_seen_once(tmp_path, likes_urgent=True)
    fired = e.process(TOPIC, engagement(likes=4100, retweets=600), 1802.0)
    assert [(alert.rule, alert.urgent) for alert in fired] == [
        ("Like milestones", True), ("Repost milestones", False),
    ]
    catchup.connected(1.0 + 1800)
    (merged,) = catchup.event(TOPIC, fired, 1802.0)
    assert merged.rule == "Like milestones + Repost milestones" and merged.urgent

