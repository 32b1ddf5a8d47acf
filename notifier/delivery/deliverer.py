"""The Deliverer: sends what the outbox holds, concurrently, until every row is sent or dead.

``enqueue`` writes alerts to the outbox (durably, before it returns) and wakes
the scheduler; a row the scheduler would send as it is starts at once instead
(:mod:`.straight`). The scheduler, one asyncio task, picks due rows and starts one
task per (alert, target) send, within two bounds: ``max_in_flight`` sends in
all and ``per_target`` per target. A slow or failing target therefore only ever
occupies its own few slots; the others keep going. The blocking Apprise work of
each send runs on a thread of its target's own (:mod:`.lanes`), with a hard
deadline, so the event loop never waits for a network; a send that outlives
its deadline keeps its slot until its thread ends, so a target that drips its
replies delays only itself and is not sent to again in a burst.

A failed send is retried from the outbox with backoff until ``max_age``,
then marked dead (:mod:`.settle`); delivery is at-least-once: a send that was
under way when the process died, or that timed out on our side but reached
the service, is sent again. Before each round of sends, groups fold and a
target's quiet hours, budget and the one mute hold or digest its due rows
(:mod:`.holding`). On ntfy targets each alert carries buttons
(:mod:`.actions`): "Open", and, when the rule file names a control topic,
"Mute 1 h".
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from functools import partial
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

from ..alert import Alert, Chart
from ..control.mute import FOREVER, Mute
from ..exceptions import DeliveryError
from . import console
from .attach import predraw_all
from .holding import apply_policies, fold_groups
from .lanes import Lanes, Slot
from .outbox import NewAlert, Outbox, OutboxWriteError
from .outbox_rows import OutboxRow
from .send import SendOutcome, retry_delay, send_alert
from .settle import DeliveryResult, Settler
from .straight import clear_way, close_unawaited
from .targets import Target, TargetSet
from .unrecorded import UnrecordedLedger

if TYPE_CHECKING:
    from ..control.link import ControlLink
    from ..state import Changes

__all__ = ["Deliverer"]

log = logging.getLogger(__name__)

# The scheduler looks at the outbox at least this often, so a clock that jumps
# (or a row written by another connection) is noticed without a wake-up.
_MAX_IDLE = 1.0
# Never spin: even when something is due "now", wait at least this long.
_MIN_IDLE = 0.01
_PURGE_EVERY = 3600.0


class Deliverer:
    """Delivers the outbox's rows to their targets through Apprise.

    ``clock`` gives epoch seconds for the outbox's times (inject a fake one in
    tests), ``backoff(attempt) -> seconds`` the wait after the attempt-th
    failure, ``send_timeout`` the longest one send may take, ``on_result`` is
    called on the event loop with each :class:`DeliveryResult`, and sent or dead
    rows are deleted ``keep`` seconds after they settled. What a rule asks of
    delivery (``urgent``, ``group_wait``) travels on its alerts.

    ``per_target`` is small on purpose: each is a thread, and a target that
    hangs or drips holds its threads until its socket gives up.
    """

    def __init__(
        self,
        outbox: Outbox,
        targets: TargetSet,
        *,
        max_age: float = 86400.0,
        max_in_flight: int = 16,
        per_target: int = 2,
        clock: Callable[[], float] = time.time,
        backoff: Callable[[int], float] = retry_delay,
        send_timeout: float = 30.0,
        on_result: Callable[[DeliveryResult], None] | None = None,
        keep: float = 7 * 86400.0,
        muted: bool = False,
        mute: Mute | None = None,
        control: ControlLink | None = None,
    ) -> None:
        if max_in_flight < 1 or per_target < 1:
            raise ValueError("max_in_flight and per_target must be at least 1")
        if max_age <= 0 or send_timeout <= 0:
            raise ValueError("max_age and send_timeout must be positive numbers of seconds")
        self._outbox = outbox
        self._targets = targets
        self._max_in_flight = max_in_flight
        self._per_target = per_target
        self._clock = clock
        self._send_timeout = send_timeout
        self._keep = keep
        self._mute = mute if mute is not None else Mute(FOREVER) if muted else Mute()
        self._control = control
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._unrecorded = UnrecordedLedger(backoff)
        self._settler = Settler(
            outbox, self._unrecorded, max_age=max_age, clock=clock, backoff=backoff, on_result=on_result
        )
        self._active: Counter[str] = Counter()
        self._lanes = Lanes(per_target, on_free=self.wake)
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduler: asyncio.Task[None] | None = None
        self._purged_at = float("-inf")
        # True: a row that is due the moment it is written, with nothing in its way,
        # starts its send from enqueue instead of waiting for the scheduler's round
        # (0.3 ms of every alert, issue 26). False: the scheduler sends every row (the
        # tests' plain path, which the straight one must match).
        self.straight = True

    def __repr__(self) -> str:
        return (
            f"Deliverer({self._outbox!r}, {self._targets!r}, in_flight={len(self._in_flight)}, "
            f"max_in_flight={self._max_in_flight}, per_target={self._per_target})"
        )

    @property
    def outbox(self) -> Outbox:
        """The outbox this deliverer sends from."""
        return self._outbox

    @property
    def in_flight(self) -> int:
        """How many sends are under way."""
        return len(self._in_flight)

    @property
    def targets(self) -> TargetSet:
        return self._targets

    @property
    def unwritable_since(self) -> float | None:
        """``time.monotonic()`` since when the outbox cannot be written; None while it can.

        Set by a failed write (an outcome after a send, or the scheduler's
        holds and folds); cleared once a write works and no outcome waits.
        """
        return self._unrecorded.unwritable_since

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start sending; rows left pending by an earlier run (even a killed one) go first."""
        if self._scheduler is not None:
            return
        self._loop = asyncio.get_running_loop()
        # A fresh event: an asyncio.Event belongs to the loop it was first awaited on.
        self._wake = asyncio.Event()
        pending = self._outbox.depth()
        if pending:
            log.info("resuming delivery of %d pending notification(s)", pending)
            # What quiet hours or a budget held back is judged again under the policies
            # as they are now: the rule file may have changed while we were stopped.
            self._outbox.recheck([target.key for target in self._targets], now=self._clock())
        self._scheduler = asyncio.create_task(self._run(), name="notifier-delivery")

    async def aclose(self, grace: float = 5.0) -> None:
        """Stop: sends under way get ``grace`` seconds to finish; the rest stay pending."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.cancel()
            await asyncio.gather(scheduler, return_exceptions=True)
        tasks = list(self._in_flight.values())
        if tasks:
            _, unfinished = await asyncio.wait(tasks, timeout=grace)
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        # One last try: an outcome not written now is sent again by the next start.
        self._settler.record_again(self._unrecorded.all())

    async def __aenter__(self) -> Deliverer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def replace_targets(self, targets: TargetSet) -> None:
        """Use a new TargetSet (rule file reloaded); rows whose target is gone die.

        Rows held back by a target whose policy changed are judged again now.
        """
        old = {target.key: target.policy for target in self._targets}
        self._targets = targets
        changed = [t.key for t in targets if t.key in old and old[t.key] != t.policy]
        if changed:
            self._outbox.recheck(changed, now=self._clock())
        self.wake()

    @property
    def muted(self) -> bool:
        """Whether everything is muted now: every target holds its alerts as in quiet hours."""
        return self._mute.everything(self._clock())

    @property
    def mute(self) -> Mute:
        return self._mute

    def set_muted(self, muted: bool) -> None:
        """Mute everything until unmuted, or unmute; unmuting lets what waited go out (as one digest per target)."""
        self.set_mute(Mute(FOREVER) if muted else Mute())

    def set_mute(self, mute: Mute) -> None:
        """Hold what ``mute`` mutes from now on; what it no longer mutes is judged again at once."""
        if mute == self._mute:
            return
        self._mute = mute
        # Held rows come due now and meet the new mute: still muted, they wait again
        # (until its new end); no longer muted, they go out as one digest per target.
        self._outbox.recheck([target.key for target in self._targets], now=self._clock())
        self.wake()

    def set_control(self, control: ControlLink | None) -> None:
        """The control topic the mute buttons publish to (the rule file was reloaded)."""
        self._control = control

    # -- intake ----------------------------------------------------------------------------

    def enqueue(self, alerts: Iterable[Alert], state: Changes | None = None) -> None:
        """Write the alerts to the outbox, one row per target, then wake the senders.

        Synchronous and durable: when it returns, the alerts survive any crash.
        ``state``, the rule engine's changes that fired them, commits in the
        same transaction (see :meth:`Outbox.add_all`). A name that matches no
        target is stored as a dead row and logged as an ERROR. Raises
        DeliveryError only if the outbox cannot be written.
        """
        new: list[NewAlert] = []
        pictured: list[tuple[Chart, ...]] = []  # charts a send will attach as a PNG
        for alert in alerts:
            keys: list[str] = []
            dead: dict[str, str] = {}
            for name in alert.targets:
                try:
                    keys += [target.key for target in self._targets.resolve(name)]
                except DeliveryError as exc:
                    dead[name] = str(exc)
            if not keys and not dead:
                log.warning("alert %r of rule %r names no target; nothing to send", alert.title, alert.rule)
                continue
            group_wait = alert.group_wait if alert.kind == "message" else 0.0
            if alert.charts and any(_pictured(self._targets.get(key)) for key in keys):
                pictured.append(alert.charts)
            new.append(NewAlert(alert, tuple(keys), dead, group_wait))
        if not new and state is None:
            return
        try:
            # The PNGs are drawn on the chart thread while the commit waits for the disk
            # (see .attach). Started earlier, the drawing takes the GIL from the rows'
            # writing: 0.35 ms more on every alert with a chart (issue 26).
            stored = self._outbox.add_all(
                new, now=self._clock(), state=state, before_commit=partial(predraw_all, pictured) if pictured else None,
            )
        except OutboxWriteError:
            self._unrecorded.write_failed()
            raise
        self._unrecorded.write_worked()
        waiting = 0  # rows written that only the scheduler sends
        for added, rows in zip(new, stored):
            waiting += self._send_straight(rows)
            for row in rows:
                if row.state == "dead":
                    log.error(
                        "cannot deliver %r of rule %r: %s",
                        added.alert.title,
                        added.alert.rule,
                        row.last_error,
                        extra={"event": "dead", "target": row.target},
                    )
                    self._settler.report(row, None, "dead", row.last_error or "", None)
        if waiting:
            self.wake()

    def _send_straight(self, rows: list[OutboxRow]) -> int:
        """Start the sends of fresh rows the scheduler's round would send as they are (:mod:`.straight`); count the rest."""
        pending = [row for row in rows if row.state == "pending"]
        if not self.straight or self._scheduler is None or self._loop is not _running_loop():
            return len(pending)
        now = self._clock()
        waiting = 0
        for row in pending:
            target = self._targets.get(row.target)
            slot = None
            if len(self._in_flight) < self._max_in_flight and clear_way(
                row, target, now, mute=self._mute, outbox=self._outbox, busy=self._busy()
            ):
                slot = self._lanes.take(row.target)
            if slot is None or target is None:
                waiting += 1
                continue
            self._start(row, target, slot)
        return waiting

    def wake(self) -> None:
        """Look at the outbox now (after enqueueing, or after moving a fake clock)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    async def drain(self, timeout: float) -> bool:
        """Wait until no send is under way and no row is due; False if ``timeout`` passed first.

        Rows waiting for a later retry do not count: drain is for "everything
        that could be sent has been tried".
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if not self._in_flight and self._outbox.count_due(self._clock()) == 0:
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            if self._scheduler is None:
                # Nobody will send: waiting longer cannot change the answer.
                return False
            await asyncio.sleep(min(remaining, 0.02))

    # -- scheduling ------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            now = self._clock()
            try:
                self._settler.record_again(self._unrecorded.due(now))
                self._purge(now)
                busy = self._busy()
                fold_groups(self._outbox, self._targets, now, busy=busy)
                apply_policies(
                    self._outbox,
                    self._targets,
                    self._mute,
                    now,
                    busy=busy,
                    active=self._active,
                    unrecorded=self._unrecorded,
                )
                self._dispatch(now)
                self._unrecorded.write_worked()
                idle = self._idle(now)
            except DeliveryError as exc:
                if isinstance(exc, OutboxWriteError):
                    self._unrecorded.write_failed()
                log.error("delivery paused: %s", exc)
                idle = _MAX_IDLE
            except Exception:  # noqa: BLE001 - the scheduler must outlive any one bad round
                log.exception("delivery scheduler failed; trying again shortly")
                idle = _MAX_IDLE
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a
            # cancellation that arrives as the wake-up event is set, and aclose()
            # then waits for this loop forever.
            try:
                async with asyncio.timeout(idle):
                    await self._wake.wait()
            except TimeoutError:
                pass

    def _dispatch(self, now: float) -> None:
        free = self._max_in_flight - len(self._in_flight)
        if free <= 0:
            return
        rows = self._outbox.due(
            now,
            per_target=self._per_target,
            exclude=self._busy(),
            exclude_targets=self._saturated(),
        )
        for row in rows:
            if free <= 0:
                break
            target = self._targets.get(row.target)
            if target is None:
                self._settler.give_up(row, None, now, f"no target {row.target!r} is configured any more", attempted=False)
                continue
            slot = self._lanes.take(row.target)
            if slot is None:
                continue
            self._start(row, target, slot)
            free -= 1

    def _start(self, row: OutboxRow, target: Target, slot: Slot) -> None:
        self._active[row.target] += 1
        # The send is handed to its thread now, not when the task first runs: a row sent
        # straight from enqueue is on its way while the rules' state is saved.
        sending = send_alert(row.alert, target, slot=slot, timeout=self._send_timeout, control=self._control)
        task = asyncio.create_task(self._deliver(row, target, slot, sending), name=f"notifier-send-{row.id}")
        self._in_flight[row.id] = task
        # _deliver calls _finished itself; this covers a task cancelled before it ran
        # (whose send, already handed to its thread, is then never awaited).
        task.add_done_callback(lambda done, row=row: (self._finished(row, done), close_unawaited(sending)))

    def _idle(self, now: float) -> float:
        if len(self._in_flight) >= self._max_in_flight:
            return _MAX_IDLE  # a finishing send wakes us
        due = self._outbox.next_due(exclude=self._busy(), exclude_targets=self._saturated())
        retry = self._unrecorded.next_at()
        due = retry if due is None else due if retry is None else min(due, retry)
        if due is None:
            return _MAX_IDLE
        return min(_MAX_IDLE, max(_MIN_IDLE, due - now))

    def _busy(self) -> tuple[int, ...]:
        """Rows not to touch: under way, or sent with an outcome waiting to be written."""
        return (*self._in_flight, *self._unrecorded.ids())

    def _saturated(self) -> tuple[str, ...]:
        # Slots are taken at dispatch and held by threads that outlive their send.
        return self._lanes.saturated()

    def _finished(self, row: OutboxRow, task: asyncio.Task[None] | None) -> None:
        # Only the send that is under way for the row may end it: a done callback runs a
        # loop step after its task, when the row may already be under way again (its
        # retry), and ending that one would let the scheduler send the row twice.
        if task is None or self._in_flight.get(row.id) is not task:
            return  # already done, or another send's
        del self._in_flight[row.id]
        self._active[row.target] -= 1
        if self._active[row.target] <= 0:
            del self._active[row.target]
        self._wake.set()

    def _purge(self, now: float) -> None:
        if time.monotonic() - self._purged_at < _PURGE_EVERY:
            return
        self._purged_at = time.monotonic()
        removed = self._outbox.purge(before=now - self._keep)
        if removed:
            log.debug("removed %d settled outbox row(s)", removed)

    # -- one send --------------------------------------------------------------------------

    async def _deliver(
        self, row: OutboxRow, target: Target, slot: Slot, sending: Awaitable[SendOutcome] | SendOutcome
    ) -> None:
        try:
            await self._settle(row, target, sending)
        finally:
            slot.release()  # a no-op when a thread took the slot: it frees it when it ends
            # In the same step as the outcome is recorded, with no await between:
            # a budget counts a send under way as sent, so the scheduler must
            # never see a row both recorded as sent and still under way (it
            # would count it twice and hold the next alert for a whole period).
            self._finished(row, asyncio.current_task())

    async def _settle(self, row: OutboxRow, target: Target, sending: Awaitable[SendOutcome] | SendOutcome) -> None:
        try:
            outcome = sending if isinstance(sending, SendOutcome) else await sending
        except Exception as exc:  # noqa: BLE001 - send_once should not raise; never lose the row
            log.exception("sending to %s raised", target)
            outcome = SendOutcome(False, f"internal error: {type(exc).__name__}", "FAILURE")
        self._settler.record(row, target, outcome, sent_at=self._clock())


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _pictured(target: Target | None) -> bool:
    # A console prints neither a PNG nor a sparkline.
    return target is not None and target.chart and console.label_of(target.url) is None
