"""StateStore: engine entries in SQLite, sharing the file with the outbox."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from notifier.delivery import Deliverer, Outbox, build_targets
from notifier.rulefile import load_rules
from notifier.rules import Engine, EngineState
from notifier.run.pipeline import Pipeline
from notifier.state import StateError, StateStore
from notifier.stream.events import Payload, TweetEngagementEvent
from notifier.stream.topics import Topic


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


class _Killed(BaseException):
    """The process dies here: nothing after this point runs."""


class _KilledAfterTheOutbox:
    """The deliverer's enqueue, then a SIGKILL: the moment right after the outbox committed."""

    def __init__(self, deliverer: Deliverer) -> None:
        self._deliverer = deliverer

    def enqueue(self, alerts, *args, **kwargs) -> None:
        self._deliverer.enqueue(alerts, *args, **kwargs)
        raise _Killed


def _run_once(path: Path, rules: Path, likes: list[int], *, killed: bool) -> None:
    """One start of the daemon's parts on ``path``: events with these counts, perhaps killed after the outbox."""
    ruleset = load_rules(rules, env={})
    with StateStore(path) as store, Outbox(path) as outbox:
        deliverer = Deliverer(outbox, build_targets({"t": "json://127.0.0.1:9/"}))
        sink = _KilledAfterTheOutbox(deliverer) if killed else deliverer
        engine = Engine(ruleset, EngineState.from_entries(store.load()))
        pipeline = Pipeline(engine, outbox=sink, store=store)
        with contextlib.suppress(_Killed):
            for now, count in enumerate(likes, start=1000):
                event = Payload(tweet_engagement=TweetEngagementEvent(like_count=count))
                pipeline.handle(Topic.tweet_engagement("1"), event, float(now))


def test_a_kill_right_after_the_outbox_commit_does_not_fire_the_alert_again(tmp_path: Path) -> None:
    """The alert's rows and the rule state that fired it commit together: after a kill between, no second alert."""
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\ntargets:\n  t: json://127.0.0.1:9/\n"
                     "rules:\n  - {name: A, tweets: [\"1\"], when: likes > 100, notify: [t]}\n", encoding="utf-8")
    path = tmp_path / "state.db"
    _run_once(path, rules, [99, 150], killed=True)
    _run_once(path, rules, [150], killed=False)  # the restart: X sends the post's counts again
    with Outbox(path) as outbox:
        assert [row.alert.rule for row in outbox.rows()] == ["A"]
