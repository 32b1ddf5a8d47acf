"""What alerts carry for their charts: the post's counts over time, kept bounded and across restarts."""

from __future__ import annotations

import json

from notifier.rulefile import load_rules
from notifier.rules import Engine, EngineState
from notifier.rules.history import CAP, SPAN, STRIDE

from .helpers import CONV, HEADER, TOPIC, TWEET, engagement, engine, write_rules

MILESTONES = f"""
- name: Like milestones
  tweets: ["{TWEET}"]
  milestones: {{likes: [1000, 2000]}}
"""


def _history(e: Engine) -> list[float]:
    return e.state.get(f"h:{TWEET}")["p"]


def test_milestone_alert_carries_the_curve_and_the_milestone_line(tmp_path):
    """A milestone alert's chart holds the likes sampled before it, the count at firing and the milestone."""
    e = engine(tmp_path, MILESTONES)
    for minute, likes in enumerate((500, 700, 900, 1500)):
        alerts = e.process(TOPIC, engagement(likes=likes), minute * 60.0)
    [alert] = alerts
    [chart] = alert.charts
    assert chart.key == TWEET and chart.field == "likes"
    assert chart.samples == ((0.0, 500.0), (60.0, 700.0), (120.0, 900.0), (180.0, 1500.0))
    assert (chart.line, chart.line_label, chart.window) == (1000.0, "1,000 likes", None)


def test_gain_alert_shades_its_window_and_threshold_alert_draws_its_number(tmp_path):
    """A surge's chart shades the rule's window; a when rule's chart draws the number it compares with."""
    e = engine(tmp_path, f"""
        - name: Surge
          tweets: ["{TWEET}"]
          gain: {{retweets: 100, within: 10m}}
        - name: Popular
          tweets: ["{TWEET}"]
          when: retweets >= 150 and likes > 0
    """)
    e.process(TOPIC, engagement(likes=1, retweets=10), 0.0)
    alerts = e.process(TOPIC, engagement(likes=1, retweets=200), 300.0)
    by_rule = {alert.rule: alert.charts[0] for alert in alerts}
    assert by_rule["Surge"].window == (-300.0, 300.0) and by_rule["Surge"].field == "reposts"
    assert by_rule["Popular"].line == 150.0 and by_rule["Popular"].line_label == "150 reposts"
    assert by_rule["Popular"].samples[-1] == (300.0, 200.0)


def test_chart_false_and_dm_rules_carry_no_chart(tmp_path):
    """chart: false leaves a rule's alerts without a chart; a condition on text has none either."""
    e = engine(tmp_path, f"""
        - name: Quiet
          tweets: ["{TWEET}"]
          milestones: {{likes: [1000]}}
          chart: false
        - name: Text only
          tweets: ["{TWEET}"]
          when: view_state == "EnabledWithCount"
    """)
    e.process(TOPIC, engagement(likes=10, view_state="Enabled"), 0.0)
    alerts = e.process(TOPIC, engagement(likes=1001, view_state="EnabledWithCount"), 60.0)
    assert sorted(alert.rule for alert in alerts) == ["Quiet", "Text only"]
    assert all(alert.charts == () for alert in alerts)
    assert e.state.get(f"h:{TWEET}") is None  # no rule of the post draws: no history kept for it


def test_samples_at_most_once_a_minute_and_bounded(tmp_path):
    """Events within a minute of the last sample add none; a day of events keeps at most CAP samples, none older."""
    e = engine(tmp_path, MILESTONES)
    for second in range(50):
        e.process(TOPIC, engagement(likes=second + 1), float(second))
    assert len(_history(e)) == STRIDE  # one sample for 50 events in the first minute
    for minute in range(1, 3 * 24 * 60):
        e.process(TOPIC, engagement(likes=100 + minute), minute * 60.0)
    samples = _history(e)
    times = samples[::STRIDE]
    assert len(times) <= CAP
    assert times == sorted(times) and times[-1] == (3 * 24 * 60 - 1) * 60.0
    assert times[0] >= times[-1] - SPAN
    # The last hours keep their minutes; the older part of the day is thinned.
    assert times[-1] - times[-2] == 60.0


def test_history_survives_a_restart(tmp_path):
    """A chart drawn after a restart (state saved as JSON and loaded) still shows the samples from before."""
    first = engine(tmp_path, MILESTONES)
    first.process(TOPIC, engagement(likes=400), 0.0)
    first.process(TOPIC, engagement(likes=800), 600.0)
    saved = json.loads(json.dumps(first.state.entries()))
    second = engine(tmp_path, MILESTONES, state=EngineState.from_entries(saved))
    [alert] = second.process(TOPIC, engagement(likes=1200), 1200.0)
    assert [value for _, value in alert.charts[0].samples] == [400.0, 400.0, 800.0, 800.0, 1200.0]


def test_history_goes_with_its_snapshot_and_damaged_history_is_dropped(tmp_path):
    """A history saved in a wrong shape is dropped at start; it is never an error."""
    damaged = {f"h:{TWEET}": {"p": [1.0, 2.0]}, f"s:{TWEET}": {"likes": 5}}
    e = engine(tmp_path, MILESTONES, state=EngineState.from_entries(damaged))
    assert e.state.get(f"h:{TWEET}") is None
    e.process(TOPIC, engagement(likes=6), 0.0)
    assert len(_history(e)) == STRIDE


def test_chart_key_is_checked_with_its_position(tmp_path):
    """chart: must be true or false, and has no effect on DM rules: both errors say where and how to fix."""
    path = write_rules(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          milestones: {{likes: [10]}}
          chart: no-thanks
        - name: B
          dms: ["{CONV}"]
          on: message
          chart: false
    """, header=HEADER.replace("  phone: json://localhost/phone\n",
                               "  phone: {url: json://localhost/phone, chart: maybe}\n"))
    try:
        load_rules(path, env={})
    except Exception as exc:  # noqa: BLE001 - RuleFileError, checked below
        found = [p[len(f"{path}:"):] for p in exc.problems]
    else:
        raise AssertionError("the file loaded")
    assert found == [
        "4:47: chart of target 'phone' must be true or false — write chart: true or false",
        "11:12: chart must be true or false — write chart: true or false",
        ("15:5: chart: has no effect on message rules — remove it; charts show a post's counts on when, "
         "every, milestones and gain rules"),
    ]
