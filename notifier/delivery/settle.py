"""Settling a send: its outcome written to the outbox, logged, and reported to whoever watches.

A send the target accepted marks its row sent. A failed one is tried again
after the backoff (``backoff(attempt)`` seconds, never past ``max_age`` after
the row could first be sent: a row a policy held starts its ``max_age`` when
it may first go out); past ``max_age``, or when its target is gone, the row
is marked dead and an ERROR names the target (URL masked). Each outcome
reaches ``on_result`` as a :class:`DeliveryResult`. When the outcome cannot be
written (the state file is full or unwritable) it is kept in the
:class:`~notifier.delivery.unrecorded.UnrecordedLedger` and written later,
and the row is not sent again meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ..durations import format_duration
from ..exceptions import DeliveryError
from .outbox import Outbox
from .outbox_rows import OutboxRow
from .outcome import SendOutcome
from .targets import Target
from .unrecorded import Unrecorded, UnrecordedLedger

__all__ = ["DeliveryResult", "Outcome", "Settler"]

# The deliverer's logger: "delivered", "failed" and "giving up" lines keep the name they always had.
log = logging.getLogger("notifier.delivery.deliverer")

Outcome = Literal["sent", "failed", "dead"]


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What happened to one (alert, target) send.

    ``url`` is masked. ``next_at`` is when a failed send is tried again
    (None when sent or dead). ``attempt`` counts sends of this row so far.
    """

    target: str
    url: str
    rule: str
    key: str
    title: str
    outcome: Outcome
    reason: str
    attempt: int
    next_at: float | None
    row_id: int


class Settler:
    """Writes, logs and reports what each send came to; state passed in once, by the deliverer."""

    def __init__(
        self,
        outbox: Outbox,
        unrecorded: UnrecordedLedger,
        *,
        max_age: float,
        clock: Callable[[], float],
        backoff: Callable[[int], float],
        on_result: Callable[[DeliveryResult], None] | None,
    ) -> None:
        self._outbox = outbox
        self._unrecorded = unrecorded
        self._max_age = max_age
        self._clock = clock
        self._backoff = backoff
        self._on_result = on_result

    def record(self, row: OutboxRow, target: Target, outcome: SendOutcome, *, sent_at: float) -> None:
        """Write a send's outcome; if the outbox refuses, keep it and write it later (never re-send now)."""
        try:
            self._settle(row, target, outcome)
        except Exception as exc:  # noqa: BLE001 - whatever failed, the row must not be sent again at once
            kept = self._unrecorded.keep(row, target, outcome, sent_at)
            log.error(
                "cannot record the delivery to %s (%s); trying again in %s, without sending it again",
                target, exc if isinstance(exc, DeliveryError) else repr(exc),
                format_duration(max(0.0, kept.retry_at - sent_at)),
                extra={"event": "unrecorded", "target": target.name, "rule": row.alert.rule},
            )
            return
        self._unrecorded.recorded(row.id)

    def record_again(self, kept: list[Unrecorded]) -> None:
        for entry in kept:
            self.record(entry.row, entry.target, entry.outcome, sent_at=self._clock())

    def _settle(self, row: OutboxRow, target: Target, outcome: SendOutcome) -> None:
        now = self._clock()
        attempt = row.attempts + 1
        title = row.alert.title
        if outcome.ok:
            self._outbox.mark_sent(row.id, now=now)
            log.info(
                "delivered %r to %s",
                title,
                target,
                extra={"event": "delivered", "target": target.name, "rule": row.alert.rule},
            )
            self.report(row, target, "sent", "", None, attempt)
            return
        # A row held back by a policy starts its max_age when it may first be sent.
        deadline = max(row.created_at, row.not_before or row.created_at) + self._max_age
        if now >= deadline:
            self.give_up(row, target, now, outcome.reason, attempted=True)
            return
        next_at = min(now + max(0.0, self._backoff(attempt)), deadline)
        self._outbox.mark_failed(row.id, now=now, next_at=next_at, reason=outcome.reason)
        log.warning(
            "delivery of %r to %s failed (attempt %d), retrying in %s: %s",
            title,
            target,
            attempt,
            format_duration(next_at - now),
            outcome.reason,
            extra={"event": "failed", "target": target.name, "rule": row.alert.rule},
        )
        self.report(row, target, "failed", outcome.reason, next_at, attempt)

    def give_up(self, row: OutboxRow, target: Target | None, now: float, reason: str, *, attempted: bool) -> None:
        self._outbox.mark_dead(row.id, now=now, reason=reason, attempted=attempted)
        attempts = row.attempts + int(attempted)
        log.error(
            "giving up on %r of rule %r for %s after %d attempt(s) over %s: %s",
            row.alert.title,
            row.alert.rule,
            target if target is not None else repr(row.target),
            attempts,
            format_duration(now - row.created_at),
            reason,
            extra={"event": "dead", "target": target.name if target else row.target, "rule": row.alert.rule},
        )
        self.report(row, target, "dead", reason, None, attempts)

    def report(
        self,
        row: OutboxRow,
        target: Target | None,
        outcome: Outcome,
        reason: str,
        next_at: float | None,
        attempt: int | None = None,
    ) -> None:
        if self._on_result is None:
            return
        result = DeliveryResult(
            target=target.name if target is not None else row.target,
            url=target.masked if target is not None else "",
            rule=row.alert.rule,
            key=row.alert.key,
            title=row.alert.title,
            outcome=outcome,
            reason=reason,
            attempt=row.attempts if attempt is None else attempt,
            next_at=next_at,
            row_id=row.id,
        )
        try:
            self._on_result(result)
        except Exception:  # noqa: BLE001 - a broken observer must not stop delivery
            log.exception("the delivery result callback failed")
