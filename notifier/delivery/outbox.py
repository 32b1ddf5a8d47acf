"""The outbox: every alert on disk before anything is sent, one row per (alert, target).

A SQLite file in WAL mode, shared with the daemon's rule state (this module
owns the tables whose names start with ``outbox``; their layout and migrations
are in :mod:`~notifier.delivery.outbox_schema`). An alert and all its rows
are written in one transaction, committed before :meth:`Outbox.add` returns,
so a process killed at any moment (SIGKILL included) finds every alert it
accepted when it starts again, and sends what was not sent.

A row's life::

    pending --send ok--> sent
       |  ^ |
       |  | '--folded into a digest or a group--> folded (digest_id = the new row)
       |  '--failure: attempts += 1, next_at = now + backoff
       '--failure past max_age, or its target is gone--> dead

A row is due when it is pending and both ``next_at`` and ``not_before`` (when
set) have passed. ``next_at`` is the retry schedule; ``not_before`` holds a row
back for a policy, and ``held`` says which: ``group`` (collecting a
conversation's messages for ``group_wait``), ``quiet`` (the target's quiet
hours), ``budget`` (the target's budget is used up) or ``muted``
(the one mute: a button, ``notifier mute``, Home Assistant). A held row keeps its
mark after it comes due, so the deliverer knows it waited: everything that
waited for a target goes out as one digest, whose row the folded rows point to
with ``digest_id``, all in one transaction. Times are epoch seconds from the
caller's clock: this module never reads a clock itself.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..alert import Alert
from ..exceptions import DeliveryError
from ..sqlite import connect
from .outbox_rows import ALERT_INSERT, ROW_COLUMNS, HeldFor, OutboxRow, RowState, alert_values, row_from
from .outbox_schema import create_or_migrate

if TYPE_CHECKING:  # pragma: no cover
    from ..state import Changes

__all__ = ["NewAlert", "Outbox", "OutboxWriteError"]

# The moment a pending row may be sent: its retry time, or later if it is held back.
_DUE_AT = "MAX(o.next_at, COALESCE(o.not_before, o.next_at))"


@dataclass(frozen=True, slots=True)
class NewAlert:
    """An alert to store, with its target keys (see :meth:`Outbox.add`)."""

    alert: Alert
    targets: tuple[str, ...]
    dead: Mapping[str, str] = field(default_factory=dict)
    group_wait: float = 0.0


class Outbox:
    """Durable (alert, target) rows in a SQLite file.

    Safe to call from several threads (one lock around one connection); meant
    for one delivering process per file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            # FULL: an alert the outbox accepted survives a power loss too, not only a
            # crash. Alerts are rare, so one fsync each costs nothing that matters.
            self._db = connect(self.path, synchronous="FULL", check_same_thread=False)
            with self._transaction() as db:
                create_or_migrate(db)
            self._resolved = self.path.resolve()
        except (OSError, sqlite3.Error) as exc:
            raise DeliveryError(
                f"cannot open the outbox database {self.path}: {exc}; check that its folder "
                "exists and is writable"
            ) from exc

    def __repr__(self) -> str:
        return f"Outbox({str(self.path)!r})"

    # -- writing ---------------------------------------------------------------------------

    def add(
        self,
        alert: Alert,
        targets: Iterable[str],
        *,
        now: float,
        dead: Mapping[str, str] | None = None,
        group_wait: float = 0.0,
    ) -> list[OutboxRow]:
        """Store ``alert`` with one pending row per target key, durably, in one transaction.

        ``dead`` maps target keys that cannot be sent to (unknown names) to the
        reason; their rows are stored already dead, so the loss stays visible.
        With ``group_wait`` the rows are held as a group: they join the open
        group of the same (rule, key, target), or open one that is due
        ``group_wait`` seconds from ``now``.
        """
        return self.add_all([NewAlert(alert, tuple(targets), dead or {}, group_wait)], now=now)[0]

    def add_all(
        self, alerts: Sequence[NewAlert], *, now: float, state: Changes | None = None,
        before_commit: Callable[[], None] | None = None,
    ) -> list[list[OutboxRow]]:
        """Store each alert as :meth:`add` does, and ``state`` with them, all in one transaction.

        ``state`` is the rule engine's changes that fired these alerts, for
        the state file this outbox shares: committed together, a kill can never
        keep the alerts without the state that says they fired (a restart
        would fire them again), nor the state without the alerts.
        ``before_commit`` is called when the rows are written, just before the
        commit: work started there runs while the commit waits for the disk.
        """
        # The same Path object as a rule: resolved (a few system calls) only when it differs.
        if state is not None and state.path != self.path and Path(state.path).resolve() != self._resolved:
            raise ValueError(f"the rule state of {state.path} cannot be written to the outbox of {self.path}")
        with self._write() as db:
            stored = [self._insert(db, new, now) for new in alerts]
            if state is not None:
                state.write(db)
            if before_commit is not None:
                before_commit()
            return stored

    def _insert(self, db: sqlite3.Connection, new: NewAlert, now: float) -> list[OutboxRow]:
        alert_id = self._insert_alert(db, new.alert, now)
        rows = []
        for key in dict.fromkeys(new.targets):
            if key in new.dead:
                continue
            held, until = None, None
            if new.group_wait > 0:
                held, until = "group", self._open_group(db, new.alert, key) or now + new.group_wait
            rows.append((alert_id, key, "pending", now, now, now, None, until, held))
        rows += [(alert_id, key, "dead", now, now, now, reason, None, None) for key, reason in new.dead.items()]
        db.executemany(
            "INSERT INTO outbox (alert_id, target, state, created_at, next_at, updated_at, "
            "last_error, not_before, held) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        return self._select(db, "o.alert_id = ? ORDER BY o.id", (alert_id,))

    def fold(self, row_ids: Collection[int], alert: Alert, target: str, *, now: float) -> OutboxRow:
        """Replace pending rows by one new pending row of ``alert`` for ``target``, atomically.

        The old rows become ``folded`` and point to the new one (``digest_id``).
        Raises DeliveryError, changing nothing, if any of them is no longer pending.
        """
        ids = list(dict.fromkeys(row_ids))
        with self._write() as db:
            alert_id = self._insert_alert(db, alert, now)
            cursor = db.execute(
                "INSERT INTO outbox (alert_id, target, state, created_at, next_at, updated_at) "
                "VALUES (?, ?, 'pending', ?, ?, ?)",
                (alert_id, target, now, now, now),
            )
            new_id = cursor.lastrowid
            changed = db.executemany(
                "UPDATE outbox SET state = 'folded', digest_id = ?, updated_at = ? "
                "WHERE id = ? AND state = 'pending'",
                [(new_id, now, row_id) for row_id in ids],
            ).rowcount
            if changed != len(ids):
                raise _Conflict(f"{len(ids) - changed} of the rows to fold are no longer pending")
            return self._select(db, "o.id = ?", (new_id,))[0]

    def mark_sent(self, row_id: int, *, now: float) -> None:
        """The target accepted the row's alert."""
        with self._write() as db:
            db.execute(
                "UPDATE outbox SET state = 'sent', attempts = attempts + 1, updated_at = ?, "
                "last_error = NULL WHERE id = ?",
                (now, row_id),
            )

    def mark_failed(self, row_id: int, *, now: float, next_at: float, reason: str) -> None:
        """A send failed; try again at ``next_at``."""
        with self._write() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_at = ?, updated_at = ?, "
                "last_error = ? WHERE id = ? AND state = 'pending'",
                (next_at, now, reason, row_id),
            )

    def mark_dead(self, row_id: int, *, now: float, reason: str, attempted: bool = True) -> None:
        """Give up on a row; ``attempted`` counts the send that just failed."""
        with self._write() as db:
            db.execute(
                "UPDATE outbox SET state = 'dead', attempts = attempts + ?, updated_at = ?, "
                "last_error = ? WHERE id = ? AND state = 'pending'",
                (int(attempted), now, reason, row_id),
            )

    def hold(
        self,
        row_ids: Collection[int],
        *,
        not_before: float | None,
        now: float,
        reason: HeldFor | None = None,
    ) -> None:
        """Keep pending rows back until ``not_before`` (None releases them).

        ``reason`` marks why (``quiet`` or ``budget``); a row keeps the first
        policy reason it was held for.
        """
        with self._write() as db:
            db.executemany(
                "UPDATE outbox SET not_before = ?, updated_at = ?, held = CASE "
                "WHEN held IS NULL OR held = 'group' THEN COALESCE(?, held) ELSE held END "
                "WHERE id = ? AND state = 'pending'",
                [(not_before, now, reason, row_id) for row_id in row_ids],
            )

    def release(self, row_ids: Collection[int], *, now: float) -> None:
        """Make held rows ordinary pending rows again (a group of one message)."""
        with self._write() as db:
            db.executemany(
                "UPDATE outbox SET not_before = NULL, held = NULL, updated_at = ? "
                "WHERE id = ? AND state = 'pending'",
                [(now, row_id) for row_id in row_ids],
            )

    def recheck(self, targets: Collection[str], *, now: float) -> int:
        """Rows a policy holds for ``targets`` come due now, to be judged again (policy changed)."""
        if not targets:
            return 0
        marks = ",".join("?" * len(targets))
        with self._write() as db:
            return db.execute(
                f"UPDATE outbox SET not_before = ? WHERE state = 'pending' AND held IN ('quiet', 'budget', 'muted') "
                f"AND not_before > ? AND target IN ({marks})",
                (now, now, *targets),
            ).rowcount

    def purge(self, *, before: float) -> int:
        """Delete sent and dead rows last changed before ``before``; the count deleted."""
        with self._write() as db:
            deleted = db.execute(
                "DELETE FROM outbox WHERE state IN ('sent', 'dead', 'folded') AND updated_at < ?", (before,)
            ).rowcount
            db.execute(
                "DELETE FROM outbox_alerts WHERE NOT EXISTS "
                "(SELECT 1 FROM outbox WHERE outbox.alert_id = outbox_alerts.id)"
            )
            return deleted

    # -- reading ---------------------------------------------------------------------------

    def due(
        self,
        now: float,
        *,
        per_target: int = 1,
        exclude: Collection[int] = (),
        exclude_targets: Collection[str] = (),
        limit: int = 1000,
    ) -> list[OutboxRow]:
        """Pending rows that may be sent at ``now``, at most ``per_target`` per target.

        Ordered first row of every target, then second row of every target, and so
        on, each round earliest due first: a target with a long queue cannot crowd
        the others out. Rows in ``exclude`` (being sent) and rows for targets in
        ``exclude_targets`` (busy) are skipped.
        """
        where, params = _pending_filter(exclude, exclude_targets)
        query = f"""
            SELECT * FROM (
                SELECT {ROW_COLUMNS}, {_DUE_AT} AS due_at,
                       ROW_NUMBER() OVER (PARTITION BY o.target ORDER BY {_DUE_AT}, o.id) AS rank
                FROM outbox o JOIN outbox_alerts a ON a.id = o.alert_id
                WHERE {where} AND {_DUE_AT} <= ?
            ) WHERE rank <= ? ORDER BY rank, due_at, 1 LIMIT ?
        """
        with self._read() as db:
            found = db.execute(query, (*params, now, per_target, limit)).fetchall()
        return [row_from(values[:-2]) for values in found]

    def pending_besides(self, target: str, row_id: int, *, exclude: Collection[int] = ()) -> bool:
        """Whether ``target`` has a pending row other than ``row_id`` and those in ``exclude`` (due or not, held or not)."""
        skip = (row_id, *exclude)
        marks = ",".join("?" * len(skip))
        with self._read() as db:
            found = db.execute(
                f"SELECT 1 FROM outbox WHERE state = 'pending' AND target = ? AND id NOT IN ({marks}) LIMIT 1",
                (target, *skip),
            ).fetchone()
        return found is not None

    def due_for(self, target: str, now: float, *, exclude: Collection[int] = ()) -> list[OutboxRow]:
        """Every pending row of ``target`` that is due at ``now``, earliest due first."""
        where, params = _pending_filter(exclude, ())
        query = f"{where} AND o.target = ? AND {_DUE_AT} <= ? ORDER BY {_DUE_AT}, o.id"
        with self._read() as db:
            return self._select(db, query, (*params, target, now))

    def due_held(self, held: HeldFor, now: float, *, exclude: Collection[int] = ()) -> list[OutboxRow]:
        """Pending rows held for ``held`` that are due at ``now``, oldest first."""
        where, params = _pending_filter(exclude, ())
        query = f"{where} AND o.held = ? AND {_DUE_AT} <= ? ORDER BY o.id"
        with self._read() as db:
            return self._select(db, query, (*params, held, now))

    def due_targets(self, now: float, *, exclude: Collection[int] = (), waited: bool = False) -> set[str]:
        """The targets that have a row due at ``now`` (``waited``: one that a policy held back)."""
        where, params = _pending_filter(exclude, ())
        if waited:
            where += " AND o.held IN ('quiet', 'budget', 'muted')"
        with self._read() as db:
            found = db.execute(f"SELECT DISTINCT o.target FROM outbox o WHERE {where} AND {_DUE_AT} <= ?",
                               (*params, now)).fetchall()
        return {target for (target,) in found}

    def sent_times(self, target: str, *, since: float) -> list[float]:
        """When rows for ``target`` were sent, for those sent after ``since`` (a budget's history)."""
        with self._read() as db:
            found = db.execute(
                "SELECT updated_at FROM outbox WHERE target = ? AND state = 'sent' AND updated_at > ? "
                "ORDER BY updated_at",
                (target, since),
            ).fetchall()
        return [when for (when,) in found]

    def folded_into(self, row_id: int) -> list[OutboxRow]:
        """The rows folded into the row ``row_id`` (a digest's or a group's), in insertion order."""
        with self._read() as db:
            return self._select(db, "o.digest_id = ? AND o.state = 'folded' ORDER BY o.id", (row_id,))

    def next_due(self, *, exclude: Collection[int] = (), exclude_targets: Collection[str] = ()) -> float | None:
        """When the earliest pending row becomes due (skipping as :meth:`due` does); None if none."""
        where, params = _pending_filter(exclude, exclude_targets)
        with self._read() as db:
            (when,) = db.execute(f"SELECT MIN({_DUE_AT}) FROM outbox o WHERE {where}", params).fetchone()
        return when

    def depth(self) -> int:
        """How many rows are pending (waiting, retrying or held back)."""
        with self._read() as db:
            return db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetchone()[0]

    def count_due(self, now: float) -> int:
        """How many pending rows may be sent at ``now``."""
        with self._read() as db:
            return db.execute(
                f"SELECT COUNT(*) FROM outbox o WHERE o.state = 'pending' AND {_DUE_AT} <= ?",
                (now,),
            ).fetchone()[0]

    def rows(self, state: RowState | None = None, *, target: str | None = None) -> list[OutboxRow]:
        """Rows in insertion order, optionally only those in ``state`` / for ``target``."""
        where = ["1 = 1"]
        params: list[object] = []
        if state is not None:
            where.append("o.state = ?")
            params.append(state)
        if target is not None:
            where.append("o.target = ?")
            params.append(target)
        with self._read() as db:
            return self._select(db, " AND ".join(where) + " ORDER BY o.id", tuple(params))

    def last_alert(self, *, skip_kinds: Collection[str] = ("health", "status", "digest")) -> tuple[str, float] | None:
        """The title and time of the newest alert the rules fired (``skip_kinds`` left out); None if none."""
        marks = ", ".join("?" for _ in skip_kinds) or "''"
        with self._read() as db:
            row = db.execute(
                f"SELECT title, ts FROM outbox_alerts WHERE kind NOT IN ({marks}) ORDER BY id DESC LIMIT 1",
                tuple(skip_kinds),
            ).fetchone()
        return (str(row[0]), float(row[1])) if row else None

    def get(self, row_id: int) -> OutboxRow | None:
        with self._read() as db:
            found = self._select(db, "o.id = ?", (row_id,))
        return found[0] if found else None

    # -- plumbing --------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @staticmethod
    def _insert_alert(db: sqlite3.Connection, alert: Alert, now: float) -> int:
        return db.execute(ALERT_INSERT, alert_values(alert, now)).lastrowid

    @staticmethod
    def _open_group(db: sqlite3.Connection, alert: Alert, target: str) -> float | None:
        """When the open group of (rule, key, target) comes due; None if there is none."""
        (until,) = db.execute(
            "SELECT MIN(o.not_before) FROM outbox o JOIN outbox_alerts a ON a.id = o.alert_id "
            "WHERE o.state = 'pending' AND o.held = 'group' AND o.target = ? AND a.rule = ? AND a.key = ?",
            (target, alert.rule, alert.key),
        ).fetchone()
        return until

    @staticmethod
    def _select(db: sqlite3.Connection, where: str, params: tuple[object, ...]) -> list[OutboxRow]:
        query = f"SELECT {ROW_COLUMNS} FROM outbox o JOIN outbox_alerts a ON a.id = o.alert_id WHERE {where}"
        return [row_from(values) for values in db.execute(query, params).fetchall()]

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE: the daemon's rule state writes the same file; take the write
        # lock up front instead of failing half-way through.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                with self._transaction() as db:
                    yield db
            except _Conflict as exc:
                raise DeliveryError(f"cannot write the outbox database {self.path}: {exc}") from exc
            except sqlite3.Error as exc:
                raise OutboxWriteError(f"cannot write the outbox database {self.path}: {exc}") from exc

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as exc:
                raise DeliveryError(f"cannot read the outbox database {self.path}: {exc}") from exc


class OutboxWriteError(DeliveryError):
    """SQLite refused a write: the file is full, read-only, locked or damaged."""


class _Conflict(Exception):
    """A write found the rows in another state than expected; it is rolled back."""


def _pending_filter(exclude: Collection[int], exclude_targets: Collection[str]) -> tuple[str, tuple[object, ...]]:
    where = "o.state = 'pending'"
    if exclude:
        where += f" AND o.id NOT IN ({','.join('?' * len(exclude))})"
    if exclude_targets:
        where += f" AND o.target NOT IN ({','.join('?' * len(exclude_targets))})"
    return where, (*exclude, *exclude_targets)
