"""The Deliverer: sends what the outbox holds, concurrently, until every row is sent or dead.

``enqueue`` writes alerts to the outbox (durably, before it returns) and wakes
the scheduler. The scheduler, one asyncio task, picks due rows and starts one
task per (alert, target) send, within two bounds: ``max_in_flight`` sends in
all and ``per_target`` per target. A slow or failing target therefore only ever
occupies its own few slots; the others keep going. The blocking Apprise work of
each send runs on a thread of its target's own (:mod:`.lanes`), with a hard
deadline, so the event loop never waits for a network; a send that outlives
its deadline keeps its slot until its thread ends, so a target that drips its
replies delays only itself and is not sent to again in a burst.

A failed send is retried with exponential backoff (1 s doubling, capped at
5 min, with jitter) until ``max_age`` after the row could first be sent; the
row is then marked dead and an ERROR names the target (URL masked). Delivery is
at-least-once: a send that was under way when the process died, or that timed
out on our side but reached the service, is sent again. When the outcome of a
send cannot be written (the state file is full or unwritable) the row is not
sent again but its outcome kept and written later, with the same backoff (see
:mod:`.unrecorded`); :attr:`Deliverer.unwritable_since` says since when.

Before each round of sends, policies run over the due rows, all state kept
in the outbox so a restart changes nothing:

1. **Groups** (a rule's ``group_wait``): the messages of one conversation,
   held since the first arrived, fold into one alert ("5 new messages from …").
2. **Quiet hours** of a target hold its rows until the window ends (urgent
   alerts skip them); its **budget** holds rows beyond N sends in the sliding
   period until a send ages out. A digest counts as one send.
3. Rows that **waited** for either go out, when the target may be sent to
   again, as **one digest** with everything due for that target.

While the one mute (:meth:`Deliverer.set_mute`: a phone's button,
``notifier mute`` or Home Assistant's switch) holds everything or a rule,
every target holds those rows as in quiet hours, until the mute ends; a
changed mute judges them again at once, so what waited goes out as one
digest per target. Health alerts are never muted.

On ntfy targets each alert carries buttons (:mod:`.actions`): "Open", and,
when the rule file names a control topic, "Mute 1 h".

Steps 2 and 3 are decided by :func:`~notifier.delivery.plan.plan`, the same
function ``notifier replay --explain`` asks; this module only carries the
plan out on the outbox.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..alert import HEALTH_KIND, Alert
from ..control.mute import FOREVER, Mute
from ..durations import format_duration
from ..exceptions import DeliveryError
from ..times import format_time
from .actions import buttons_for
from .digest import DIGEST_KIND, digest_alert, group_alert
from .lanes import Lanes, Slot
from .outbox import Outbox, OutboxRow, OutboxWriteError
from .plan import Due, plan
from .policy import local_zone
from .render import texts_of
from .send import SendOutcome, retry_delay, send_once
from .tap import tap_of
from .targets import Target, TargetSet
from .unrecorded import Unrecorded, UnrecordedLedger

if TYPE_CHECKING:
    from ..control.link import ControlLink

__all__ = ["DeliveryResult", "Deliverer", "Outcome"]

log = logging.getLogger(__name__)
# Holding, grouping and digests: a logger of their own, so a dry run can show
# them while it hides the routine "delivered" lines.
policy_log = logging.getLogger("notifier.delivery.policy")
# Why a row waited (the outbox's held column), as the log line that lets it go names it.
_WAITED_FOR = {
    "quiet": "quiet hours of {target} over at {when}",
    "budget": "the budget of {target} allows more at {when}",
    "muted": "notifications unmuted at {when}",
}

Outcome = Literal["sent", "failed", "dead"]

# The scheduler looks at the outbox at least this often, so a clock that jumps
# (or a row written by another connection) is noticed without a wake-up.
_MAX_IDLE = 1.0
# Never spin: even when something is due "now", wait at least this long.
_MIN_IDLE = 0.01
_PURGE_EVERY = 3600.0
# notifier's own alerts, and its answer to ``status``: never held by a mute, a quiet hour or a budget.
_NEVER_MUTED = frozenset({HEALTH_KIND, "status"})


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
        self._max_age = max_age
        self._max_in_flight = max_in_flight
        self._per_target = per_target
        self._clock = clock
        self._backoff = backoff
        self._send_timeout = send_timeout
        self._on_result = on_result
        self._keep = keep
        self._mute = mute if mute is not None else Mute(FOREVER) if muted else Mute()
        self._control = control
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._unrecorded = UnrecordedLedger(backoff)
        self._active: Counter[str] = Counter()
        self._lanes = Lanes(per_target, on_free=self.wake)
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduler: asyncio.Task[None] | None = None
        self._purged_at = float("-inf")

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
        self._record_again(self._unrecorded.all())

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

    def enqueue(self, alerts: Iterable[Alert]) -> None:
        """Write each alert to the outbox, one row per target, then wake the senders.

        Synchronous and durable: when it returns, the alerts survive any crash.
        A name that matches no target is stored as a dead row and logged as an
        ERROR. Raises DeliveryError only if the outbox cannot be written.
        """
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
            try:
                rows = self._outbox.add(alert, keys, now=self._clock(), dead=dead, group_wait=group_wait)
            except OutboxWriteError:
                self._unrecorded.write_failed()
                raise
            self._unrecorded.write_worked()
            for row in rows:
                if row.state == "dead":
                    log.error(
                        "cannot deliver %r of rule %r: %s",
                        alert.title,
                        alert.rule,
                        row.last_error,
                        extra={"event": "dead", "target": row.target},
                    )
                    self._report(row, None, "dead", row.last_error or "", None)
        self.wake()

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
                self._record_again(self._unrecorded.due(now))
                self._purge(now)
                self._fold_groups(now)
                self._apply_policies(now)
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
                self._give_up(row, None, now, f"no target {row.target!r} is configured any more", attempted=False)
                continue
            slot = self._lanes.take(row.target)
            if slot is None:
                continue
            self._active[row.target] += 1
            task = asyncio.create_task(self._deliver(row, target, slot), name=f"notifier-send-{row.id}")
            self._in_flight[row.id] = task
            # _deliver calls _finished itself; this covers a task cancelled before it ran.
            task.add_done_callback(lambda done, row=row: self._finished(row, done))
            free -= 1

    # -- policies --------------------------------------------------------------------------

    def _fold_groups(self, now: float) -> None:
        """Groups whose group_wait is over become one alert each (one message stays itself)."""
        rows = self._outbox.due_held("group", now, exclude=self._busy())
        groups: dict[tuple[str, str, str], list[OutboxRow]] = {}
        for row in rows:
            groups.setdefault((row.alert.rule, row.alert.key, row.target), []).append(row)
        for (rule, key, target_key), members in groups.items():
            if len(members) == 1:
                self._outbox.release([members[0].id], now=now)
                continue
            target = self._targets.get(target_key)
            zone = target.policy.zone if target is not None else local_zone()
            grouped = group_alert([row.alert for row in members], zone=zone)
            self._outbox.fold([row.id for row in members], grouped, target_key, now=now)
            policy_log.info(
                "grouped %d messages of rule %r in conversation %s into one alert for %s",
                len(members), rule, key, target or target_key,
                extra={"event": "grouped", "rule": rule, "target": target_key, "count": len(members)},
            )

    def _apply_policies(self, now: float) -> None:
        """Hold or fold the due rows of targets with quiet hours or a budget, or rows that waited."""
        busy = self._busy()
        due = self._outbox.due_targets(now, exclude=busy)
        if not due:
            return
        # Rows that waited fold into a digest even if a reload took the policy away since.
        waited = self._outbox.due_targets(now, exclude=busy, waited=True)
        muting = self._mute.active(now)
        for target in self._targets:
            if target.key in due and (muting or target.policy.active or target.key in waited):
                self._police(target, self._outbox.due_for(target.key, now, exclude=busy), now)

    def _police(self, target: Target, rows: list[OutboxRow], now: float) -> None:
        """Hold, fold or let go one target's due rows (earliest first) under its policy."""
        policy = target.policy
        sent: list[float] = []
        if policy.budget is not None:
            # A send under way counts as sent now: it will be, or it will be retried.
            sent = self._outbox.sent_times(target.key, since=now - policy.budget.per)
            sent += [now] * self._active[target.key]
            sent += self._unrecorded.sent_times(target.key)
        due = [
            Due(row.alert.urgent, row.waited, row.alert.kind in _NEVER_MUTED, self._mute_ends(row.alert, now))
            for row in rows
        ]
        decided = plan(policy, due, sent, now)
        for hold in decided.holds:
            held = [rows[index] for index in hold.items]
            self._outbox.hold([row.id for row in held], not_before=hold.until, now=now, reason=hold.reason)
            why = {"quiet": "quiet hours", "muted": "notifications muted"}.get(hold.reason, f"budget {policy.budget}")
            self._log_hold(target, held, hold.until, why)
        if decided.digest:
            self._send_digest(target, [rows[index] for index in decided.digest], now)
        # The rows to send as themselves stay pending: _dispatch sends them. One that waited
        # says so: else its copy shows up after its "holding … until" line with no word of why.
        kept = {index for hold in decided.holds for index in hold.items} | set(decided.digest)
        for index, row in enumerate(rows):
            if index not in kept and row.held in _WAITED_FOR:
                why = _WAITED_FOR[row.held].format(target=target, when=format_time(now, policy.zone))
                policy_log.info(
                    "%s: %r, held until now, goes out", why, row.alert.title,
                    extra={"event": "released", "target": target.name, "rule": row.alert.rule},
                )

    def _mute_ends(self, alert: Alert, now: float) -> float | None:
        """When the mute holding ``alert`` ends: the later of everything's and its rules'."""
        ends = [end for end in (self._mute.ends_for(rule, now) for rule in alert.rules or (alert.rule,)) if end]
        return max(ends) if ends else None

    def _send_digest(self, target: Target, rows: list[OutboxRow], now: float) -> None:
        """Fold everything due for ``target`` into one digest row (earlier digests are opened up)."""
        alerts: list[Alert] = []
        for row in rows:
            if row.alert.kind == DIGEST_KIND:
                alerts += [child.alert for child in self._folded_alerts(row.id)]
            else:
                alerts.append(row.alert)
        budget = target.policy.budget
        if any(row.held == "muted" for row in rows):
            reason = "while notifications were muted"
        elif any(row.held == "quiet" for row in rows):
            reason = "during quiet hours"
        else:
            reason = f"over the budget of {budget}" if budget is not None else "over the budget"
        digest = digest_alert(alerts, target=target.name, reason=reason, now=now, zone=target.policy.zone)
        folded = self._outbox.fold([row.id for row in rows], digest, target.key, now=now)
        policy_log.info(
            "%d alerts that waited for %s go out as one digest", len(alerts), target,
            extra={"event": "digest", "target": target.name, "count": len(alerts), "row": folded.id},
        )

    def _folded_alerts(self, row_id: int) -> list[OutboxRow]:
        found: list[OutboxRow] = []
        for child in self._outbox.folded_into(row_id):
            found += self._folded_alerts(child.id) if child.alert.kind == DIGEST_KIND else [child]
        return found

    def _log_hold(self, target: Target, rows: list[OutboxRow], until: float, why: str) -> None:
        when = format_time(until, target.policy.zone)
        for row in rows:
            if row.held is None:  # once per row, not on every look
                policy_log.info(
                    "holding %r for %s until %s (%s)", row.alert.title, target, when, why,
                    extra={"event": "held", "target": target.name, "rule": row.alert.rule, "until": until},
                )

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

    async def _deliver(self, row: OutboxRow, target: Target, slot: Slot) -> None:
        try:
            await self._send_and_settle(row, target, slot)
        finally:
            slot.release()  # a no-op when a thread took the slot: it frees it when it ends
            # In the same step as the outcome is recorded, with no await between:
            # a budget counts a send under way as sent, so the scheduler must
            # never see a row both recorded as sent and still under way (it
            # would count it twice and hold the next alert for a whole period).
            self._finished(row, asyncio.current_task())

    async def _send_and_settle(self, row: OutboxRow, target: Target, slot: Slot) -> None:
        alert = row.alert
        # Values from X stay marked up to the send, which escapes them per service (.render).
        title, body = texts_of(alert)
        try:
            outcome = await send_once(
                target.url,
                title=title,
                body=body,
                notify_type=alert.notify_type,
                timeout=self._send_timeout,
                # A console prints the alert's own time, as `notifier replay` does, not
                # when group_wait, quiet hours or a retry let it out.
                now=alert.ts,
                slot=slot,
                tap=tap_of(alert),
                buttons=buttons_for(alert, self._control),
                charts=alert.charts if target.chart else (),
            )
        except Exception as exc:  # noqa: BLE001 - send_once should not raise; never lose the row
            log.exception("sending to %s raised", target)
            outcome = SendOutcome(False, f"internal error: {type(exc).__name__}", "FAILURE")
        self._record(row, target, outcome, sent_at=self._clock())

    def _record(self, row: OutboxRow, target: Target, outcome: SendOutcome, *, sent_at: float) -> None:
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

    def _record_again(self, kept: list[Unrecorded]) -> None:
        for entry in kept:
            self._record(entry.row, entry.target, entry.outcome, sent_at=self._clock())

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
            self._report(row, target, "sent", "", None, attempt)
            return
        # A row held back by a policy starts its max_age when it may first be sent.
        deadline = max(row.created_at, row.not_before or row.created_at) + self._max_age
        if now >= deadline:
            self._give_up(row, target, now, outcome.reason, attempted=True)
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
        self._report(row, target, "failed", outcome.reason, next_at, attempt)

    def _give_up(self, row: OutboxRow, target: Target | None, now: float, reason: str, *, attempted: bool) -> None:
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
        self._report(row, target, "dead", reason, None, attempts)

    def _report(
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
