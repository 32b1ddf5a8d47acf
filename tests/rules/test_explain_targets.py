"""`--explain`, target side: quiet hours defer, budgets fold into digests, on the replay's clock."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from notifier.alert import Alert
from notifier.cli import main
from notifier.delivery.explain import Release, TargetReplay

from .helpers import CONV, HEADER, OTHER, TWEET, ruleset, write_rules

BERLIN = ZoneInfo("Europe/Berlin")

HEADER_WITH_POLICIES = HEADER.replace(
    "  phone: json://localhost/phone\n",
    "  phone: {url: json://localhost/phone, quiet: \"22:00-07:00\", tz: Europe/Berlin}\n"
    "  pager: {url: json://localhost/pager, budget: 2/h, tz: UTC}\n",
)

RULES = f"""
- name: Likes
  tweets: ["{TWEET}"]
  every: {{likes: 100}}
  notify: [team, phone, pager]
- name: DMs
  dms: ["{CONV}"]
  on: message
  notify: [phone]
  urgent: true
"""


def berlin(day: int, hour: int, minute: int = 0) -> float:
    """Epoch seconds of a wall-clock time in Berlin, June 2025."""
    return datetime(2025, 6, day, hour, minute, tzinfo=BERLIN).timestamp()


def likes(count: int, ts: float) -> str:
    return json.dumps({"ts": ts, "topic": f"/tweet_engagement/{TWEET}",
                       "payload": {"tweet_engagement": {"like_count": str(count)}}})


def dm(ts: float) -> str:
    return json.dumps({"ts": ts, "topic": f"/dm_update/{CONV}",
                       "payload": {"dm_update": {"conversation_id": CONV, "user_id": OTHER}}})


def explain(tmp_path: Path, capsys, *lines: str) -> list[str]:
    rules = write_rules(tmp_path, RULES, header=HEADER_WITH_POLICIES)
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(lines) + "\n")
    assert main(["replay", str(rules), str(events), "--explain"]) == 0
    return capsys.readouterr().out.splitlines()


def target_lines(output: list[str], target: str) -> list[str]:
    return [text.strip() for text in output if f"→ {target}:" in text and ": FIRED" not in text]


def test_quiet_hours_defer_across_midnight_then_one_digest(tmp_path, capsys) -> None:
    """Alerts at 23:00 and 01:00 Berlin wait for 07:00; the next event after it shows one digest of 2."""
    output = explain(
        tmp_path, capsys,
        likes(50, berlin(3, 21)),
        likes(100, berlin(3, 23)),
        likes(200, berlin(4, 1)),
        likes(210, berlin(4, 8)),
    )
    phone = target_lines(output, "phone")
    assert phone[0] == (
        "Likes → phone: deferred by quiet hours — quiet 22:00-07:00 Europe/Berlin: waits until "
        "2025-06-04 07:00 CEST, then goes out in one digest (1 waiting)"
    )
    assert phone[1].endswith("(2 waiting)")
    assert "2025-06-04 05:00:00 UTC · digest → phone: 2 waiting alerts go out as one message (quiet hours over)" in output
    # team has no policy: it is not explained beyond the FIRED line.
    assert target_lines(output, "team") == []


def test_budget_overflow_folds_into_a_digest_sent_when_it_frees(tmp_path, capsys) -> None:
    """With budget 2/h the third alert in an hour waits for the oldest send to age out."""
    start = berlin(3, 12)
    output = explain(
        tmp_path, capsys,
        likes(50, start), likes(100, start + 60), likes(200, start + 120), likes(300, start + 180),
        likes(400, start + 240), likes(410, start + 3700),
    )
    pager = target_lines(output, "pager")
    assert pager[0].startswith("Likes → pager: sent — at once (budget 2/h; 1 left in the budget)")
    assert pager[1].startswith("Likes → pager: sent — at once (budget 2/h; 0 left in the budget)")
    assert pager[2] == (
        "Likes → pager: folded into a digest — budget 2/h used up: goes out in one digest at "
        "2025-06-03 11:01 UTC (1 waiting)"
    )
    assert pager[3].endswith("(2 waiting)")
    assert "2025-06-03 11:01:00 UTC · digest → pager: 2 waiting alerts go out as one message " \
           "(the budget has room again)" in output


def test_urgent_alerts_skip_quiet_hours(tmp_path, capsys) -> None:
    """An urgent rule's alert is sent at once at 02:00, saying why."""
    output = explain(tmp_path, capsys, dm(berlin(4, 2)))
    assert target_lines(output, "phone") == [
        "DMs → phone: sent — at once (quiet 22:00-07:00 Europe/Berlin; urgent: skips quiet hours)"
    ]


def test_what_still_waits_at_the_end_is_said(tmp_path, capsys) -> None:
    """A digest not yet due when the recording ends is reported, with its due time."""
    output = explain(tmp_path, capsys, likes(50, berlin(3, 21)), likes(100, berlin(3, 23)))
    assert output[-1] == (
        "end of the recording · phone: 1 alert still waiting at the end of the recording "
        "(digest due 2025-06-04 07:00 CEST)"
    )


def test_target_replay_is_pure_on_a_fake_clock(tmp_path) -> None:
    """TargetReplay releases a budget digest exactly when the oldest send ages out, not before."""
    rules = ruleset(tmp_path, RULES, header=HEADER_WITH_POLICIES)
    replay = TargetReplay({name: spec.policy for name, spec in rules.targets.items()})

    def alert(ts: float) -> Alert:
        return Alert("Likes", f"/tweet_engagement/{TWEET}", TWEET, "t", "m", ("pager",), ts, kind="every")

    outcomes = [replay.route(alert(t), t)[0].outcome for t in (0.0, 10.0, 20.0)]
    assert outcomes == ["sent", "sent", "digest"]
    assert replay.release(3599.0) == []
    assert replay.release(3600.0) == [Release("pager", 3600.0, 1, "budget")]
    # The digest was one send: with 2/h, one more fits at 3610 (the send at 10 aged out).
    assert replay.route(alert(3610.0), 3610.0)[0].outcome == "sent"
