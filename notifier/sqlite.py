"""The one way notifier opens its SQLite file (rule state and outbox share it)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Literal

__all__ = ["connect"]


def connect(
    path: Path, *, synchronous: Literal["NORMAL", "FULL"], check_same_thread: bool = True
) -> sqlite3.Connection:
    """A WAL-mode connection whose transactions are the caller's own (BEGIN ... COMMIT).

    Raises OSError or sqlite3.Error; callers translate them into their own error.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, timeout=10.0, check_same_thread=check_same_thread)
    # WAL lets the state store and the outbox write the same file from two connections.
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    db.execute("PRAGMA busy_timeout=10000")
    return db
