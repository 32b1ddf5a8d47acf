"""Rule state on disk: the engine's entries in SQLite, next to the outbox.

The daemon keeps one database file: the delivery outbox owns the tables named
``outbox*``, this module owns ``rule_state``. Each event that changed the
engine's state is saved at once. An event that fired alerts hands its changes
to the outbox as :class:`Changes`, written in the very transaction that stores
the alerts: killed at any moment, the file holds both or neither, so a restart
neither loses an alert nor fires it again.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .exceptions import StateError
from .sqlite import connect

__all__ = ["Changes", "StateError", "StateStore"]

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rule_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
)
"""


class StateStore:
    """Rule-engine entries (``key -> JSON object``) in a SQLite file.

    Not thread-safe: one daemon, one event loop, one connection.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            # NORMAL in WAL mode survives a process crash; only a power loss may lose the
            # last commits, which the outbox's at-least-once delivery tolerates.
            self._db = connect(self.path, synchronous="NORMAL")
            self._db.execute(_SCHEMA)
            # Once per start, in well under a second for any real state file: a damaged file
            # found now is one clear message, not a failure in the middle of an alert.
            problem = self._db.execute("PRAGMA quick_check").fetchone()[0]
        except (OSError, sqlite3.Error) as exc:
            if isinstance(exc, sqlite3.DatabaseError) and exc.sqlite_errorcode in _DAMAGED:
                raise StateError(_damaged(self.path, str(exc))) from exc
            raise StateError(
                f"cannot open the state database {self.path}: {exc}; check that the folder "
                "exists and is writable, or choose another with --state or NOTIFIER_STATE"
            ) from exc
        if problem != "ok":
            self._db.close()
            raise StateError(_damaged(self.path, problem))

    def __repr__(self) -> str:
        return f"StateStore({str(self.path)!r})"

    def load(self) -> dict[str, dict]:
        """Every saved entry; an entry that no longer decodes is skipped with a warning."""
        entries: dict[str, dict] = {}
        try:
            rows = self._db.execute("SELECT key, value FROM rule_state").fetchall()
        except sqlite3.Error as exc:
            raise StateError(f"cannot read the state database {self.path}: {exc}") from exc
        for key, value in rows:
            try:
                decoded = json.loads(value)
            except ValueError:
                decoded = None
            if not isinstance(decoded, dict):
                log.warning("state entry %r in %s is unreadable; starting it afresh", key, self.path)
                continue
            entries[key] = decoded
        return entries

    def save(self, changes: Mapping[str, dict | None]) -> None:
        """Write changed entries in one transaction; ``None`` deletes an entry."""
        if not changes:
            return
        try:
            with _transaction(self._db):
                _write(self._db, changes)
        except sqlite3.Error as exc:
            raise StateError(f"cannot write the state database {self.path}: {exc}") from exc

    def changes(self, entries: Mapping[str, dict | None]) -> Changes:
        """Changed entries for the outbox to write in its own transaction (this file's, see :class:`Changes`)."""
        return Changes(self.path, entries)

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM rule_state").fetchone()[0]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(frozen=True, slots=True)
class Changes:
    """The engine's changed entries, written by whoever commits to the state file next.

    The outbox writes them with the alerts they caused, in one transaction on
    its own connection to the same ``path`` (it checks): two commits would
    leave a moment in which a kill keeps the alerts and loses the state that
    says they fired.
    """

    path: Path
    entries: Mapping[str, dict | None]

    def write(self, db: sqlite3.Connection) -> None:
        """Write the entries on ``db``, inside the caller's transaction; ``None`` deletes an entry."""
        _write(db, self.entries)


def _write(db: sqlite3.Connection, changes: Mapping[str, dict | None]) -> None:
    upserts = []
    deletes = []
    for key, value in changes.items():
        if value is None:
            deletes.append((key,))
        else:
            upserts.append((key, json.dumps(value, separators=(",", ":"), sort_keys=True)))
    if upserts:
        db.executemany(
            "INSERT INTO rule_state (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            upserts,
        )
    if deletes:
        db.executemany("DELETE FROM rule_state WHERE key = ?", deletes)


# SQLite's own words for a file that is not (or no longer) a sound database.
_DAMAGED = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _damaged(path: Path, problem: str) -> str:
    return (
        f"the state file {path} is damaged ({problem}): stop notifier, move it aside "
        f"(mv {path} {path}.damaged) and start again with a fresh one; the rule state and "
        "undelivered alerts in it are lost, so milestones already announced may be announced again"
    )


class _transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on error (the outbox writes the same file)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self._db.execute("COMMIT")
        else:
            self._db.execute("ROLLBACK")
