"""Outcomes of sends that the outbox could not record, kept until it can.

After each send the outbox records what happened: sent, or failed and when to
try again. When that write fails (disk full, file not writable, locked) the row
is still pending on disk, so the scheduler would pick it up at once and send it
again, and again: one alert once became some 1,500 POSTs in ten seconds. So the
outcome is kept here instead, the row is not sent while it waits, and writing it
is tried again after the delivery backoff, like a failed send. Only a crash
before the write succeeds sends the alert again: the outbox's at-least-once
promise, one extra copy at most.

The ledger also remembers since when the outbox has been unwritable, so the
daemon can say so and stop rather than carry on without a memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .outbox_rows import OutboxRow
from .outcome import SendOutcome
from .targets import Target

__all__ = ["Unrecorded", "UnrecordedLedger"]


@dataclass(frozen=True, slots=True)
class Unrecorded:
    """One send whose outcome is not on disk yet; ``tries`` failed writes so far."""

    row: OutboxRow
    target: Target
    outcome: SendOutcome
    sent_at: float
    tries: int
    retry_at: float


class UnrecordedLedger:
    """The unrecorded outcomes of one deliverer, and since when writing has failed.

    ``backoff(tries) -> seconds`` is the wait before writing again after the
    tries-th failed write; ``monotonic`` dates :attr:`unwritable_since`.
    """

    def __init__(
        self, backoff: Callable[[int], float], *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._backoff = backoff
        self._monotonic = monotonic
        self._entries: dict[int, Unrecorded] = {}
        self._unwritable_since: float | None = None

    def __repr__(self) -> str:
        return f"UnrecordedLedger(rows={len(self._entries)}, unwritable_since={self._unwritable_since})"

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def unwritable_since(self) -> float | None:
        """``monotonic()`` when the outbox was first found unwritable, None while writes work."""
        return self._unwritable_since

    def ids(self) -> tuple[int, ...]:
        """Rows that must not be sent: their outcome is waiting to be written."""
        return tuple(self._entries)

    def keep(self, row: OutboxRow, target: Target, outcome: SendOutcome, now: float) -> Unrecorded:
        """Writing ``row``'s outcome failed (again): keep it and try again after the backoff."""
        previous = self._entries.get(row.id)
        tries = previous.tries + 1 if previous is not None else 1
        sent_at = previous.sent_at if previous is not None else now
        entry = Unrecorded(row, target, outcome, sent_at, tries, now + max(0.0, self._backoff(tries)))
        self._entries[row.id] = entry
        self.write_failed()
        return entry

    def due(self, now: float) -> list[Unrecorded]:
        """The outcomes whose next write is due, oldest first."""
        return sorted(
            (entry for entry in self._entries.values() if entry.retry_at <= now), key=lambda entry: entry.sent_at
        )

    def all(self) -> list[Unrecorded]:
        """Every outcome still unwritten (a last try before stopping)."""
        return sorted(self._entries.values(), key=lambda entry: entry.sent_at)

    def next_at(self) -> float | None:
        """When the next write is due, if any is kept."""
        return min((entry.retry_at for entry in self._entries.values()), default=None)

    def recorded(self, row_id: int) -> None:
        """The outcome of ``row_id`` is on disk now."""
        self._entries.pop(row_id, None)
        self.write_worked()

    def sent_times(self, target: str) -> list[float]:
        """When the kept sends that succeeded were made to ``target`` (a budget counts them)."""
        return [e.sent_at for e in self._entries.values() if e.target.key == target and e.outcome.ok]

    def write_failed(self) -> None:
        """A write to the outbox failed."""
        if self._unwritable_since is None:
            self._unwritable_since = self._monotonic()

    def write_worked(self) -> None:
        """A write to the outbox worked: unwritable no more, once nothing waits to be written."""
        if not self._entries:
            self._unwritable_since = None
