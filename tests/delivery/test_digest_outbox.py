"""The outbox's hold-and-fold rows: held marks, groups, atomic folds, send history, and older databases."""

from __future__ import annotations

import sqlite3

import pytest

from notifier.delivery import Outbox
from notifier.exceptions import DeliveryError
from tests.delivery.conftest import make_alert


def test_group_rows_join_the_open_group_of_their_rule_key_and_target(outbox):
    """The first message opens a group due at now + group_wait; later ones join it; other keys start their own."""
    first = outbox.add(make_alert("t", "u", rule="DM", key="c1"), ["t", "u"], now=100.0, group_wait=30.0)
    assert [(r.held, r.not_before) for r in first] == [("group", 130.0), ("group", 130.0)]
    later = outbox.add(make_alert("t", rule="DM", key="c1"), ["t"], now=120.0, group_wait=30.0)
    assert later[0].not_before == 130.0
    other = outbox.add(make_alert("t", rule="DM", key="c2"), ["t"], now=120.0, group_wait=30.0)
    assert other[0].not_before == 150.0
    assert [r.id for r in outbox.due_held("group", 130.0)] == [first[0].id, first[1].id, later[0].id]
    assert outbox.due(129.0) == []


def test_fold_replaces_rows_by_one_new_row_in_one_transaction(outbox):
    """fold() marks the rows folded, pointing to the new pending row, and that row is due at once."""
    rows = [outbox.add(make_alert("t"), ["t"], now=1.0)[0] for _ in range(3)]
    outbox.hold([r.id for r in rows], not_before=50.0, now=2.0, reason="quiet")
    digest = outbox.fold([r.id for r in rows], make_alert("t", title="3 alerts"), "t", now=50.0)
    assert (digest.state, digest.held, digest.alert.title, digest.due_at) == ("pending", None, "3 alerts", 50.0)
    assert [(r.state, r.digest_id) for r in outbox.rows(target="t")[:3]] == [("folded", digest.id)] * 3
    assert [r.id for r in outbox.folded_into(digest.id)] == [r.id for r in rows]
    assert outbox.depth() == 1


def test_fold_changes_nothing_when_a_row_is_no_longer_pending(outbox):
    """A row sent meanwhile makes the fold fail whole: no digest row, no folded row."""
    one, two = (outbox.add(make_alert("t"), ["t"], now=1.0)[0] for _ in range(2))
    outbox.mark_sent(two.id, now=2.0)
    with pytest.raises(DeliveryError, match="no longer pending"):
        outbox.fold([one.id, two.id], make_alert("t", title="digest"), "t", now=3.0)
    assert [(r.id, r.state) for r in outbox.rows()] == [(one.id, "pending"), (two.id, "sent")]


def test_hold_keeps_the_first_policy_reason_and_release_clears_it(outbox):
    """Held for quiet hours, then for the budget: still 'quiet'. release() makes a row ordinary again."""
    row = outbox.add(make_alert("t"), ["t"], now=1.0)[0]
    outbox.hold([row.id], not_before=10.0, now=1.0, reason="quiet")
    outbox.hold([row.id], not_before=20.0, now=10.0, reason="budget")
    held = outbox.get(row.id)
    assert (held.held, held.not_before, held.waited) == ("quiet", 20.0, True)
    outbox.release([row.id], now=11.0)
    released = outbox.get(row.id)
    assert (released.held, released.not_before, released.waited) == (None, None, False)


def test_recheck_makes_held_rows_of_some_targets_due_now(outbox):
    """After a policy change, rows it held for those targets come due at once, keeping their mark."""
    a = outbox.add(make_alert("a"), ["a"], now=1.0)[0]
    b = outbox.add(make_alert("b"), ["b"], now=1.0)[0]
    outbox.hold([a.id, b.id], not_before=1000.0, now=1.0, reason="quiet")
    assert outbox.recheck(["a"], now=5.0) == 1
    assert [(r.target, r.held) for r in outbox.due(5.0, per_target=5)] == [("a", "quiet")]
    assert outbox.due_targets(5.0, waited=True) == {"a"}
    assert outbox.recheck([], now=5.0) == 0


def test_sent_times_are_the_budgets_history(outbox):
    """sent_times lists when a target's rows were sent, after a cut-off; folded and pending rows do not count."""
    rows = [outbox.add(make_alert("t"), ["t"], now=0.0)[0] for _ in range(4)]
    outbox.mark_sent(rows[0].id, now=10.0)
    outbox.mark_sent(rows[1].id, now=20.0)
    outbox.fold([rows[2].id], make_alert("t"), "t", now=25.0)
    other = outbox.add(make_alert("x"), ["x"], now=0.0)[0]
    outbox.mark_sent(other.id, now=15.0)
    assert outbox.sent_times("t", since=0.0) == [10.0, 20.0]
    assert outbox.sent_times("t", since=10.0) == [20.0]


def test_purge_removes_old_folded_rows_too(outbox):
    """Folded rows are settled: housekeeping deletes them with sent and dead ones."""
    row = outbox.add(make_alert("t"), ["t"], now=0.0)[0]
    digest = outbox.fold([row.id], make_alert("t"), "t", now=5.0)
    outbox.mark_sent(digest.id, now=6.0)
    assert outbox.purge(before=100.0) == 2
    assert outbox.rows() == []


def test_a_database_from_before_policies_is_upgraded_in_place(tmp_path):
    """An outbox table without the held column gets it; its pending rows stay and are sendable."""
    path = tmp_path / "old.db"
    with Outbox(path) as box:
        row = box.add(make_alert("t", title="from an old version"), ["t"], now=1.0)[0]
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE outbox DROP COLUMN held")
        db.execute("UPDATE outbox_meta SET value = '1' WHERE name = 'schema'")
    with Outbox(path) as box:
        (found,) = box.due(2.0)
        assert (found.id, found.held, found.alert.title) == (row.id, None, "from an old version")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM outbox_meta WHERE name = 'schema'").fetchone() == ("2",)
