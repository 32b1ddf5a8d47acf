"""`notifier replay` of a recording with no usable line: exit 2, and what a line should look like."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from notifier.cli import main
from notifier.stream.recording import EXAMPLE_LINE, read_recorded
from tests.daemon.process import child_env

from .helpers import TWEET, write_rules

RULE = f"""
    - name: A
      tweets: ["{TWEET}"]
      when: likes > 100
"""


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("", "it is empty, or holds only blank lines and comments"),
        ("\n: keep-alive\n\n", "it is empty, or holds only blank lines and comments"),
        ("likes=180\n", "its one line is not a stream message"),
        ('{"like_count": 180}\nnot json\n', "none of its 2 lines is a stream message"),
    ],
)
def test_a_recording_without_messages_exits_2_showing_a_line(tmp_path, capsys, text, found):
    """No usable line: exit 2, saying why and showing a line as notifier record writes it."""
    rules = write_rules(tmp_path, RULE)
    events = tmp_path / "events.jsonl"
    events.write_text(text, encoding="utf-8")
    assert main(["replay", str(rules), str(events)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"notifier replay: {events} has no stream messages to replay: {found} — each line is one JSON "
        'message of the stream (an optional "ts" is its time in epoch seconds), as notifier record writes '
        f"them:\n  {EXAMPLE_LINE}\n"
    )


def test_the_example_line_is_a_line_replay_reads(tmp_path, capsys):
    """The line shown is a real stream message: replayed, it fires a rule watching its tweet."""
    [event] = read_recorded([EXAMPLE_LINE])
    assert (event.topic, event.ts) == (f"/tweet_engagement/{TWEET}", 1748955601.0)
    rules = write_rules(tmp_path, RULE + "      initial: fire\n")
    events = tmp_path / "events.jsonl"
    events.write_text(EXAMPLE_LINE + "\n", encoding="utf-8")
    assert main(["replay", str(rules), str(events), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["rule"] == "A"


def test_run_replay_of_a_recording_without_messages_exits_2_showing_a_line(tmp_path):
    """`run --replay` treats an unusable recording as `replay` does: exit 2, a line as it should be."""
    rules = write_rules(tmp_path, RULE)
    events = tmp_path / "events.jsonl"
    events.write_text("likes=180\n", encoding="utf-8")
    # A child process: `run` sets up logging for the whole process, which must not outlive this test.
    done = subprocess.run(
        [sys.executable, "-m", "notifier", "run", str(rules), "--replay", str(events), "--dry-run"],
        cwd=tmp_path, env=child_env(HOME=str(tmp_path)), capture_output=True, text=True, timeout=30, check=False,
    )
    assert done.returncode == 2, done.stderr
    err = done.stderr
    assert "has no stream messages to replay: its one line is not a stream message" in err
    assert EXAMPLE_LINE in err
