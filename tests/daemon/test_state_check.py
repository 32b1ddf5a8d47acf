"""A damaged state file is found at start: the daemon stops with exit 1, its path and what to do."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from notifier.state import StateError, StateStore

from .conftest import StartNotifier, WriteRules
from .test_run import THRESHOLD_AND_MILESTONES


def damage(path: Path) -> None:
    """Fill a state file with entries, then overwrite the middle of it with garbage."""
    with StateStore(path) as store:
        store.save({f"key:{n}": {"value": "v" * 200, "n": n} for n in range(2000)})
    size = path.stat().st_size
    with open(path, "r+b") as file:
        file.seek(size // 2)
        file.write(os.urandom(8192))


def test_a_damaged_state_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    """Opening a damaged state file raises a StateError naming it and saying what to do."""
    path = tmp_path / "state.db"
    damage(path)
    with pytest.raises(StateError, match="damaged") as caught:
        StateStore(path)
    assert str(path) in str(caught.value) and "move it aside" in str(caught.value)


def test_run_on_a_damaged_state_file_exits_1(
    write_rules: WriteRules, start_notifier: StartNotifier, workdir: Path,
) -> None:
    """`notifier run` on a damaged state file stops at start with exit 1 and the file's path."""
    damage(workdir / "state.db")
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": "json://127.0.0.1:9/"})
    child = start_notifier(str(rules), "--state", "state.db")
    assert child.wait(timeout=20) == 1
    [error] = child.events("state_error")
    assert "state.db" in error["message"] and "damaged" in error["message"]
