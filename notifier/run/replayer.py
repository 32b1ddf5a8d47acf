"""``notifier run --replay FILE``: a recording instead of the live stream, on its own clock.

The :class:`Replayer` reads a recording as ``notifier replay`` reads it and
feeds each event through the daemon's :class:`~notifier.run.pipeline.Pipeline`: a
line's ``ts`` is the event's time.

In a dry run delivery follows the recording's time as well, so quiet hours,
budgets and group_wait act as they would have on that day. The
:class:`ReplayClock` is that time; the daemon hands it to the deliverer as its
clock, and the replayer moves it forward, event by event, sending on the way
whatever came due, in time order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from ..exceptions import NotifierError
from .pipeline import Pipeline
from ..stream.recording import bounded_lines, no_messages, read_recorded

__all__ = ["DryRunDelivery", "ReplayClock", "Replayer"]

log = logging.getLogger(__name__)

# Replay yields to the event loop this often, so signals and /healthz are served.
_YIELD_EVERY = 200
# At most this many releases of what policies held back, between two events or at the end.
_RELEASES = 10_000


class ReplayClock:
    """The time a dry run of a recording has reached; the wall clock until it is set."""

    __slots__ = ("now",)

    def __init__(self) -> None:
        self.now: float | None = None

    def __call__(self) -> float:
        return self.now if self.now is not None else time.time()


class DryRunDelivery(Protocol):
    """What the replayer moves along in a dry run: the deliverer."""

    def wake(self) -> None: ...

    async def drain(self, timeout: float) -> bool: ...


class Replayer:
    """Feeds one recording through ``pipeline``; stops early when ``stopping()`` says so.

    ``delivery`` (a dry run only) is sent what comes due on ``clock`` as the
    recording's time passes, ``next_due`` telling when the outbox holds
    something next; without it delivery runs on the wall clock.
    """

    def __init__(
        self,
        path: Path,
        pipeline: Pipeline,
        *,
        stopping: Callable[[], bool],
        delivery: DryRunDelivery | None = None,
        next_due: Callable[[], float | None] = lambda: None,
        clock: ReplayClock | None = None,
        drain_timeout: float = 10.0,
    ) -> None:
        self._path = path
        self._pipeline = pipeline
        self._stopping = stopping
        self._delivery = delivery
        self._next_due = next_due
        self._clock = clock if clock is not None else ReplayClock()
        self._drain_timeout = drain_timeout
        self._held: float | None = None
        self.malformed = 0
        self.events = 0

    async def run(self) -> bool:
        """Replay the whole recording; False when stopped before its end."""
        path, delivery = self._path, self._delivery
        try:
            lines = path.open("r", encoding="utf-8", errors="replace")
        except OSError as exc:
            raise NotifierError(f"cannot read the recording {path}: {exc.strerror or exc}") from exc

        def skipped(number: int) -> None:
            self.malformed += 1
            log.debug("%s:%d: not a stream message, skipped", path, number)

        count = 0
        with lines:
            log.info("replaying %s", path, extra={"event": "replay"})
            for event in read_recorded(bounded_lines(lines, str(path)), on_skip=skipped):
                if self._stopping():
                    return False
                count += 1
                if count % _YIELD_EVERY == 0:
                    await asyncio.sleep(0)
                if delivery is not None:
                    await self._advance(event.ts)
                step = self._pipeline.handle(event.topic, event.payload, event.ts)
                if step.alerts and delivery is not None:
                    # Printed in the order they fired, each under its log line.
                    await self._send_due(event.ts)
            if delivery is not None:
                # What quiet hours, budgets and group_wait still hold goes out as it would have.
                await self._advance(None)
        self.events = count
        log.info(
            "replay finished: %d events, %d alerts, %d malformed lines",
            count, self._pipeline.alerts, self.malformed, extra={"event": "replay_done"},
        )
        return True

    def nothing_replayed(self) -> str | None:
        """After :meth:`run`: why the recording gave no event and what a line should be; None if it gave some."""
        return None if self.events else no_messages(str(self._path), self.malformed)

    async def _send_due(self, now: float) -> None:
        """Deliver what is due at ``now`` (the alerts just fired among them)."""
        self._clock.now = now
        await self._drain()

    async def _advance(self, until: float | None) -> None:
        """Move the clock to ``until`` (None: past everything held back), sending what comes
        due on the way, in time order."""
        for _ in range(_RELEASES):
            due = self._held
            if due is None or (until is not None and due > until):
                break
            self._clock.now = max(due, self._clock.now or due)
            await self._drain()
        if until is not None:
            self._clock.now = until

    async def _drain(self) -> None:
        delivery = self._delivery
        assert delivery is not None
        delivery.wake()
        await delivery.drain(self._drain_timeout)
        self._held = self._next_due()
