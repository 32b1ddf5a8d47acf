"""The engine's semantics: snapshots, edges, milestones, surges, DMs, state."""

from __future__ import annotations

import json

import pytest

from notifier.rules import Decision, Engine, EngineState
from notifier.rules.engine import GAIN_BUCKETS

from .helpers import (
    CONV,
    CONV2,
    OTHER,
    OWN,
    TOPIC,
    TOPIC2,
    TWEET,
    TWEET2,
    combine,
    dm,
    engagement,
    engine,
    feed,
    ruleset,
    typing,
)

THRESHOLD = f"""
- name: Likes
  tweets: ["{TWEET}", "{TWEET2}"]
  when: likes > 1000
  title: "{{likes}}"
"""


# ------------------------------------------------------------------ snapshot


def test_snapshot_merges_partial_messages(tmp_path):
    """A condition reads the merged snapshot: views from one message, likes from a later one."""
    e = engine(tmp_path, f"""
        - name: Both
          tweets: ["{TWEET}"]
          when: likes > 1000 and views > 5000
    """)
    assert e.process(TOPIC, engagement(likes=900), 0) == []
    assert e.process(TOPIC, engagement(views=6000), 1) == []
    [alert] = e.process(TOPIC, engagement(likes=1200), 2)
    assert "1,200 likes" in alert.message and "6,000 views" in alert.message
    assert e.state.get(f"s:{TWEET}") == {"likes": 1200, "views": 6000}


def test_unknown_name_makes_condition_false_not_an_error(tmp_path):
    """A name with no known value yet is unknown: no alert, no state, no exception."""
    e = engine(tmp_path, f"""
        - name: Views
          tweets: ["{TWEET}"]
          when: views > 10
    """)
    explain: list[Decision] = []
    assert e.process(TOPIC, engagement(likes=5), 0, explain) == []
    assert [d.outcome for d in explain] == ["unknown"]
    assert explain[0].matched is None and explain[0].values == {"views": None}
    assert not any(key.startswith("r:") for key in e.state.entries())
    # The first known value is the first observation: it sets state and stays quiet.
    assert e.process(TOPIC, engagement(views=50), 1) == []
    [alert] = [*e.process(TOPIC, engagement(views=5), 2), *e.process(TOPIC, engagement(views=20), 3)]
    assert alert.ts == 3


def test_or_with_one_side_known_true_is_true(tmp_path):
    """Three-valued logic: true or unknown is true, so the first observation is known."""
    e = engine(tmp_path, f"""
        - name: Either
          tweets: ["{TWEET}"]
          when: likes > 10 or views > 10
    """)
    explain: list[Decision] = []
    e.process(TOPIC, engagement(likes=50), 0, explain)
    assert explain[0].outcome == "initial" and explain[0].matched is True


def test_aliases_are_accepted_in_conditions(tmp_path):
    """Wire names (like_count) mean the same field as likes, chained comparisons too."""
    e = engine(tmp_path, f"""
        - name: Band
          tweets: ["{TWEET}"]
          when: 1000 < like_count < 5000
    """)
    assert feed(e, [(0, engagement(likes=10)), (1, engagement(likes=2000)), (2, engagement(likes=6000)),
                    (3, engagement(likes=3000))]) == ["Band", "Band"]


# ---------------------------------------------------------------------- when


def test_when_fires_on_the_edge_and_rearms_when_false(tmp_path):
    """Fires on false -> true only; re-arms when false; per tweet."""
    e = engine(tmp_path, THRESHOLD)
    assert feed(e, [(0, engagement(likes=900)), (1, engagement(likes=1100)), (2, engagement(likes=1200)),
                    (3, engagement(likes=1300)), (4, engagement(likes=999)), (5, engagement(likes=1001))]) == [
        "1100", "1001"]
    # The other tweet of the rule has its own edge.
    assert feed(e, [(6, engagement(likes=10)), (7, engagement(likes=5000))], TOPIC2) == ["5000"]


def test_first_observation_sets_state_without_firing(tmp_path):
    """Already true at the first observation: quiet, explained as initial (the daemon logs it)."""
    e = engine(tmp_path, THRESHOLD)
    explain: list[Decision] = []
    assert e.process(TOPIC, engagement(likes=5000), 0, explain) == []
    [decision] = explain
    assert (decision.outcome, decision.matched, decision.key) == ("initial", True, TWEET)
    assert "already holds" in decision.detail
    assert feed(e, [(1, engagement(likes=6000)), (2, engagement(likes=10)), (3, engagement(likes=2000))]) == ["2000"]


def test_initial_fire_announces_a_state_already_met(tmp_path):
    """initial: fire fires at the first observation when the condition already holds."""
    e = engine(tmp_path, THRESHOLD + "  initial: fire\n")
    assert feed(e, [(0, engagement(likes=5000)), (1, engagement(likes=6000))]) == ["5000"]


def test_rearm_when_adds_hysteresis(tmp_path):
    """With rearm_when, falling below the threshold is not enough: rearm_when must hold."""
    e = engine(tmp_path, THRESHOLD + "  rearm_when: likes < 900\n")
    steps = [(0, 500), (1, 1100), (2, 950), (3, 1100), (4, 850), (5, 1100)]
    assert feed(e, [(now, engagement(likes=value)) for now, value in steps]) == ["1100", "1100"]
    explain: list[Decision] = []
    e.process(TOPIC, engagement(likes=950), 6, explain)
    assert explain[0].outcome == "waiting" and "rearm_when" in explain[0].detail


def test_cooldown_is_the_least_time_between_firings(tmp_path):
    """A match within the cooldown is held back (and counted); after it, edges fire again."""
    e = engine(tmp_path, THRESHOLD + "  cooldown: 1m\n")
    steps = [(0, 500), (10, 1100), (20, 500), (30, 1200), (40, 500), (50, 1300), (60, 500), (75, 1400)]
    alerts = []
    for now, value in steps:
        alerts += e.process(TOPIC, engagement(likes=value), now)
    assert [(a.ts, a.title) for a in alerts] == [(10, "1100"), (75, "1400")]
    assert alerts[1].fields["suppressed"] == 2 and alerts[1].fields["suppressed_since"] == 30
    explain: list[Decision] = []
    e.process(TOPIC, engagement(likes=500), 80)
    e.process(TOPIC, engagement(likes=1500), 90, explain)
    assert explain[0].outcome == "cooldown" and explain[0].matched is True


def test_once_fires_at_most_once_per_tweet(tmp_path):
    """once: true never fires again for that tweet, even after re-arming."""
    e = engine(tmp_path, THRESHOLD + "  once: true\n")
    assert feed(e, [(0, engagement(likes=1)), (1, engagement(likes=2000)), (2, engagement(likes=1)),
                    (3, engagement(likes=3000))]) == ["2000"]
    assert feed(e, [(4, engagement(likes=1)), (5, engagement(likes=4000))], TOPIC2) == ["4000"]


def test_string_field_condition(tmp_path):
    """view_state compares with text."""
    e = engine(tmp_path, f"""
        - name: Counted
          tweets: ["{TWEET}"]
          when: view_state == "EnabledWithCount"
    """)
    assert feed(e, [(0, engagement(view_state="Disabled")), (1, engagement(view_state="EnabledWithCount"))]) == [
        "Counted"]


# ---------------------------------------------------------------- milestones


def test_every_fires_per_milestone_jump_and_drop(tmp_path):
    """every: announces each new multiple once; a jump names the highest; a drop never re-announces."""
    e = engine(tmp_path, f"""
        - name: Likes
          tweets: ["{TWEET}"]
          every: {{likes: 1000}}
    """)
    steps = [900, 1000, 1500, 4100, 3900, 4100, 4999, 5000]
    titles = feed(e, [(now, engagement(likes=value)) for now, value in enumerate(steps)])
    assert titles == ["Tweet passed 1,000 likes", "Tweet passed 4,000 likes", "Tweet passed 5,000 likes"]


def test_milestones_first_observation_sets_the_mark_silently(tmp_path):
    """At the first observation the mark is the highest milestone reached, not announced."""
    e = engine(tmp_path, f"""
        - name: Reposts
          tweets: ["{TWEET}"]
          milestones: {{retweets: [100, 1000, 10000]}}
    """)
    explain: list[Decision] = []
    e.process(TOPIC, engagement(retweets=2500), 0, explain)
    assert (explain[0].outcome, explain[0].matched) == ("initial", True)
    assert e.state.get(f"r:{e.ruleset.rules[0].identity}:{TWEET}")["m"] == 1000
    titles = feed(e, [(1, engagement(retweets=9999)), (2, engagement(retweets=20000)),
                      (3, engagement(retweets=30000))])
    assert titles == ["Tweet passed 10,000 reposts"]


def test_milestones_initial_fire_names_the_highest_reached(tmp_path):
    """initial: fire announces the highest milestone already reached at the first observation."""
    e = engine(tmp_path, f"""
        - name: Views
          tweets: ["{TWEET}"]
          milestones: {{view_count: [100, 1000, 10000]}}
          initial: fire
    """)
    assert feed(e, [(0, engagement(views=5000)), (1, engagement(views=6000))]) == ["Tweet passed 1,000 views"]


def test_milestone_default_texts_read_well(tmp_path):
    """The default milestone alert says what happened and links the tweet."""
    e = engine(tmp_path, f"""
        - name: Likes
          tweets: ["{TWEET}"]
          every: {{likes: 1000}}
    """)
    e.process(TOPIC, engagement(likes=1999, retweets=1), 0)
    [alert] = e.process(TOPIC, engagement(likes=2004), 1)
    assert alert.title == "Tweet passed 2,000 likes"
    assert alert.message == f"Now 2,004 likes · 1 repost.\nhttps://x.com/i/status/{TWEET}"
    assert (alert.kind, alert.notify_type, alert.targets, alert.key, alert.topic) == (
        "every", "success", ("team",), TWEET, TOPIC)


def test_milestone_in_cooldown_is_consumed(tmp_path):
    """A milestone reached during the cooldown is held back; the next one is announced after it."""
    e = engine(tmp_path, f"""
        - name: Likes
          tweets: ["{TWEET}"]
          every: {{likes: 100}}
          cooldown: 1m
    """)
    steps = [(0, 50), (1, 100), (2, 200), (3, 300), (70, 350), (71, 400)]
    alerts = []
    for now, value in steps:
        alerts += e.process(TOPIC, engagement(likes=value), now)
    assert [a.title for a in alerts] == ["Tweet passed 100 likes", "Tweet passed 400 likes"]
    assert alerts[1].fields["suppressed"] == 2


# ---------------------------------------------------------------------- gain



def gain_rule(amount: int = 500) -> str:
    return f"""
- name: Surge
  tweets: ["{TWEET}"]
  gain: {{likes: {amount}, within: 10m}}
"""


GAIN = gain_rule()


def test_gain_uses_the_oldest_sample_as_a_lower_bound(tmp_path):
    """With no sample as old as the window, the rise since the oldest sample counts."""
    e = engine(tmp_path, GAIN)
    titles = feed(e, [(0, engagement(likes=1000)), (60, engagement(likes=1400)), (120, engagement(likes=1600))])
    assert titles == ["Tweet gained 600 likes in 10 minutes"]


def test_gain_interpolates_the_value_a_window_ago(tmp_path):
    """The baseline is interpolated between the samples around now - within."""
    e = engine(tmp_path, gain_rule(700))
    explain: list[Decision] = []
    # Samples at t=0 (1000) and t=1000 (2000): ten minutes before t=1000 is t=400,
    # interpolated 1400, so the rise is 600 (the oldest sample would say 1000).
    assert e.process(TOPIC, engagement(likes=1000), 0) == []
    assert e.process(TOPIC, engagement(likes=2000), 1000, explain) == []
    assert explain[0].values["gain"] == pytest.approx(600)
    e2 = engine(tmp_path, gain_rule(600))
    e2.process(TOPIC, engagement(likes=1000), 0)
    [alert] = e2.process(TOPIC, engagement(likes=2000), 1000)
    assert alert.title == "Tweet gained 600 likes in 10 minutes" and alert.notify_type == "warning"


def test_gain_is_edge_triggered_and_rearms(tmp_path):
    """A continuing surge fires once; after the rise falls below N it can fire again."""
    e = engine(tmp_path, GAIN)
    steps = [(0, 0), (60, 600), (120, 1200), (180, 1800),  # fires at 60, keeps rising
             (1500, 1900),  # the last ten minutes saw little: re-armed
             (1560, 2500)]  # a new surge
    alerts = []
    for now, value in steps:
        alerts += e.process(TOPIC, engagement(likes=value), now)
    assert [a.ts for a in alerts] == [60, 1560]


def test_gain_samples_every_event_of_the_tweet(tmp_path):
    """Events carrying other fields still sample the count, sharpening the baseline."""
    e = engine(tmp_path, gain_rule(700))
    # likes 1000 at t=0, unchanged 1000 seen at t=500 (a views event), 2000 at t=1000:
    # the baseline at t=400 interpolates between t=0 and t=500: 1000, so the rise is 1000.
    e.process(TOPIC, engagement(likes=1000), 0)
    e.process(TOPIC, engagement(views=5), 500)
    [alert] = e.process(TOPIC, engagement(likes=2000), 1000)
    assert alert.fields["gain"] == 1000


def test_gain_memory_is_bounded_whatever_the_rate(tmp_path):
    """100 events a second for 20 minutes keep at most a fixed number of samples, and the rise stays accurate."""
    e = engine(tmp_path, gain_rule(10**9))
    rkey = f"r:{e.ruleset.rules[0].identity}:{TWEET}"
    # Two numbers per sample, at most two samples per bucket, the window plus its edges.
    bound = 4 * (GAIN_BUCKETS + 2)
    largest = 0
    explain: list[Decision] = []
    for step in range(120_000):
        now = step / 100
        if step == 119_999:
            e.process(TOPIC, engagement(likes=step), now, explain)
        else:
            e.process(TOPIC, engagement(likes=step), now)
        if step % 997 == 0:
            largest = max(largest, len(e.state.entries()[rkey]["p"]))
    assert largest <= bound
    # The true rise over the last 600 s is 60,000; one bucket is 600/32 s = 1,875 events.
    assert abs(explain[0].values["gain"] - 60_000) <= 1_875


def test_gain_samples_survive_a_restart_and_a_reload(tmp_path):
    """Samples saved as JSON, or kept across a rule reload, decide exactly as if nothing happened."""
    steps = [(t * 37.0, engagement(likes=1000 + t * t)) for t in range(60)]
    straight = engine(tmp_path, GAIN)
    expected = feed(straight, steps)
    assert expected  # the surge fires somewhere in there

    first = engine(tmp_path, GAIN)
    titles = feed(first, steps[:30])
    saved = json.loads(json.dumps(first.state.entries()))
    assert all(isinstance(entry["p"], list) for key, entry in saved.items() if "p" in entry)
    second = engine(tmp_path, GAIN, state=EngineState.from_entries(saved))
    titles += feed(second, steps[30:45])
    second.replace_rules(second.ruleset)
    titles += feed(second, steps[45:])
    assert titles == expected
    assert second.state.entries() == straight.state.entries()


def test_gain_rearm_when_can_read_the_gain(tmp_path):
    """rearm_when on a gain rule may use the name gain."""
    e = engine(tmp_path, GAIN + "  rearm_when: gain < 100\n")
    steps = [(0, 0), (60, 600), (700, 900),  # rise over the window 300: below 500, above 100: not re-armed
             (760, 1500),  # would be a new surge, but the rule was never re-armed
             (3000, 1510),  # quiet: rise 10 < 100, re-armed
             (3060, 2100)]
    alerts = []
    for now, value in steps:
        alerts += e.process(TOPIC, engagement(likes=value), now)
    assert [a.ts for a in alerts] == [60, 3060]


# ----------------------------------------------------------------------- DMs

DMS = f"""
- name: New DM
  dms: ["{CONV}", "{CONV2}"]
  on: message
"""


def test_dm_message_fires_per_message_except_own(tmp_path):
    """Every dm_update fires, keyed by conversation; the account's own messages never do."""
    e = engine(tmp_path, DMS)
    [alert] = e.process(f"/dm_update/{CONV}", dm(OTHER), 0)
    assert (alert.key, alert.kind, alert.notify_type, alert.title) == (CONV, "message", "info", "New direct message")
    assert alert.message == f"User {OTHER} wrote in conversation {CONV}.\nhttps://x.com/messages/{CONV}"
    assert len(e.process(f"/dm_update/{CONV}", dm(OTHER), 1)) == 1
    explain: list[Decision] = []
    assert e.process(f"/dm_update/{CONV}", dm(OWN), 2, explain) == []
    assert explain[0].outcome == "own"
    # A typing payload is not a message, even on a message topic.
    assert e.process(f"/dm_update/{CONV}", typing(OTHER), 3) == []


def test_a_rules_group_wait_travels_on_its_alerts(tmp_path):
    """A message rule's group_wait is set on each alert it fires, for delivery to read."""
    e = engine(tmp_path, DMS + "  group_wait: 30s\n")
    [alert] = e.process(f"/dm_update/{CONV}", dm(OTHER), 0)
    assert alert.group_wait == 30.0
    assert engine(tmp_path, DMS).process(f"/dm_update/{CONV}", dm(OTHER), 0)[0].group_wait == 0.0


def test_without_own_user_id_every_message_fires(tmp_path):
    """When the account's id is unknown, no message can be recognised as its own."""
    e = engine(tmp_path, DMS, own_user_id=None)
    assert len(e.process(f"/dm_update/{CONV}", dm(OWN), 0)) == 1


def test_star_watches_every_conversation_the_file_names(tmp_path):
    """dms: ["*"] covers the conversations of the other rules, on its own event kind."""
    rules = ruleset(tmp_path, combine(DMS, """
        - name: Typing anywhere
          dms: ["*"]
          on: typing
    """))
    assert rules.topics == {f"/dm_update/{CONV}", f"/dm_update/{CONV2}", f"/dm_typing/{CONV}", f"/dm_typing/{CONV2}"}
    e = Engine(rules, own_user_id=OWN)
    assert [a.rule for a in e.process(f"/dm_typing/{CONV2}", typing(OTHER, CONV2), 0)] == ["Typing anywhere"]
    assert e.process("/dm_typing/5555555555-6666666666", typing(OTHER, "5555555555-6666666666"), 1) == []


def test_typing_has_a_default_cooldown_of_a_minute_per_conversation(tmp_path):
    """Typing indicators repeat; without a cooldown of its own a typing rule waits 60 s per conversation."""
    e = engine(tmp_path, f"""
        - name: Typing
          dms: ["{CONV}", "{CONV2}"]
          on: typing
    """)
    assert e.ruleset.rules[0].cooldown == 60
    times = [a.ts for now in (0, 30, 59, 61) for a in e.process(f"/dm_typing/{CONV}", typing(), now)]
    assert times == [0, 61]
    assert len(e.process(f"/dm_typing/{CONV2}", typing(OTHER, CONV2), 30)) == 1


def test_typing_cooldown_can_be_set(tmp_path):
    """An explicit cooldown on a typing rule replaces the default, even 0s."""
    e = engine(tmp_path, f"""
        - name: Typing
          dms: ["{CONV}"]
          on: typing
          cooldown: 0s
    """)
    assert len([a for now in (0, 1, 2) for a in e.process(f"/dm_typing/{CONV}", typing(), now)]) == 3


def test_dm_once_and_cooldown(tmp_path):
    """once and cooldown apply per conversation to message rules too."""
    e = engine(tmp_path, DMS + "  once: true\n")
    assert len([a for now in (0, 100, 1000) for a in e.process(f"/dm_update/{CONV}", dm(), now)]) == 1
    e = engine(tmp_path, DMS + "  cooldown: 10s\n")
    times = [a.ts for now in (0, 5, 10, 12) for a in e.process(f"/dm_update/{CONV}", dm(), now)]
    assert times == [0, 10]


# ------------------------------------------------------------- index, explain


def test_events_reach_only_the_rules_on_their_topic(tmp_path):
    """explain lists one decision per rule watching the topic, none for rules elsewhere."""
    others = [
        f"""
        - name: Other {index}
          tweets: ["{9000 + index}"]
          when: likes > 1
        """
        for index in range(50)
    ]
    e = engine(tmp_path, combine(THRESHOLD, *others))
    explain: list[Decision] = []
    e.process(TOPIC, engagement(likes=5), 0, explain)
    assert [d.rule for d in explain] == ["Likes"]
    assert e.process("/tweet_engagement/42", engagement(likes=5), 0) == []
    assert e.process("/system/config", engagement(likes=5), 0) == []


def test_explain_does_not_change_what_fires(tmp_path):
    """The same events give the same alerts and state with or without explain."""
    rules = combine(THRESHOLD + "  rearm_when: likes < 500\n", GAIN, f"""
        - name: Every
          tweets: ["{TWEET}"]
          every: {{likes: 300}}
    """)
    plain, explained = engine(tmp_path, rules), engine(tmp_path, rules)
    values = [100, 1200, 1200, 800, 400, 1500, 1500, 200, 2500, 2600, 100]
    a1, a2 = [], []
    for now, value in enumerate(values):
        payload = engagement(likes=value, views=now) if now % 2 else engagement(likes=value)
        a1 += plain.process(TOPIC, payload, now * 100)
        a2 += explained.process(TOPIC, payload, now * 100, [])
    assert a1 == a2 and len(a1) > 3
    assert plain.state.entries() == explained.state.entries()


def test_decisions_read_as_one_line(tmp_path):
    """A decision prints as one line naming the rule, key, outcome and the values compared."""
    e = engine(tmp_path, THRESHOLD)
    explain: list[Decision] = []
    e.process(TOPIC, engagement(likes=10), 0)
    e.process(TOPIC, engagement(likes=20), 1, explain)
    assert str(explain[0]) == f"Likes [{TWEET}]: no_match — likes > 1000 is false"
    assert explain[0].values == {"likes": 20}


# --------------------------------------------------------------------- state


def test_take_dirty_hands_over_changes_once(tmp_path):
    """take_dirty returns copies of what changed since the last call, then nothing."""
    e = engine(tmp_path, THRESHOLD)
    e.process(TOPIC, engagement(likes=10), 0)
    dirty = e.state.take_dirty()
    rkey = f"r:{e.ruleset.rules[0].identity}:{TWEET}"
    history = {"p": [0.0, 10.0, -1.0, -1.0, -1.0, -1.0]}  # the tweet's counts over time, for charts
    assert dirty == {f"s:{TWEET}": {"likes": 10}, f"h:{TWEET}": history, rkey: {"a": True}}
    assert e.state.take_dirty() == {}
    dirty[rkey]["a"] = False  # a copy: the engine is not affected
    assert e.state.get(rkey) == {"a": True}
    # An event that changes nothing dirties nothing.
    e.process(TOPIC, engagement(likes=10), 1)
    assert e.state.take_dirty() == {}


def test_state_survives_a_restart_without_repeats_or_misses(tmp_path):
    """Restored entries: no repeat for what was announced; a milestone crossed while down fires once."""
    rules = combine(THRESHOLD, f"""
        - name: Every
          tweets: ["{TWEET}"]
          every: {{likes: 1000}}
    """)
    first = engine(tmp_path, rules)
    titles = feed(first, [(0, engagement(likes=500)), (1, engagement(likes=1500))])
    assert titles == ["1500", "Tweet passed 1,000 likes"]
    saved = json.loads(json.dumps(first.state.entries()))

    second = engine(tmp_path, rules, state=EngineState.from_entries(saved))
    assert feed(second, [(100, engagement(likes=1600))]) == []
    # While "down", likes went from 1,600 to 3,100: one announcement, naming 3,000.
    assert feed(second, [(200, engagement(likes=3100))]) == ["Tweet passed 3,000 likes"]


def test_replace_rules_keeps_state_of_unchanged_rules(tmp_path):
    """Same name and trigger keep their state, unwatched tweets included; a changed trigger drops it."""
    e = engine(tmp_path, THRESHOLD)
    e.process(TOPIC, engagement(likes=5000), 0)  # initial: true, quiet
    e.process(TOPIC2, engagement(likes=5000), 0)
    e.state.take_dirty()
    old_key = f"r:{e.ruleset.rules[0].identity}:{TWEET}"

    # Only the cooldown and notify change, and the rule stops watching TWEET2.
    e.replace_rules(ruleset(tmp_path, f"""
        - name: Likes
          tweets: ["{TWEET}"]
          when: likes > 1000
          cooldown: 5m
          notify: [phone]
    """))
    assert e.state.take_dirty() == {}
    unwatched = f"r:{e.ruleset.rules[0].identity}:{TWEET2}"
    assert unwatched in e.state and f"s:{TWEET2}" in e.state
    assert e.process(TOPIC, engagement(likes=6000), 1) == []  # still known to be true: no repeat
    e.state.take_dirty()

    e.replace_rules(ruleset(tmp_path, f"""
        - name: Likes
          tweets: ["{TWEET}"]
          when: likes > 2000
    """))
    assert e.state.take_dirty() == {old_key: None, unwatched: None, f"s:{TWEET2}": None, f"h:{TWEET2}": None}
    explain: list[Decision] = []
    e.process(TOPIC, engagement(likes=7000), 2, explain)
    assert explain[0].outcome == "initial"


def test_unwatched_state_is_kept_saved_and_aged_out_on_the_event_clock(tmp_path):
    """An unwatched key's entry notes since when (saved), survives a restart, and goes after 30 days."""
    e = engine(tmp_path, THRESHOLD)
    e.process(TOPIC2, engagement(likes=5000), 0)
    e.state.take_dirty()
    rule_id = e.ruleset.rules[0].identity
    only_first = ruleset(tmp_path, f"""
        - name: Likes
          tweets: ["{TWEET}"]
          when: likes > 1000
    """)
    e.replace_rules(only_first, 100.0)
    assert e.state.take_dirty() == {f"r:{rule_id}:{TWEET2}": {"a": False, "u": 100.0}}
    # A restart with the rule file still unwatching TWEET2 keeps it and its mark.
    e = Engine(only_first, EngineState.from_entries(json.loads(json.dumps(e.state.entries()))))
    e.replace_rules(only_first, 100.0 + 30 * 86400 - 1)
    assert e.state.take_dirty() == {} and f"s:{TWEET2}" in e.state
    e.replace_rules(only_first, 100.0 + 30 * 86400)
    # The tweet's history (for charts) goes with its snapshot.
    assert e.state.take_dirty() == {f"r:{rule_id}:{TWEET2}": None, f"s:{TWEET2}": None, f"h:{TWEET2}": None}


def test_watched_again_the_mark_goes_and_a_removed_rule_takes_its_unwatched_state(tmp_path):
    """Watching a key again clears its unwatched mark; removing the rule drops its kept entries."""
    e = engine(tmp_path, THRESHOLD)
    e.process(TOPIC2, engagement(likes=5000), 0)
    both = e.ruleset
    rule_id = both.rules[0].identity
    e.replace_rules(ruleset(tmp_path, f"""
        - name: Likes
          tweets: ["{TWEET}"]
          when: likes > 1000
    """), 100.0)
    e.state.take_dirty()
    e.replace_rules(both, 200.0)
    assert e.state.take_dirty() == {f"r:{rule_id}:{TWEET2}": {"a": False}}
    assert e.process(TOPIC2, engagement(likes=6000), 201) == []  # still known to be true: no repeat
    e.replace_rules(ruleset(tmp_path, f"""
        - name: Other
          tweets: ["{TWEET}"]
          when: likes > 1000
    """), 300.0)
    assert set(e.state.entries()) == set()


def test_damaged_saved_state_is_dropped_not_fatal(tmp_path):
    """Entries of the wrong shape are discarded when the engine takes the state."""
    rules = ruleset(tmp_path, THRESHOLD + GAIN)
    when_id, gain_id = (rule.identity for rule in rules.rules)
    saved = {
        f"s:{TWEET}": {"likes": "many"},
        f"r:{when_id}:{TWEET}": {"a": "yes"},
        f"r:{gain_id}:{TWEET}": {"a": True, "p": [1, 2, 3]},
        f"r:{when_id}:{TWEET2}": {"a": False},
        "r:unknown:1": {"a": True},
        "junk": 5,
    }
    e = Engine(rules, EngineState.from_entries(saved))
    assert set(e.state.entries()) == {f"r:{when_id}:{TWEET2}"}
    assert all(value is None for value in e.state.take_dirty().values())
    assert e.process(TOPIC, engagement(likes=1), 0) == []


def test_entries_are_json_safe(tmp_path):
    """Every entry survives a JSON round trip unchanged (the daemon stores JSON)."""
    e = engine(tmp_path, THRESHOLD + GAIN + DMS + "  cooldown: 1m\n")
    for now in range(50):
        e.process(TOPIC, engagement(likes=now * 40, view_state="On"), now * 30.5)
    e.process(f"/dm_update/{CONV}", dm(), 1)
    entries = e.state.entries()
    assert json.loads(json.dumps(entries)) == entries
    restored = EngineState.from_entries(json.loads(json.dumps(entries)))
    assert restored.entries() == entries


def test_alert_fields_are_json_safe(tmp_path):
    """Alert.fields hold plain JSON values (the outbox stores them)."""
    e = engine(tmp_path, THRESHOLD)
    e.process(TOPIC, engagement(likes=1), 0)
    [alert] = e.process(TOPIC, engagement(likes=2000), 1_700_000_000)
    assert json.loads(json.dumps(alert.fields)) == alert.fields
    assert alert.fields["time"] == "2023-11-14T22:13:20+00:00"
