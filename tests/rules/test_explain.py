"""`notifier replay --explain`: one line per event and rule, saying why it fired or stayed silent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from notifier.cli import main
from notifier.rules import Decision, Engine
from notifier.rules.catchup import merge_milestones
from notifier.rules.explain import Explainer, Explanation, explain_event, format_explanation

from .helpers import CONV, OTHER, OWN, TOPIC, TWEET, combine, engagement, engine, ruleset, write_rules

RULES = f"""
- name: Threshold
  tweets: ["{TWEET}"]
  when: likes > 1000
  cooldown: 10m
- name: Milestones
  tweets: ["{TWEET}"]
  every: {{likes: 1000}}
- name: Views
  tweets: ["{TWEET}"]
  when: views > 50
- name: DMs
  dms: ["{CONV}"]
  on: message
"""


def line(topic: str, payload: dict, ts: float) -> str:
    return json.dumps({"ts": ts, "topic": topic, "payload": payload})


def likes(count: int, ts: float) -> str:
    return line(f"/tweet_engagement/{TWEET}", {"tweet_engagement": {"like_count": str(count)}}, ts)


def dm(user: str, ts: float) -> str:
    return line(f"/dm_update/{CONV}", {"dm_update": {"conversation_id": CONV, "user_id": user}}, ts)


def config(ts: float) -> str:
    return line("/system/config", {"config": {"session_id": "s", "subscription_ttl_millis": 120000,
                                              "heartbeat_millis": 25000}}, ts)


def explain(tmp_path: Path, capsys: pytest.CaptureFixture[str], *lines: str, extra: tuple[str, ...] = ()) -> list[str]:
    rules = write_rules(tmp_path, RULES)
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(lines) + "\n")
    assert main(["replay", str(rules), str(events), "--explain", *extra]) == 0
    return capsys.readouterr().out.splitlines()


def block(output: list[str], number: int) -> list[str]:
    """The explanation lines under the header of recording line ``number``."""
    start = next(i for i, text in enumerate(output) if text.startswith(f"line {number} ·"))
    lines = []
    for text in output[start + 1:]:
        if not text.startswith("  "):
            break
        lines.append(text.strip())
    return lines


def test_every_rule_watching_the_topic_gets_one_line_per_event(tmp_path, capsys) -> None:
    """Each engagement event explains the three tweet rules, in rule-file order, and not the DM rule."""
    output = explain(tmp_path, capsys, likes(500, 0), likes(600, 10), likes(700, 20))
    for number in (1, 2, 3):
        names = [text.split(":")[0] for text in block(output, number)]
        assert names == ["Threshold", "Milestones", "Views"]


def test_outcomes_with_the_values_compared(tmp_path, capsys) -> None:
    """Initial state, no match, fired, suppressed by cooldown and already announced read plainly."""
    output = explain(
        tmp_path, capsys,
        likes(500, 0),       # 1: first observation
        likes(600, 10),      # 2: no match
        likes(1200, 20),     # 3: threshold and milestone fire
        likes(900, 30),      # 4: threshold re-arms
        likes(1300, 40),     # 5: threshold held back by the cooldown; 1,000 already announced
    )
    assert block(output, 1)[0] == (
        "Threshold: initial state only — first observation: likes > 1000 is false; armed [likes=500]"
    )
    assert block(output, 2)[0] == "Threshold: no match — likes > 1000 is false [likes=600]"
    assert block(output, 2)[2] == "Views: not known yet — views > 50: not known yet [views=unknown]"
    fired = block(output, 3)
    assert fired[0] == 'Threshold: FIRED — likes > 1000 became true: "Threshold" → team [likes=1,200]'
    assert fired[1] == (
        'Milestones: FIRED — 1,000 likes reached: "Tweet passed 1,000 likes" → team [likes=1,200, milestone=1,000]'
    )
    assert block(output, 4)[0] == "Threshold: re-armed — likes > 1000 is false again; armed [likes=900]"
    later = block(output, 5)
    assert later[0].startswith("Threshold: suppressed by cooldown — matched, held back by the cooldown (9 minutes")
    assert later[0].endswith("[likes=1,300]")
    assert later[1] == (
        "Milestones: already announced — 1,300 likes: 1,000 already announced, no milestone above it "
        "[likes=1,300, announced=1,000]"
    )


def test_own_dm_and_a_partner_dm(tmp_path, capsys) -> None:
    """The account's own message is ignored (said so); a partner's fires."""
    output = explain(tmp_path, capsys, dm(OWN, 1), dm(OTHER, 2), extra=("--own-user-id", OWN))
    assert block(output, 1) == [f"DMs: own message, ignored — sent by this account itself [user_id='{OWN}']"]
    assert block(output, 2) == [f'DMs: FIRED — a new message: "New direct message" → team [user_id=\'{OTHER}\']']


def test_connection_and_outage_lines(tmp_path, capsys) -> None:
    """Config lines show the (re)connection; one after a long silence announces a catch-up."""
    output = explain(tmp_path, capsys, config(0), likes(500, 1), config(60), config(60 + 1200))
    assert output[1] == "  stream connected"
    assert block(output, 3) == ["stream connected"]
    assert block(output, 4) == [
        "stream reconnected after 20 min without a message: each tweet's first event is a catch-up"
    ]


def test_json_explanations_for_scripts(tmp_path, capsys) -> None:
    """With --format json every explanation is one object with line, rule, outcome and values."""
    output = explain(tmp_path, capsys, likes(500, 0), likes(1500, 5), extra=("--format", "json"))
    objects = [json.loads(text) for text in output]
    assert [(o["line"], o["rule"], o["outcome"]) for o in objects] == [
        (1, "Threshold", "initial"), (1, "Milestones", "initial"), (1, "Views", "unknown"),
        (2, "Threshold", "fired"), (2, "Milestones", "fired"), (2, "Views", "unknown"),
    ]
    assert objects[3]["values"] == {"likes": 1500} and objects[3]["matched"] is True


def test_explain_changes_no_alert(tmp_path, capsys) -> None:
    """Explaining is read-only: the same recording fires the same alerts with and without it."""
    rules = write_rules(tmp_path, RULES)
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join([likes(500, 0), likes(1200, 20), likes(900, 30), likes(2300, 900)]) + "\n")
    assert main(["replay", str(rules), str(events), "--format", "json"]) == 0
    plain = [json.loads(text)["title"] for text in capsys.readouterr().out.splitlines()]
    assert main(["replay", str(rules), str(events), "--explain"]) == 0
    explained = [text for text in capsys.readouterr().out.splitlines() if ": FIRED —" in text]
    assert len(plain) == len(explained) == 4


def test_cooldown_count_is_mentioned_when_the_rule_fires_again(tmp_path) -> None:
    """A fired line says how many matches the cooldown held back before it."""
    e = engine(tmp_path, f"""
        - name: Likes
          tweets: ["{TWEET}"]
          every: {{likes: 100}}
          cooldown: 1m
    """)
    e.process(TOPIC, engagement(likes=50), 0)
    e.process(TOPIC, engagement(likes=100), 1)
    e.process(TOPIC, engagement(likes=200), 2)
    decisions: list[Decision] = []
    alerts = e.process(TOPIC, engagement(likes=300), 100, decisions)
    (fired,) = explain_event(e.ruleset, decisions, alerts)
    assert fired.outcome == "fired" and "it says +1 held back by the cooldown" in fired.detail


def test_format_shows_unknown_values_and_targets() -> None:
    """Unknown values read 'unknown'; a target-side explanation names its target."""
    text = format_explanation(Explanation("R", "1", "deferred", "until 07:00", {"likes": None}, target="phone"))
    assert text == "R → phone: deferred by quiet hours — until 07:00 [likes=unknown]"


LIKES = f"""
- name: Likes
  tweets: ["{TWEET}"]
  every: {{likes: 1000}}
"""
REPOSTS = f"""
- name: Reposts
  tweets: ["{TWEET}"]
  milestones: {{retweets: [100]}}
"""


def test_rules_of_a_merged_catch_up_alert_each_get_a_line(tmp_path) -> None:
    """A catch-up alert folding two rules' milestones explains both rules as fired."""
    rules = ruleset(tmp_path, combine(LIKES, REPOSTS))
    eng = Engine(rules)
    eng.process(TOPIC, engagement(likes=10, retweets=10), 0)
    alerts = merge_milestones(eng.process(TOPIC, engagement(likes=1000, retweets=100), 1))
    lines = [format_explanation(x) for x in explain_event(rules, [], alerts)]
    assert [text.split(":")[0] for text in lines] == ["Likes", "Reposts"]
    assert 'sent as one catch-up alert: "Tweet passed 1,000 likes · Tweet passed 100 reposts"' in lines[1]


def test_each_rule_set_is_explained_in_its_own_order(tmp_path) -> None:
    """Explaining against one rule file, then another, then the first again follows each file's order."""
    first = ruleset(tmp_path, combine(LIKES, REPOSTS), name="first.yaml")
    second = ruleset(tmp_path, combine(REPOSTS, LIKES), name="second.yaml")
    eng = Engine(first)
    eng.process(TOPIC, engagement(likes=10, retweets=10), 0)
    alerts = eng.process(TOPIC, engagement(likes=1000, retweets=100), 1)
    assert len(alerts) == 2
    names = [[x.rule for x in explain_event(rules, [], alerts)] for rules in (first, second, first)]
    assert names == [["Likes", "Reposts"], ["Reposts", "Likes"], ["Likes", "Reposts"]]


def test_an_explainer_keeps_to_the_rule_set_it_was_made_for(tmp_path) -> None:
    """Two explainers made for two rule files each explain in their own file's order, in turn."""
    first = ruleset(tmp_path, combine(LIKES, REPOSTS), name="first.yaml")
    second = ruleset(tmp_path, combine(REPOSTS, LIKES), name="second.yaml")
    eng = Engine(first)
    eng.process(TOPIC, engagement(likes=10, retweets=10), 0)
    alerts = eng.process(TOPIC, engagement(likes=1000, retweets=100), 1)
    explainers = [Explainer(first), Explainer(second)]
    names = [[x.rule for x in explainer.explain([], alerts)] for explainer in (*explainers, *explainers)]
    assert names == [["Likes", "Reposts"], ["Reposts", "Likes"]] * 2
