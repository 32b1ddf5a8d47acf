"""The engine's shortcuts for events that change nothing decide exactly as the rules themselves."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from notifier.rulefile import load_rules
from notifier.rules import Engine, EngineState
from notifier.rules.plans import Watch as _Watch
from notifier.rules.triggers.milestones import MilestoneRule as _MilestoneRule
from notifier.rules.engine_state import RuleEntry

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
"""

_counts = st.one_of(st.none(), st.integers(0, 800))
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
@given(steps=_steps, marks=st.lists(_marks, min_size=3, max_size=3))
# Known true with quotes unknown, then unknown (false or unknown): re-arms; true again: fires.
@example(
    steps=[(1.0, TWEET, {"likes": 1, "replies": r}) for r in (5, 1, 5)],
    marks=[0, 0, 0],
)
# A rise of exactly a gain rule's amount fires it.
@example(steps=[(1.0, TWEET2, {"likes": 0}), (1.0, TWEET2, {"likes": 150})], marks=[0, 0, 0])
def test_shortcuts_give_the_alerts_and_state_of_running_every_rule(rules, steps, marks):
    """Partial events on two tweets: the plain path and explain (every rule run in full) agree on alerts and state."""
    saved = {}
    milestone_rules = [rule for rule in rules.rules if rule.kind in ("every", "milestones")]
    for rule, mark in zip(milestone_rules, marks):
        saved[f"r:{rule.identity}:{TWEET}"] = {"m": mark}
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
