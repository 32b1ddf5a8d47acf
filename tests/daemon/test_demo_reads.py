"""The launch-day demo reads cleanly: each alert once, no log levels on alerts, replay's times, a summary."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULES = "rules.example.yaml"
EVENTS = "examples/launch-day.jsonl"
# "[2025-06-03 09:12:03 EDT] rest": an alert's first line, as replay and console:// print it.
HEAD = re.compile(r"^\[(?P<stamp>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Z]+)\] (?P<rest>.*)$")


def notifier(*args: str, tz: str) -> subprocess.CompletedProcess[str]:
    """Run ``notifier`` from the repository root in the zone ``tz``; it must succeed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTIFIER_")}
    env["TZ"] = tz
    done = subprocess.run(
        [sys.executable, "-m", "notifier", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, encoding="utf-8", timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_the_dry_run_prints_each_alert_once_without_levels_and_ends_with_a_summary() -> None:
    """No "alert fired" log line beside each printed alert, no WARNING on a surge, a summary by rule."""
    done = notifier("run", RULES, "--replay", EVENTS, "--dry-run", tz="UTC")
    assert "alert fired" not in done.stderr
    heads = [HEAD.match(line) for line in done.stdout.splitlines() if line.startswith("[")]
    assert all(heads) and len(heads) == 19  # 18 alerts; one goes to both team and phone
    # The DM quiet hours held prints right after the line that says why, not alone.
    lines = done.stderr.splitlines()
    released = [line for line in lines if "quiet hours of phone (console://) over at 2025-06-04 07:00:00 CEST" in line]
    assert len(released) == 1 and "'DM from Alice (@alice)', held until now, goes out" in released[0], done.stderr
    assert "[phone] Tweet gained 505 likes in 10 minutes" in [head["rest"] for head in heads]  # type: ignore[index]
    assert not re.search(r"\b(WARNING|SUCCESS|INFO|FAILURE)\b", done.stdout)
    assert done.stdout.endswith(
        "\ndry run done, nothing sent: 1,801 events, 18 alerts\n"
        "  7  Like milestones\n"
        "  3  Repost milestones\n"
        "  2  Typing\n"
        "  2  New DM\n"
        "  1  Launch tweet is being seen\n"
        "  1  Launch tweet passes 1,000 likes\n"
        "  1  Surge\n"
        "  1  Conversation started\n"
        "  phone: 1 alert held by quiet hours\n"
    )


def test_replay_and_the_dry_run_print_each_alert_at_the_same_time_with_its_zone() -> None:
    """In any zone, `replay` and `run --replay --dry-run` show an alert at one time (even one group_wait or
    quiet hours held back), in that zone."""
    tz = "America/New_York"
    replayed = notifier("replay", RULES, EVENTS, tz=tz).stdout.splitlines()
    printed = notifier("run", RULES, "--replay", EVENTS, "--dry-run", tz=tz).stdout.splitlines()
    # replay: "[time] rule · key → targets" and the title on the next line.
    from_replay = {
        (head["stamp"], title.strip())
        for head, title in zip(map(HEAD.match, replayed), replayed[1:]) if head
    }
    # console://: "[time] [target] title", the target only for one with a policy.
    from_dry_run = {
        (head["stamp"], re.sub(r"^\[\w+\] ", "", head["rest"])) for head in map(HEAD.match, printed) if head
    }
    assert len(from_replay) == 18
    assert from_dry_run == from_replay
    assert ("2025-06-03 10:20:15 EDT", "DM from Alice (@alice)") in from_replay  # sent 30 s later (group_wait)
    assert {stamp[-3:] for stamp, _ in from_replay} == {"EDT"}


def test_the_demo_dms_carry_the_sender_and_the_text() -> None:
    """The demo's DMs read like real ones: titled with the sender's name and handle, her words in the text."""
    printed = notifier("run", RULES, "--replay", EVENTS, "--dry-run", tz="UTC").stdout
    assert printed.count("[phone] DM from Alice (@alice)\n") == 2
    assert "\n  Congrats on the launch! Can I get a demo for my team this week?" in printed  # the sender in the title only
    assert "wrote in conversation" not in printed
