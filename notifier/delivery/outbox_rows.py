"""An outbox row: the value the deliverer works with, and how it is written to and read back from SQLite.

:class:`OutboxRow` is one (alert, target) pair and where its delivery
stands; ``ROW_COLUMNS`` and :func:`row_from` read one back from the join of
``outbox`` and ``outbox_alerts``, and ``ALERT_INSERT`` with
:func:`alert_values` writes an alert, its texts still marked and its charts as
samples, so that a retry renders and draws exactly what the first send did.
The tables themselves are :mod:`~notifier.delivery.outbox_schema`'s; what is
written when is :mod:`~notifier.delivery.outbox`'s.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Literal

from ..alert import Alert, Chart, marked_texts
from ..untrusted import unmark
from .outbox_schema import options_in_fields

__all__ = ["ALERT_INSERT", "ROW_COLUMNS", "HeldFor", "OutboxRow", "RowState", "alert_values", "row_from"]

# The outbox's own logger: an unreadable chart is the outbox's news, as it was.
log = logging.getLogger("notifier.delivery.outbox")

RowState = Literal["pending", "sent", "dead", "folded"]
HeldFor = Literal["group", "quiet", "budget", "muted"]

ROW_COLUMNS = (
    "o.id, o.target, o.state, o.attempts, o.created_at, o.next_at, o.not_before, "
    "o.updated_at, o.last_error, o.digest_id, o.held, a.id, a.rule, a.topic, a.key, a.title, "
    "a.message, a.targets, a.ts, a.kind, a.notify_type, a.urgent, a.fields, a.rules, a.titles, "
    "a.catch_up, a.group_wait, a.charts"
)
ALERT_INSERT = (
    "INSERT INTO outbox_alerts (rule, topic, key, title, message, targets, ts, kind, "
    "notify_type, urgent, fields, created_at, rules, titles, catch_up, group_wait, charts) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One (alert, target) pair and where its delivery stands."""

    id: int
    alert_id: int
    alert: Alert
    target: str
    state: RowState
    attempts: int
    created_at: float
    next_at: float
    not_before: float | None
    updated_at: float
    last_error: str | None
    digest_id: int | None
    held: HeldFor | None = None

    @property
    def waited(self) -> bool:
        """Whether a policy (quiet hours, budget, muted) held the row back at some point."""
        return self.held in ("quiet", "budget", "muted")

    @property
    def due_at(self) -> float:
        """When the row may be sent next (if pending)."""
        return max(self.next_at, self.not_before if self.not_before is not None else self.next_at)


def alert_values(alert: Alert, now: float) -> tuple[object, ...]:
    """The values of ``ALERT_INSERT`` for ``alert``, stored at ``now``."""
    return (
        alert.rule,
        alert.topic,
        alert.key,
        # Stored with values from X marked: a retry escapes them as the first send did.
        *marked_texts(alert),
        json.dumps(list(alert.targets)),
        alert.ts,
        alert.kind,
        alert.notify_type,
        int(alert.urgent),
        json.dumps(alert.fields, default=str, sort_keys=True),
        now,
        json.dumps(list(alert.rules)),
        json.dumps(list(alert.titles)),
        alert.catch_up,
        alert.group_wait,
        _charts_json(alert.charts),
    )


def _charts_json(charts: tuple[Chart, ...]) -> str | None:
    # The samples, not the PNG: a retry draws the chart again, and the row stays a few KB.
    return json.dumps([chart.to_json() for chart in charts], separators=(",", ":")) if charts else None


def _charts_of(text: str | None) -> tuple[Chart, ...]:
    if not text:
        return ()
    try:
        return tuple(Chart.from_json(value) for value in json.loads(text))
    except (ValueError, TypeError, KeyError, IndexError):
        # A chart is a picture on top of the alert: a damaged one costs the picture, never the alert.
        log.warning("an alert's chart in the outbox is unreadable; it is sent without it")
        return ()


def row_from(values: tuple) -> OutboxRow:
    (
        row_id, target, state, attempts, created_at, next_at, not_before, updated_at,
        last_error, digest_id, held, alert_id, rule, topic, key, title, message, targets, ts,
        kind, notify_type, urgent, fields, rules, titles, catch_up, group_wait, charts,
    ) = values  # fmt: skip
    fields = json.loads(fields)
    if rules is None:
        rules, titles, catch_up = options_in_fields(fields)
    else:
        rules, titles = tuple(json.loads(rules)), tuple(json.loads(titles))
    plain = (unmark(title), unmark(message))
    alert = Alert(
        rule=rule,
        topic=topic,
        key=key,
        title=plain[0],
        message=plain[1],
        marked=(title, message) if plain != (title, message) else None,
        targets=tuple(json.loads(targets)),
        ts=ts,
        kind=kind,
        notify_type=notify_type,
        urgent=bool(urgent),
        fields=fields,
        rules=rules,
        titles=titles,
        catch_up=catch_up,
        group_wait=group_wait,
        charts=_charts_of(charts),
    )
    return OutboxRow(
        id=row_id,
        alert_id=alert_id,
        alert=alert,
        target=target,
        state=state,
        attempts=attempts,
        created_at=created_at,
        next_at=next_at,
        not_before=not_before,
        updated_at=updated_at,
        last_error=last_error,
        digest_id=digest_id,
        held=held,
    )

