"""Properties over random event sequences: saving state, explaining and reloading change nothing."""

from __future__ import annotations

import json
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.rulefile import load_rules
from notifier.rules import Engine, EngineState

from .helpers import CONV, OTHER, OWN, TOPIC, TWEET, dm, engagement, take_dirty_into, write_rules

RULES = f"""
- name: Threshold
  tweets: ["{TWEET}"]
  when: likes > 500 and views >= 100
  rearm_when: likes < 400
  cooldown: 30s
- name: Every
  tweets: ["{TWEET}"]
  every: {{likes: 250}}
- name: Milestones
  tweets: ["{TWEET}"]
  milestones: {{views: [10, 100, 1000]}}
  initial: fire
- name: Surge
  tweets: ["{TWEET}"]
  gain: {{likes: 200, within: 40s}}
- name: Once
  tweets: ["{TWEET}"]
  when: likes + views > 900
  once: true
- name: DM
  dms: ["{CONV}"]
  on: message
  cooldown: 20s
"""

_step = st.one_of(
    st.tuples(st.just("tweet"), st.integers(0, 1200), st.one_of(st.none(), st.integers(0, 1500))),
    st.tuples(st.just("dm"), st.sampled_from([OWN, OTHER]), st.none()),
)
_events = st.lists(st.tuples(st.floats(0, 15, allow_nan=False), _step), min_size=1, max_size=40)



@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    return load_rules(write_rules(tmp_path_factory.mktemp("rules"), RULES), env={})


def _run(engine: Engine, events, start: float = 0.0, explain: bool = False):
    alerts = []
    now = start
    for gap, (kind, a, b) in events:
        now += gap
        if kind == "tweet":
            payload = engagement(likes=a) if b is None else engagement(likes=a, views=b)
            topic = TOPIC
        else:
            payload, topic = dm(a), f"/dm_update/{CONV}"
        alerts += [(x.rule, x.key, x.title, x.ts) for x in engine.process(topic, payload, now, [] if explain else None)]
    return alerts, now


@settings(max_examples=150, deadline=None)
@given(events=_events, split=st.integers(0, 40))
def test_a_restart_anywhere_changes_nothing(rules, events, split):
    """Saving the state as JSON and restoring it mid-stream gives exactly the alerts of one run."""
    whole, _ = _run(Engine(rules, own_user_id=OWN), events)

    first = Engine(rules, own_user_id=OWN)
    before, now = _run(first, events[:split])
    saved = json.loads(json.dumps(first.state.entries()))
    second = Engine(rules, EngineState.from_entries(saved), own_user_id=OWN)
    after, _ = _run(second, events[split:], start=now)
    assert before + after == whole


@settings(max_examples=150, deadline=None)
@given(events=_events)
def test_explaining_changes_nothing(rules, events):
    """With explain on, every rule runs on every event; the alerts and state are the same."""
    plain, explained = Engine(rules, own_user_id=OWN), Engine(rules, own_user_id=OWN)
    assert _run(plain, events)[0] == _run(explained, events, explain=True)[0]
    assert plain.state.entries() == explained.state.entries()


@settings(max_examples=100, deadline=None)
@given(events=_events, split=st.integers(0, 40))
def test_reloading_the_same_rules_changes_nothing(rules, events, split):
    """replace_rules with an identical rule set keeps every piece of state."""
    whole, _ = _run(Engine(rules, own_user_id=OWN), events)
    engine = Engine(rules, own_user_id=OWN)
    before, now = _run(engine, events[:split])
    engine.replace_rules(load_rules(rules.path, env={}))
    after, _ = _run(engine, events[split:], start=now)
    assert before + after == whole


def test_take_dirty_tracks_entries_exactly(rules):
    """Applying every take_dirty to a copy rebuilds exactly entries() (what the daemon relies on)."""
    engine = Engine(rules, own_user_id=OWN)
    mirror: dict = {}
    for step in range(300):
        engine.process(TOPIC, engagement(likes=(step * 37) % 1300, views=step * 3), step * 1.5)
        if step % 7 == 0:
            engine.process(f"/dm_update/{CONV}", dm(OTHER), step * 1.5)
        take_dirty_into(engine, mirror)
    assert mirror == engine.state.entries()
