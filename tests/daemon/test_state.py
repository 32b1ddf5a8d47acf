"""StateStore: engine entries in SQLite, sharing the file with the outbox."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from notifier.state import StateError, StateStore


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    """Saved entries come back after reopening the file; None deletes."""
    path = tmp_path / "nested" / "state.db"
    with StateStore(path) as store:
        store.save({"w:1": {"armed": False, "snap": {"likes": 1200}}, "m:2": {"mark": 3000}})
        store.save({"m:2": None, "w:1": {"armed": True, "snap": {"likes": 1300}}})
    with StateStore(path) as store:
        assert store.load() == {"w:1": {"armed": True, "snap": {"likes": 1300}}}
        assert len(store) == 1


def test_uses_wal_and_leaves_outbox_tables_alone(tmp_path: Path) -> None:
    """The file is in WAL mode and other tables in it (the outbox's) are untouched."""
    path = tmp_path / "state.db"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY, body TEXT)")
    other.execute("INSERT INTO outbox (body) VALUES ('pending')")
    other.commit()
    with StateStore(path) as store:
        store.save({"k": {"v": 1}})
        fresh = sqlite3.connect(path)  # the mode is the file's: a new connection reads it
        assert fresh.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        fresh.close()
    assert other.execute("SELECT body FROM outbox").fetchall() == [("pending",)]
    other.close()


def test_unreadable_entry_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A corrupt entry is dropped with a warning instead of stopping the daemon."""
    path = tmp_path / "state.db"
    with StateStore(path) as store:
        store.save({"good": {"v": 1}})
        with sqlite3.connect(path) as other:
            other.execute("INSERT INTO rule_state VALUES ('bad', 'not json')")
        other.close()
        assert store.load() == {"good": {"v": 1}}
    assert "unreadable" in caplog.text


def test_unwritable_location_names_the_fix(tmp_path: Path) -> None:
    """A state path that cannot be created raises StateError pointing at --state."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StateError, match="--state or NOTIFIER_STATE"):
        StateStore(blocker / "state.db")
