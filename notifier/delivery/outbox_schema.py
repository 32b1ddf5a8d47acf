"""The outbox's tables: created on first open, brought up to date on every open.

The outbox shares its SQLite file with the daemon's rule state, so a file may
come from any earlier version of notifier. :func:`create_or_migrate` makes
what is missing (tables, indexes, columns added since) and records the schema
version; :func:`options_in_fields` reads what older versions kept inside an
alert's fields. Nothing here reads or writes rows of alerts.
"""

from __future__ import annotations

import sqlite3

__all__ = ["SCHEMA_VERSION", "create_or_migrate", "options_in_fields"]

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox_alerts (
    id INTEGER PRIMARY KEY,
    rule TEXT NOT NULL,
    topic TEXT NOT NULL,
    key TEXT NOT NULL,
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    targets TEXT NOT NULL,
    ts REAL NOT NULL,
    kind TEXT NOT NULL,
    notify_type TEXT NOT NULL,
    urgent INTEGER NOT NULL,
    fields TEXT NOT NULL,
    created_at REAL NOT NULL,
    rules TEXT,
    titles TEXT,
    catch_up REAL,
    group_wait REAL NOT NULL DEFAULT 0,
    charts TEXT
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES outbox_alerts(id),
    target TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    next_at REAL NOT NULL,
    not_before REAL,
    updated_at REAL NOT NULL,
    last_error TEXT,
    digest_id INTEGER,
    held TEXT
);
CREATE INDEX IF NOT EXISTS outbox_by_state ON outbox (state, next_at);
CREATE INDEX IF NOT EXISTS outbox_by_alert ON outbox (alert_id);
"""

# An alert's typed options, added to outbox_alerts after schema 2 without a new
# version: the change is additive (nullable or defaulted), older code that names
# its columns reads the table as before, and a database without them gets them on open.
_ALERT_OPTION_COLUMNS = (
    ("rules", "TEXT"), ("titles", "TEXT"), ("catch_up", "REAL"), ("group_wait", "REAL NOT NULL DEFAULT 0"),
    ("charts", "TEXT"),
)


def create_or_migrate(db: sqlite3.Connection) -> None:
    """Create the outbox's tables, add the columns later versions added, record the version.

    The caller holds the transaction: a half-migrated file is never left behind.
    """
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    columns = {row[1] for row in db.execute("PRAGMA table_info(outbox)")}
    if "held" not in columns:
        # A database from before policies: its rows were never held.
        db.execute("ALTER TABLE outbox ADD COLUMN held TEXT")
    alert_columns = {row[1] for row in db.execute("PRAGMA table_info(outbox_alerts)")}
    for column, kind in _ALERT_OPTION_COLUMNS:
        if column not in alert_columns:
            # Rows from before keep NULL: the outbox reads their fields instead.
            db.execute(f"ALTER TABLE outbox_alerts ADD COLUMN {column} {kind}")
    db.execute(
        "UPDATE outbox_meta SET value = ? WHERE name = 'schema' AND CAST(value AS INTEGER) < ?",
        (str(SCHEMA_VERSION), SCHEMA_VERSION),
    )
    db.execute(
        "INSERT OR IGNORE INTO outbox_meta (name, value) VALUES ('schema', ?)",
        (str(SCHEMA_VERSION),),
    )


def options_in_fields(fields: dict) -> tuple[tuple[str, ...], tuple[str, ...], float | None]:
    """The typed options an alert stored by an older version kept in its fields; taken out of them.

    A catch-up kept the rules and titles it merged as lists under ``rules`` and
    ``titles``, and its outage under ``catch_up``. A digest's ``rules`` is a
    count per rule (a mapping) and stays where it is.
    """
    rules: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    if isinstance(fields.get("rules"), list):
        rules = tuple(str(name) for name in fields.pop("rules"))
        titles = tuple(str(title) for title in fields.pop("titles", None) or ())
    catch_up = fields.pop("catch_up", None)
    return rules, titles, float(catch_up) if isinstance(catch_up, (int, float)) else None
