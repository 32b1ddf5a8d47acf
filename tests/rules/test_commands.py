"""`notifier check` and `notifier replay`, run through the real command line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from notifier.cli import main
from notifier.rulefile import load_rules
from notifier.stream.recording import line_ts, read_recorded
from notifier.times import format_time

from .helpers import CONV, HEADER, OTHER, OWN, TWEET, write_rules

EXAMPLE = Path(__file__).resolve().parents[2] / "rules.example.yaml"

RULES = f"""
- name: Likes
  tweets: ["{TWEET}"]
  when: likes > 1000
  title: "Passed {{likes:,}}"
- name: Milestones
  tweets: ["{TWEET}"]
  every: {{likes: 1000}}
- name: DMs
  dms: ["{CONV}"]
  on: message
  notify: [phone]
"""


def line(topic: str, payload: dict, ts: float | None = None) -> str:
    message: dict = {"topic": topic, "payload": payload}
    if ts is not None:
        message["ts"] = ts
    return json.dumps(message)


def likes(count: int, ts: float | None = None) -> str:
    return line(f"/tweet_engagement/{TWEET}", {"tweet_engagement": {"like_count": str(count)}}, ts)


def dm_line(user: str, ts: float | None = None) -> str:
    return line(f"/dm_update/{CONV}", {"dm_update": {"conversation_id": CONV, "user_id": user}}, ts)


@pytest.fixture
def recording(tmp_path):
    def write(*lines: str) -> Path:
        path = tmp_path / "events.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path
    return write


# --------------------------------------------------------------------- check


def test_check_summarises_rules_topics_and_masked_targets(tmp_path, capsys):
    """check prints rules, topics and targets, secrets masked, and exits 0."""
    header = HEADER.replace("json://localhost/phone", "json://alice:s3cretpw@localhost/phone")
    path = write_rules(tmp_path, RULES, header=header)
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: OK — 3 rules, 2 topics, 2 targets")
    assert "s3cretpw" not in out
    assert "json://alice:****@localhost/phone" in out
    assert "when likes > 1000 · tweets 1850000000000000000 · notify team" in out
    assert f"/tweet_engagement/{TWEET}" in out and f"/dm_update/{CONV}" in out


def test_check_shows_target_policies_and_delivery_options(tmp_path, capsys):
    """check prints a target's quiet hours and budget, and a rule's urgent and group_wait."""
    header = HEADER.replace(
        "phone: json://localhost/phone",
        'phone: {url: "json://localhost/phone", quiet: "22:00-07:00", tz: Europe/Berlin, budget: 5/h}',
    )
    rules = RULES.replace("  on: message\n", "  on: message\n  group_wait: 30s\n  urgent: true\n")
    path = write_rules(tmp_path, rules, header=header)
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "phone  json://localhost/phone  (quiet 22:00-07:00 Europe/Berlin, budget 5/h)" in out
    assert "notify phone · urgent · group_wait 30 seconds" in out


def test_check_prints_every_problem_and_exits_2(tmp_path, capsys):
    """A broken file: every problem on stderr, exit code 2."""
    path = write_rules(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          when: likez > 1
          notify: [phnoe]
    """)
    assert main(["check", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("2 problems in the rule file:\n")
    assert f"{path}:10:11: when: unknown name 'likez' — did you mean 'likes'?" in captured.err
    assert f"{path}:11:14: unknown target 'phnoe'" in captured.err


def test_check_missing_file(tmp_path, capsys):
    """A rule file that does not exist is exit 2 with a clear line."""
    assert main(["check", str(tmp_path / "none.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_check_the_example_file(capsys):
    """rules.example.yaml loads, without secrets, and uses every trigger kind."""
    assert main(["check", str(EXAMPLE)]) == 0
    rules = load_rules(EXAMPLE, env={})
    assert {rule.kind for rule in rules.rules} == {"when", "every", "milestones", "gain", "message", "typing"}
    assert any(rule.rearm_when for rule in rules.rules) and any(rule.once for rule in rules.rules)
    assert all(spec.url == "console://" for spec in rules.targets.values())
    assert "dms any" in capsys.readouterr().out


# -------------------------------------------------------------------- replay


def test_replay_prints_alerts_with_the_recorded_clock(tmp_path, recording, capsys):
    """replay runs the lines through the engine; ts is the clock; text output for people."""
    path = write_rules(tmp_path, RULES)
    events = recording(likes(900, 1_700_000_000), likes(2100, 1_700_000_060), "", dm_line(OTHER))
    assert main(["replay", str(path), str(events)]) == 0
    captured = capsys.readouterr()
    at = format_time(1_700_000_060)  # 2023-11-14 22:14:20 UTC, in this machine's zone
    assert captured.out.splitlines()[:2] == [
        f"[{at}] Likes · {TWEET} → team",
        "  Passed 2,100",
    ]
    assert "Tweet passed 2,000 likes" in captured.out
    assert f"[{at}] DMs · {CONV} → phone" in captured.out  # no ts: the previous one
    # The summary: how many events and alerts, then alerts by rule, most first.
    assert captured.err.splitlines() == [
        f"replayed 3 events from {events}: 3 alerts", "  1  Likes", "  1  Milestones", "  1  DMs",
    ]


def test_replay_json_output_for_scripts(tmp_path, recording, capsys):
    """--format json prints one object per alert with rule, topic, key, title, message, ts, time (UTC, Z)."""
    path = write_rules(tmp_path, RULES)
    events = recording(likes(900), likes(1500, 50.5), dm_line(OTHER, 60))
    assert main(["replay", str(path), str(events), "--format", "json"]) == 0
    objects = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert [list(o) for o in objects] == [["rule", "topic", "key", "title", "message", "ts", "time"]] * 3
    assert [(o["rule"], o["ts"]) for o in objects] == [("Likes", 50.5), ("Milestones", 50.5), ("DMs", 60)]
    assert objects[1] == {
        "rule": "Milestones", "topic": f"/tweet_engagement/{TWEET}", "key": TWEET,
        "title": "Tweet passed 1,000 likes",
        "message": f"Now 1,500 likes.\nhttps://x.com/i/status/{TWEET}", "ts": 50.5,
        "time": "1970-01-01T00:00:50.500Z",
    }


def test_replay_skips_own_messages_with_own_user_id(tmp_path, recording, capsys):
    """--own-user-id keeps the account's own DMs silent, as the daemon does."""
    path = write_rules(tmp_path, RULES)
    events = recording(dm_line(OWN, 1), dm_line(OTHER, 2))
    assert main(["replay", str(path), str(events), "--format", "json", "--own-user-id", OWN]) == 0
    assert [json.loads(t)["ts"] for t in capsys.readouterr().out.splitlines()] == [2]


def test_replay_reports_lines_that_are_not_messages(tmp_path, recording, capsys):
    """Malformed lines are counted and named; keep-alives are not."""
    path = write_rules(tmp_path, RULES)
    events = recording("not json", ":keep-alive", "", likes(10, 1), '{"topic": 5}')
    assert main(["replay", str(path), str(events)]) == 0
    assert "(2 lines skipped, not stream messages: line 1, 5)" in capsys.readouterr().err


def test_replay_from_stdin(tmp_path, monkeypatch, capsys):
    """'-' reads the recording from standard input."""
    path = write_rules(tmp_path, RULES)
    monkeypatch.setattr("sys.stdin", io.StringIO(likes(1, 1) + "\n" + likes(5000, 2) + "\n"))
    assert main(["replay", str(path), "-", "--format", "json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_replay_errors_exit_2(tmp_path, capsys):
    """Bad rules or a missing recording exit 2 with a clear message."""
    path = write_rules(tmp_path, RULES)
    assert main(["replay", str(path), str(tmp_path / "none.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err
    bad = write_rules(tmp_path, "- name: A\n", name="bad.yaml")
    assert main(["replay", str(bad), str(path)]) == 2
    assert "problem" in capsys.readouterr().err


def test_replay_the_example_rules(recording, capsys):
    """The example file fires a threshold, milestones, a surge and a DM on a small launch."""
    events = recording(
        likes(800, 0), likes(1200, 60), likes(2300, 120),
        line("/dm_update/1111111111-2222222222",
             {"dm_update": {"conversation_id": "1111111111-2222222222", "user_id": OTHER}}, 130),
        # What account watching read from the inbox: the message itself (dms: any).
        line("/dm_message/1111111111-2222222222",
             {"dm_update": {"conversation_id": "1111111111-2222222222", "user_id": OTHER, "message_id": "5",
                            "text": "congrats!", "sender": "alice", "sender_name": "Alice"}}, 131),
    )
    assert main(["replay", str(EXAMPLE), str(events), "--format", "json"]) == 0
    fired = [json.loads(text)["rule"] for text in capsys.readouterr().out.splitlines()]
    assert fired == ["Launch tweet passes 1,000 likes", "Like milestones", "Like milestones", "Surge", "New DM"]


# ------------------------------------------------------------ the pipeline


def test_read_recorded_clock_rules():
    """ts per line is the clock; missing ts keeps the previous; 0 before any; SSE and bytes work."""
    lines = [
        likes(1),
        likes(2, 10),
        "data: " + likes(3),
        likes(4, "20.5"),  # a numeric string is accepted
        likes(5, True),  # not a time
        (likes(6, 30)).encode(),
    ]
    assert [(event.line, event.ts) for event in read_recorded(lines)] == [
        (1, 0), (2, 10), (3, 10), (4, 20.5), (5, 20.5), (6, 30)]


def test_line_ts_never_raises():
    """Odd lines give the previous time."""
    for text in ['{"ts": "soon"}', '["ts"]', '{"ts": NaN}', '{"ts": 1e999}', 'data: {"ts"', '{"ts": null}']:
        assert line_ts(text, 7.0) == 7.0
