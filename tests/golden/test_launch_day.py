"""The launch-day demo prints exactly what it printed before: a pin on every replay output.

The files beside this test were written by ``notifier`` itself. When an output
changes on purpose, write the file again with the same command (``TZ=UTC``,
from the repository root; gzip the explain outputs) and commit it on its own.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RULES = "rules.example.yaml"
EVENTS = "examples/launch-day.jsonl"


def notifier(*args: str, stderr: bool = False) -> str:
    """Run ``notifier`` in a child on UTC and return its standard output (or its log)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTIFIER_")}
    env["TZ"] = "UTC"
    done = subprocess.run(
        [sys.executable, "-m", "notifier", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, encoding="utf-8", timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr if stderr else done.stdout


def pinned(name: str) -> str:
    path = HERE / name
    if name.endswith(".gz"):
        return gzip.decompress(path.read_bytes()).decode("utf-8")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "pin"),
    [
        pytest.param(("replay", RULES, EVENTS), "launch-day.replay.txt", id="replay"),
        pytest.param(("replay", RULES, EVENTS, "--format", "json"), "launch-day.replay.json", id="replay-json"),
        pytest.param(
            ("replay", RULES, EVENTS, "--format", "expect"), "launch-day.replay.expect.yaml", id="replay-expect"
        ),
        pytest.param(("replay", RULES, EVENTS, "--explain"), "launch-day.explain.txt.gz", id="explain"),
        pytest.param(
            ("replay", RULES, EVENTS, "--explain", "--format", "json"), "launch-day.explain.json.gz",
            id="explain-json",
        ),
        pytest.param(
            ("run", RULES, "--replay", EVENTS, "--dry-run"), "launch-day.run-dry-run.txt", id="run-replay-dry-run"
        ),
    ],
)
def test_launch_day_output_is_pinned(args: tuple[str, ...], pin: str) -> None:
    """`TZ=UTC notifier <args>` on the launch day prints byte for byte the pinned file."""
    assert notifier(*args) == pinned(pin)


def test_launch_day_dry_run_log_is_pinned() -> None:
    """The dry run's log lines, but for their wall-clock stamps, are the pinned ones."""
    log = notifier("run", RULES, "--replay", EVENTS, "--dry-run", stderr=True)
    # "2026-11-30 21:44:18 UTC INFO ...": the first three words are the time of the run and its zone.
    assert "".join(line.split(" ", 3)[3] + "\n" for line in log.splitlines()) == pinned("launch-day.run-dry-run.log")
