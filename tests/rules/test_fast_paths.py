"""The engine's shortcuts for events that change nothing decide exactly as the rules themselves."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from notifier.rulefile import load_rules
from notifier.rules import Engine, EngineState
from notifier.rules.plans import Watch as _Watch
from notifier.rules.triggers.milestones import MilestoneRule as _MilestoneRule
from notifier.rules.engine_state import RuleEntry
from notifier.rules.triggers import compile_rule
from notifier.rules.triggers.when import true_range

from .helpers import TWEET, TWEET2, engagement, take_dirty_into, write_rules

RULES = f"""
- name: Likes over 300
  tweets: ["{TWEET}", "{TWEET2}"]
  when: likes > 300
- name: Sum with unknowns
  tweets: ["{TWEET}"]
  when: likes + retweets > 400 and views >= 50
  rearm_when: likes < 200
  cooldown: 5s
- name: Either
  tweets: ["{TWEET}", "{TWEET2}"]
  when: quotes > 3 or replies > 3
- name: Once
  tweets: ["{TWEET2}"]
  when: replies > 3 or quotes > 3
  once: true
- name: State
  tweets: ["{TWEET}"]
  when: view_state == "EnabledWithCount"
  initial: fire
- name: Every 100
  tweets: ["{TWEET}", "{TWEET2}"]
  every: {{likes: 100}}
- name: Every 7 views
  tweets: ["{TWEET}"]
  every: {{views: 7}}
  cooldown: 3s
- name: Milestones
  tweets: ["{TWEET}", "{TWEET2}"]
  milestones: {{likes: [50, 250, 600]}}
  initial: fire
- name: Surge
  tweets: ["{TWEET2}"]
  gain: {{likes: 150, within: 20s}}
- name: Surge held back
  tweets: ["{TWEET}", "{TWEET2}"]
  gain: {{likes: 100, within: 10s}}
  cooldown: 4s
  rearm_when: likes < 500
- name: Surge once
  tweets: ["{TWEET}"]
  gain: {{views: 80, within: 30s}}
  once: true
- name: At least 250.5 likes, re-armed by retweets
  tweets: ["{TWEET}", "{TWEET2}"]
  when: likes >= 250.5
  rearm_when: retweets < 100
- name: Views above, written backwards
  tweets: ["{TWEET}"]
  when: 500 < views
  cooldown: 2s
- name: Few retweets
  tweets: ["{TWEET2}"]
  when: retweets <= 120.5
- name: Few replies
  tweets: ["{TWEET}"]
  when: replies < 4
  initial: fire
- name: Exactly 300
  tweets: ["{TWEET}"]
  when: likes == 300
- name: Every 100 once
  tweets: ["{TWEET2}"]
  every: {{likes: 100}}
  once: true
"""

# Counts at the rules' thresholds and milestones, and one either side, come up often:
# a quiet band that is one off shows only there.
_EDGES = [edge + step for edge in (4, 100, 120, 200, 250, 300, 400, 500, 600) for step in (-1, 0, 1)]
_counts = st.one_of(st.none(), st.integers(0, 800), st.sampled_from(_EDGES))
_event = st.fixed_dictionaries(
    {"likes": _counts},
    optional={
        "retweets": _counts,
        "replies": st.integers(0, 8),
        "quotes": st.integers(0, 8),
        "views": _counts,
        "view_state": st.sampled_from(["EnabledWithCount", "Disabled"]),
    },
)
_steps = st.lists(
    st.tuples(st.floats(0, 6, allow_nan=False), st.sampled_from([TWEET, TWEET2]), _event), max_size=50,
)
# Saved marks as a damaged or hand-edited state might hold them.
_marks = st.one_of(st.integers(-300, 900), st.floats(-300, 900, allow_nan=False))


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    return load_rules(write_rules(tmp_path_factory.mktemp("rules"), RULES), env={})


def _run(engine: Engine, steps, explain: bool) -> list:
    alerts, now = [], 0.0
    for gap, tweet, fields in steps:
        now += gap
        payload = engagement(**{name: value for name, value in fields.items() if value is not None})
        alerts += [
            (a.rule, a.key, a.title, a.message, a.ts)
            for a in engine.process(f"/tweet_engagement/{tweet}", payload, now, [] if explain else None)
        ]
    return alerts


@settings(max_examples=300, deadline=None)
@given(
    steps=_steps, marks=st.lists(_marks, min_size=3, max_size=3),
    armed=st.lists(st.one_of(st.none(), st.booleans()), min_size=4, max_size=4),
)
# (A fired rule restored without its count, and with no rearm_when, is left out:
# explain re-arms it on any event, the plain path on one that carries the count.)
# Known true with quotes unknown, then unknown (false or unknown): re-arms; true again: fires.
@example(
    steps=[(1.0, TWEET, {"likes": 1, "replies": r}) for r in (5, 1, 5)],
    marks=[0, 0, 0], armed=[None] * 4,
)
# A rise of exactly a gain rule's amount fires it.
@example(steps=[(1.0, TWEET2, {"likes": 0}), (1.0, TWEET2, {"likes": 150})], marks=[0, 0, 0], armed=[None] * 4)
# Fired with its count not known (a restart): a change to the rearm_when's count re-arms it.
@example(steps=[(1.0, TWEET, {"retweets": 5})], marks=[0, 0, 0], armed=[None, None, None, False])
def test_shortcuts_give_the_alerts_and_state_of_running_every_rule(rules, steps, marks, armed):
    """Partial events on two tweets: the plain path and explain (every rule run in full) agree on alerts and state."""
    saved = {}
    milestone_rules = [rule for rule in rules.rules if rule.kind in ("every", "milestones")][:3]
    for rule, mark in zip(milestone_rules, marks):
        saved[f"r:{rule.identity}:{TWEET}"] = {"m": mark}
    # Saved when-rule states, with no snapshot: armed, or fired with nothing known yet.
    restored = [
        "Views above, written backwards", "Few replies", "Exactly 300", "At least 250.5 likes, re-armed by retweets",
    ]
    for name, state in zip(restored, armed):
        rule = next(rule for rule in rules.rules if rule.name == name)
        if state is not None and (state or rule.rearm_when is not None):
            saved[f"r:{rule.identity}:{TWEET}"] = {"a": state}
    plain = Engine(rules, EngineState.from_entries(saved))
    explained = Engine(rules, EngineState.from_entries(saved))
    assert _run(plain, steps, explain=False) == _run(explained, steps, explain=True)
    assert plain.state.entries() == explained.state.entries()


@settings(max_examples=500, deadline=None)
@given(
    step=st.one_of(st.none(), st.integers(1, 500)),
    marks=st.lists(st.integers(1, 10_000), min_size=1, max_size=5, unique=True).map(sorted),
    mark=_marks,
    value=st.integers(-100, 20_000),
)
@example(step=100, marks=[1], mark=199, value=200)
@example(step=None, marks=[50, 250], mark=-1, value=10)
@example(step=None, marks=[50, 250], mark=250, value=10**6)
def test_next_threshold_is_where_a_milestone_is_crossed(tmp_path_factory, step, marks, mark, value):
    """Below next_above(mark) no milestone above mark is reached; at or above it one is."""
    trigger = f"every: {{likes: {step}}}" if step else f"milestones: {{likes: {marks}}}"
    path = write_rules(tmp_path_factory.mktemp("rules"), f'- name: M\n  tweets: ["{TWEET}"]\n  {trigger}\n')
    rule = _MilestoneRule(load_rules(path, env={}).rules[0])
    threshold = rule.next_above(mark)
    if threshold is None:
        assert not (isinstance(mark, int) and mark >= 0)
    else:
        assert (value < threshold) == (rule.highest(value) <= mark)


def test_a_watch_mirrors_what_it_is_attached_to(rules):
    """A (rule, tweet) pair's mirrored fields follow the state entry it is given."""
    every = next(rule for rule in rules.rules if rule.kind == "every")
    watch = _Watch(_MilestoneRule(every), "r:x", 1)
    assert (watch.state, watch.mark, watch.next) == (None, None, None)
    state = RuleEntry({"m": 200})
    watch.attach(state)
    assert (watch.mark, watch.next) == (200, 300)
    watch.set_mark(400)
    assert state == {"m": 400} and watch.next == 500


@settings(max_examples=200, deadline=None)
@given(steps=_steps, takes=st.lists(st.booleans(), min_size=50, max_size=50))
def test_take_dirty_at_any_pace_rebuilds_the_entries(rules, steps, takes):
    """Taking the changes after some events and not others, applied in order, always rebuilds entries()."""
    engine = Engine(rules)
    mirror: dict = {}
    now = 0.0
    for (gap, tweet, fields), take in zip(steps, takes):
        now += gap
        payload = engagement(**{name: value for name, value in fields.items() if value is not None})
        engine.process(f"/tweet_engagement/{tweet}", payload, now)
        if take:
            take_dirty_into(engine, mirror)
            assert mirror == engine.state.entries()
    take_dirty_into(engine, mirror)
    assert mirror == engine.state.entries()


# Minutes apart: the charts' history takes a sample on most events (at most one a minute).
_slow_steps = st.lists(
    st.tuples(st.floats(0, 150, allow_nan=False), st.sampled_from([TWEET, TWEET2]), _event), max_size=50,
)


@settings(max_examples=200, deadline=None)
@given(steps=_slow_steps, takes=st.lists(st.booleans(), min_size=50, max_size=50))
def test_history_marked_once_a_round_is_saved_at_any_pace(rules, steps, takes):
    """A post's history, marked changed once per take_dirty round, is saved whole however often changes are taken."""
    engine = Engine(rules)
    mirror: dict = {}
    now = 0.0
    for (gap, tweet, fields), take in zip(steps, takes):
        now += gap
        payload = engagement(**{name: value for name, value in fields.items() if value is not None})
        engine.process(f"/tweet_engagement/{tweet}", payload, now)
        if take:
            take_dirty_into(engine, mirror)
            assert mirror == engine.state.entries()
    take_dirty_into(engine, mirror)
    assert mirror == engine.state.entries()


def test_a_condition_without_fields_never_runs_with_or_without_explain(tmp_path):
    """A when rule that reads no field is never run, so explaining does not change what it does."""
    rules = load_rules(write_rules(tmp_path, f'- name: Constant\n  tweets: ["{TWEET}"]\n  when: 1 < 2\n  initial: fire\n'), env={})
    plain, explained = Engine(rules), Engine(rules)
    assert plain.process(f"/tweet_engagement/{TWEET}", engagement(likes=5), 1.0) == []
    assert explained.process(f"/tweet_engagement/{TWEET}", engagement(likes=5), 1.0, []) == []
    assert plain.state.entries() == explained.state.entries()


BANDED = f"""
- name: Over 300
  tweets: ["{TWEET}"]
  when: likes > 300
- name: At least 250.5, re-armed by retweets
  tweets: ["{TWEET}"]
  when: likes >= 250.5
  rearm_when: retweets < 100
- name: At most 120.5
  tweets: ["{TWEET}"]
  when: likes <= 120.5
- name: Views above, written backwards
  tweets: ["{TWEET}"]
  when: 500 < views
  cooldown: 2s
- name: Every 100
  tweets: ["{TWEET}"]
  every: {{likes: 100}}
- name: Every 100 once
  tweets: ["{TWEET}"]
  every: {{likes: 100}}
  once: true
- name: Milestones
  tweets: ["{TWEET}"]
  milestones: {{views: [200, 400, 600]}}
- name: Over 200 once
  tweets: ["{TWEET}"]
  when: likes > 200
  once: true
- name: Surge
  tweets: ["{TWEET}"]
  gain: {{likes: 150, within: 20s}}
"""

_known = st.one_of(st.integers(0, 800), st.sampled_from(_EDGES))
_banded_steps = st.lists(
    st.tuples(
        st.floats(0, 6, allow_nan=False),
        st.fixed_dictionaries({"views": _known}, optional={"likes": _known, "retweets": _known}),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(steps=_banded_steps, armed=st.sampled_from([None, True, False]))
# Armed for >= 250.5: 250 is below its band's end, 251 is past it.
@example(steps=[(1.0, {"likes": 100, "views": 0}), (1.0, {"likes": 250, "views": 0}),
                (1.0, {"likes": 251, "views": 0})], armed=None)
# Fired, then below again with many retweets: it waits for rearm_when, and fewer retweets re-arm it.
@example(steps=[(1.0, {"likes": 300, "views": 0, "retweets": 200}), (1.0, {"likes": 200, "views": 0}),
                (1.0, {"views": 0, "retweets": 50}), (1.0, {"likes": 300, "views": 0})], armed=None)
# Restored as fired, likes not known: a change of retweets alone re-arms it.
@example(steps=[(1.0, {"views": 0, "retweets": 50})], armed=False)
def test_quiet_bands_skip_only_what_the_rules_would_skip(tmp_path_factory, steps, armed):
    """Counts known or left out: the plain path (bands) and running every rule agree on alerts and state."""
    rules = load_rules(write_rules(tmp_path_factory.mktemp("rules"), BANDED), env={})
    saved = {}
    if armed is not None:  # a restart with the rearm_when rule's count not known yet
        rearm = next(rule for rule in rules.rules if rule.rearm_when is not None)
        saved[f"r:{rearm.identity}:{TWEET}"] = {"a": armed}
    plain = Engine(rules, EngineState.from_entries(saved))
    explained = Engine(rules, EngineState.from_entries(saved))
    steps = [(gap, TWEET, fields) for gap, fields in steps]
    assert _run(plain, steps, explain=False) == _run(explained, steps, explain=True)
    assert plain.state.entries() == explained.state.entries()


def test_a_tweet_whose_rules_all_have_state_is_banded(tmp_path):
    """Once each threshold and milestone rule has seen the counts, the tweet's bands are the rules' quiet ranges."""
    rules = load_rules(write_rules(tmp_path, BANDED), env={})
    engine = Engine(rules)
    engine.process(f"/tweet_engagement/{TWEET}", engagement(likes=260, views=450, retweets=150), 1.0)
    plan = engine._plans[f"/tweet_engagement/{TWEET}"]
    # likes: over 300 waits for 301; >= 250.5 holds (quiet from 251); every 100 waits for 300;
    # over 200 once has fired and never acts again.
    assert (plan.band_likes_lo, plan.band_likes_hi) == (251, 300)
    # views: above 500 waits for 501; the milestones for 600.
    assert (plan.band_views_lo, plan.band_views_hi) == (-math.inf, 501)
    assert [watch.rule.name for watch in plan.always] == ["Surge"]


def test_a_fired_rule_with_its_count_unknown_has_no_quiet_band(tmp_path):
    """Unknown reads as false: an armed rule and a milestone rule wait it out, a fired rule must run to re-arm."""
    rules = load_rules(write_rules(tmp_path, BANDED), env={})
    by_name = {rule.name: rule for rule in rules.rules}
    when = _Watch(compile_rule(by_name["At least 250.5, re-armed by retweets"]), "r:w", 1)
    when.attach(RuleEntry.edge(True))
    assert when.quiet(None) == (-math.inf, 251) and when.quiet(250) == (-math.inf, 251) and when.quiet(251) is None
    when.attach(RuleEntry.edge(False))
    assert when.quiet(None) is None and when.quiet(251) == (251, math.inf) and when.quiet(250) is None
    every = _Watch(compile_rule(by_name["Every 100"]), "r:m", 1)
    assert every.quiet(None) is None  # no state yet: it must run
    every.attach(RuleEntry.milestone(200))
    assert every.quiet(None) == (-math.inf, 300) and every.quiet(299) == (-math.inf, 300) and every.quiet(300) is None


def test_a_once_rule_that_fired_is_quiet_whatever_the_count(tmp_path):
    """Fired once, a rule never acts again: it is not visited on every event of its post."""
    rules = load_rules(write_rules(tmp_path, BANDED), env={})
    engine = Engine(rules)
    topic = f"/tweet_engagement/{TWEET}"
    engine.process(topic, engagement(likes=150, views=100, retweets=50), 1.0)
    fired = engine.process(topic, engagement(likes=260), 2.0)
    assert "Over 200 once" in [alert.rule for alert in fired]
    engine.process(topic, engagement(likes=150), 3.0)  # false again: a plain once rule would wait to re-arm
    plan = engine._plans[topic]
    assert [watch.rule.name for watch in plan.always] == ["Surge"]
    once = next(watch for watch in plan.rules if watch.rule.name == "Over 200 once")
    assert once.quiet(150) == once.quiet(999) == (-math.inf, math.inf)


@settings(max_examples=300, deadline=None)
@given(
    op=st.sampled_from([">", ">=", "<", "<=", "==", "!="]),
    number=st.one_of(st.integers(0, 1000), st.floats(0, 1000, allow_nan=False).map(lambda x: abs(round(x, 2)))),
    backwards=st.booleans(),
    value=st.integers(0, 1000),
)
@example(op=">", number=250.5, backwards=False, value=251)
@example(op="<=", number=120.5, backwards=True, value=121)
def test_true_range_holds_exactly_where_the_comparison_does(op, number, backwards, value):
    """A one-comparison condition's [lo, hi) over whole counts is true exactly where the comparison is."""
    text = f"{number!r} {_FLIPPED[op]} likes" if backwards else f"likes {op} {number!r}"
    found = true_range(text)
    if op in ("==", "!="):
        assert found is None
        return
    field, lo, hi = found
    assert field == "likes"
    assert (lo <= value < hi) == eval(f"{value} {op} {number!r}")  # noqa: S307 - the test's own numbers


_FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}


def test_conditions_on_more_than_one_comparison_have_no_true_range():
    """Sums, two comparisons, text and chains are run by the rule, never banded."""
    for text in ("likes + retweets > 5", "likes > 5 and views > 5", 'view_state == "x"', "1 < likes < 5", "1 < 2"):
        assert true_range(text) is None


def test_a_rule_waiting_for_its_rearm_when_is_visited_alone(tmp_path):
    """Fired and false again, a rule waits for rearm_when on every event; the post's other rules keep their bands."""
    rules = load_rules(write_rules(tmp_path, BANDED), env={})
    engine = Engine(rules)
    topic = f"/tweet_engagement/{TWEET}"
    engine.process(topic, engagement(likes=150, views=100, retweets=150), 1.0)
    engine.process(topic, engagement(likes=260), 2.0)  # >= 250.5 fires
    engine.process(topic, engagement(likes=240), 3.0)  # false again, and 150 retweets: it waits
    plan = engine._plans[topic]
    assert [watch.rule.name for watch in plan.always] == ["At least 250.5, re-armed by retweets", "Surge"]
    assert (plan.band_likes_lo, plan.band_likes_hi) == (121, 300)  # <= 120.5 is armed; every 100 waits for 300
    engine.process(topic, engagement(retweets=50), 4.0)  # rearm_when holds: armed, and banded again
    assert [watch.rule.name for watch in plan.always] == ["Surge"]
