"""The outbox: durable rows per (alert, target), fair due order, state changes, housekeeping."""

from __future__ import annotations

import json
import sqlite3

import pytest

from notifier.delivery import Outbox
from notifier.delivery.outbox import NewAlert, OutboxWriteError
from notifier.exceptions import DeliveryError
from notifier.state import StateStore
from tests.delivery.conftest import make_alert


def test_add_is_durable_and_visible_to_another_connection(tmp_path):
    """add() commits the alert and one pending row per target before returning."""
    path = tmp_path / "state.db"
    alert = make_alert("a", "b", urgent=True, fields={"likes": 1200})
    with Outbox(path) as writer:
        rows = writer.add(alert, ["a", "b", "a"], now=100.0)
        assert [(r.target, r.state, r.attempts) for r in rows] == [("a", "pending", 0), ("b", "pending", 0)]
        # A second, independent connection (another process after a crash) sees it already.
        with Outbox(path) as reader:
            stored = reader.rows()
            assert [r.target for r in stored] == ["a", "b"]
            assert stored[0].alert == alert and stored[0].alert.fields == {"likes": 1200}
            assert stored[0].created_at == 100.0 and stored[0].next_at == 100.0
            assert reader.depth() == 2


def test_an_alerts_typed_options_survive_the_outbox(outbox):
    """Merged rules and titles, catch_up and group_wait are stored and read back as they were."""
    alert = make_alert("a", rules=("A", "B"), titles=("a", "b"), catch_up=720.0, group_wait=30.0)
    (row,) = outbox.add(alert, ["a"], now=1.0)
    assert row.alert == alert
    assert (row.alert.rules, row.alert.titles, row.alert.catch_up, row.alert.group_wait) == (
        ("A", "B"), ("a", "b"), 720.0, 30.0,
    )


# The tables as the previous version created them: its alerts kept a catch-up's
# merged rules, titles and outage in their fields.
_SCHEMA_2 = """
CREATE TABLE outbox_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE outbox_alerts (
    id INTEGER PRIMARY KEY, rule TEXT NOT NULL, topic TEXT NOT NULL, key TEXT NOT NULL,
    title TEXT NOT NULL, message TEXT NOT NULL, targets TEXT NOT NULL, ts REAL NOT NULL,
    kind TEXT NOT NULL, notify_type TEXT NOT NULL, urgent INTEGER NOT NULL, fields TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY, alert_id INTEGER NOT NULL REFERENCES outbox_alerts(id), target TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL,
    next_at REAL NOT NULL, not_before REAL, updated_at REAL NOT NULL, last_error TEXT, digest_id INTEGER,
    held TEXT
);
INSERT INTO outbox_meta VALUES ('schema', '2');
"""


def test_rows_of_the_previous_version_load_their_options_from_fields(tmp_path):
    """An old catch-up row gets its rules, titles and outage typed; an old digest keeps its rule counts."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(_SCHEMA_2)
        old_fields = {"likes": 4100, "rules": ["A", "B"], "titles": ["a", "b"], "catch_up": 720.0}
        digest_fields = {"count": 2, "reason": "during quiet hours", "rules": {"A": 2}}
        stored = ((1, "A + B", "every", old_fields), (2, "(digest)", "digest", digest_fields))
        for alert_id, rule, kind, fields in stored:
            db.execute(
                "INSERT INTO outbox_alerts VALUES (?, ?, '/t', 'k', 'title', 'message', '[\"a\"]', 5.0, ?, "
                "'success', 0, ?, 1.0)",
                (alert_id, rule, kind, json.dumps(fields)),
            )
            db.execute(
                "INSERT INTO outbox (alert_id, target, created_at, next_at, updated_at) VALUES (?, 'a', 1.0, 1.0, 1.0)",
                (alert_id,),
            )
    db.close()
    with Outbox(path) as outbox:
        merged, digest = (row.alert for row in outbox.rows())
        assert (merged.rules, merged.titles, merged.catch_up, merged.group_wait) == (("A", "B"), ("a", "b"), 720.0, 0.0)
        assert merged.fields == {"likes": 4100}
        assert (digest.rules, digest.catch_up) == ((), None)
        assert digest.fields == digest_fields
        # New rows next to the old ones store the options in their own columns.
        (row,) = outbox.add(make_alert("a", rules=("C",), titles=("c",)), ["a"], now=2.0)
        assert row.alert.rules == ("C",)


def test_wal_mode(tmp_path):
    """The database runs in WAL mode, so readers never block the writer."""
    path = tmp_path / "state.db"
    Outbox(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_dead_rows_are_stored_for_unknown_targets(outbox):
    """Targets that cannot be resolved are written as dead rows with the reason."""
    rows = outbox.add(make_alert("a", "zz"), ["a"], now=1.0, dead={"zz": "no target named 'zz'"})
    assert [(r.target, r.state, r.last_error) for r in rows] == [
        ("a", "pending", None),
        ("zz", "dead", "no target named 'zz'"),
    ]
    assert outbox.depth() == 1


def test_due_round_robins_targets_and_limits_per_target(outbox):
    """due() gives the first row of every target before the second of any, per_target at most."""
    for n in range(4):
        outbox.add(make_alert("busy"), ["busy"], now=float(n))
    outbox.add(make_alert("quiet"), ["quiet"], now=10.0)
    due = outbox.due(100.0, per_target=2)
    assert [r.target for r in due] == ["busy", "quiet", "busy"]
    assert [r.created_at for r in due if r.target == "busy"] == [0.0, 1.0]


def test_due_skips_excluded_rows_and_targets_and_future_rows(outbox):
    """Rows being sent, busy targets and rows not yet due are left out."""
    first = outbox.add(make_alert("a"), ["a"], now=1.0)[0]
    outbox.add(make_alert("a"), ["a"], now=2.0)
    outbox.add(make_alert("b"), ["b"], now=3.0)
    outbox.add(make_alert("c"), ["c"], now=50.0)
    assert [r.created_at for r in outbox.due(10.0, per_target=5, exclude=[first.id])] == [2.0, 3.0]
    assert [r.target for r in outbox.due(10.0, per_target=5, exclude_targets=["a"])] == ["b"]
    assert outbox.next_due(exclude=[first.id], exclude_targets=["a", "b"]) == 50.0
    assert outbox.count_due(10.0) == 3


def test_state_changes(outbox):
    """Failures reschedule and count attempts; sent and dead are final."""
    one, two, three = (outbox.add(make_alert("t"), ["t"], now=0.0)[0] for _ in range(3))
    outbox.mark_failed(one.id, now=1.0, next_at=3.0, reason="HTTP 500")
    row = outbox.get(one.id)
    assert (row.state, row.attempts, row.next_at, row.last_error) == ("pending", 1, 3.0, "HTTP 500")
    assert [r.id for r in outbox.due(2.0)] == [two.id]
    outbox.mark_sent(one.id, now=4.0)
    row = outbox.get(one.id)
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, None)
    outbox.mark_dead(two.id, now=5.0, reason="gone")
    outbox.mark_failed(two.id, now=6.0, next_at=7.0, reason="late")  # a dead row stays dead
    assert (outbox.get(two.id).state, outbox.get(two.id).attempts) == ("dead", 1)
    assert outbox.depth() == 1 and outbox.rows("pending")[0].id == three.id
    assert outbox.get(10_000) is None


def test_hold_keeps_rows_back_until_not_before(outbox):
    """A held row is not due before not_before, whatever its retry time; releasing frees it."""
    row = outbox.add(make_alert("t"), ["t"], now=0.0)[0]
    outbox.hold([row.id], not_before=100.0, now=1.0)
    assert outbox.due(50.0) == [] and outbox.next_due() == 100.0
    assert outbox.get(row.id).due_at == 100.0
    assert [r.id for r in outbox.due(100.0)] == [row.id]
    outbox.hold([row.id], not_before=None, now=2.0)
    assert [r.id for r in outbox.due(1.0)] == [row.id]


def test_purge_removes_old_settled_rows_only(outbox):
    """Housekeeping deletes sent/dead rows older than the cut-off and their orphaned alerts."""
    old = outbox.add(make_alert("t"), ["t"], now=0.0)[0]
    outbox.mark_sent(old.id, now=10.0)
    recent = outbox.add(make_alert("t"), ["t"], now=0.0)[0]
    outbox.mark_sent(recent.id, now=90.0)
    waiting = outbox.add(make_alert("t"), ["t"], now=0.0)[0]
    assert outbox.purge(before=50.0) == 1
    assert [r.id for r in outbox.rows()] == [recent.id, waiting.id]
    with sqlite3.connect(outbox.path) as db:
        assert db.execute("SELECT COUNT(*) FROM outbox_alerts").fetchone()[0] == 2


def test_shares_the_database_with_rule_state(tmp_path):
    """The outbox and the daemon's rule state live in one file without disturbing each other."""
    path = tmp_path / "state.db"
    with Outbox(path) as outbox, StateStore(path) as store:
        outbox.add(make_alert("t"), ["t"], now=0.0)
        store.save({"rule:1": {"armed": True}})
        outbox.add(make_alert("t"), ["t"], now=1.0)
        assert outbox.depth() == 2 and store.load() == {"rule:1": {"armed": True}}


def test_unopenable_path_is_a_delivery_error(tmp_path):
    """A database that cannot be created says which file and what to check."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DeliveryError, match="cannot open the outbox database .*writable"):
        Outbox(blocker / "state.db")


def test_alerts_and_the_rule_state_commit_together_or_not_at_all(tmp_path):
    """add_all writes the alerts and the engine's changes in one transaction; a failing state write keeps neither."""
    path = tmp_path / "state.db"
    with StateStore(path) as store, Outbox(path) as outbox:
        (rows,) = outbox.add_all([NewAlert(make_alert("a"), ("a",))], now=1.0, state=store.changes({"r:x:1": {"a": False}}))
        assert [row.state for row in rows] == ["pending"] and store.load() == {"r:x:1": {"a": False}}
        with sqlite3.connect(path) as other:
            other.execute("DROP TABLE rule_state")
        other.close()
        with pytest.raises(OutboxWriteError):
            outbox.add_all([NewAlert(make_alert("b"), ("b",))], now=2.0, state=store.changes({"r:x:1": {"a": True}}))
        assert [row.target for row in outbox.rows()] == ["a"]


def test_the_rule_state_of_another_file_is_refused(tmp_path):
    """State changes belong to the file they were read from: the outbox of another file will not write them."""
    with StateStore(tmp_path / "one.db") as store, Outbox(tmp_path / "two.db") as outbox:
        with pytest.raises(ValueError, match="cannot be written"):
            outbox.add_all([NewAlert(make_alert("a"), ("a",))], now=1.0, state=store.changes({"k": {"v": 1}}))
        assert outbox.rows() == []


def test_before_commit_runs_when_the_rows_are_written_and_not_yet_committed(tmp_path):
    """The hook for work that overlaps the commit's wait for the disk sees the rows written, not yet visible to others."""
    path = tmp_path / "state.db"
    seen = []
    with Outbox(path) as outbox, sqlite3.connect(path) as other:
        def look() -> None:
            seen.append(other.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

        outbox.add_all([NewAlert(make_alert("a"), ("a",))], now=1.0, before_commit=look)
        assert seen == [0]
        assert other.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 1
    other.close()
