"""Runs the :class:`~notifier.run.health.HealthMonitor` for a live ``notifier run``.

Once a second (or at once when woken) it tells the monitor what the stream
and account watching look like, sends each change as an urgent alert through
the outbox to the health block's targets, logs it, and sets the
``notifier_health_condition`` gauges. While healthy it pings the health
block's ``ping`` URL every few minutes, so a dead-man's switch outside
notices when notifier (or its host) dies, even by SIGKILL.

When X rejects the cookies the daemon asks :meth:`HealthWatch.cookies_rejected`
to send that alert and wait, a few seconds at most, for it to be delivered
before it exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..exceptions import NotifierError, StateError
from .health import CONDITIONS, HEALTH_RULE, Change, HealthMonitor, health_alert
from ..logs import MASK, add_secrets, secret_filter
from ..rulefile.model import HealthSpec

if TYPE_CHECKING:
    from ..alert import Alert
    from ..delivery import DeliveryResult
    from .metrics import Metrics

__all__ = ["HealthWatch"]

log = logging.getLogger(__name__)

# How often conditions are looked at without a wake-up: the resolution of stream_down.
_TICK = 1.0
# A state file unwritable this long (seconds) stops the run: every decision it cannot
# save would be made again, or lost, after a restart.
UNWRITABLE_LIMIT = 60.0
# A ping that takes longer than this is abandoned; the next one is due minutes later anyway.
_PING_TIMEOUT = 10.0


class HealthWatch:
    """Looks at the run's health, says what changes, and pings while all is well.

    ``stream_up`` says whether the stream is connected (None: no stream is
    wanted); ``account_failing`` since when and why account watching fails
    (None: it works); ``unwritable_since`` since when (``time.monotonic()``)
    the deliverer could not write the state file (None: it can); ``enqueue``
    writes alerts to the outbox.
    """

    def __init__(
        self,
        spec: HealthSpec,
        *,
        metrics: Metrics,
        enqueue: Callable[[Iterable[Alert]], None],
        stream_up: Callable[[], bool | None] = lambda: None,
        account_failing: Callable[[], tuple[float, str] | None] = lambda: None,
        unwritable_since: Callable[[], float | None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._unwritable_since = unwritable_since
        self.monitor = HealthMonitor(spec)
        self._metrics = metrics
        self._enqueue = enqueue
        self._stream_up = stream_up
        self._account_failing = account_failing
        self._clock = clock
        self._wake = asyncio.Event()
        self._fatal_sent = asyncio.Event()
        self._ping: asyncio.Task[None] | None = None
        self._ping_failing = False
        for condition in CONDITIONS:
            metrics.health.labels(condition).set(0)
        self.configure(spec)

    def configure(self, spec: HealthSpec) -> None:
        """Use a reloaded rule file's health block."""
        if spec.ping is not None:
            _hide(spec.ping)
        self.monitor.configure(spec)

    def active(self) -> dict[str, str]:
        """The active conditions and what was seen, for ``/healthz``."""
        return dict(self.monitor.active())

    # ------------------------------------------------------------ reporting in

    def on_delivery(self, result: DeliveryResult) -> None:
        """Every delivery's outcome: a dead one is a condition, and a fatal alert's send ends a wait."""
        self.monitor.delivery(self._clock(), result.target, result.outcome, result.reason)
        if result.rule == HEALTH_RULE and result.key == "cookies_rejected" and result.outcome == "sent":
            self._fatal_sent.set()
        if result.outcome == "dead":
            self._wake.set()

    def state_unwritable(self, unwritable: bool, detail: str = "") -> None:
        """The state file could not be written (True), or could again (False); for the deliverer."""
        self.monitor.state_unwritable(self._clock(), unwritable, detail)
        self._wake.set()

    async def cookies_rejected(self, detail: str, timeout: float = 5.0) -> None:
        """Send the "cookies rejected" alert and wait until it is delivered, ``timeout`` at most."""
        self.monitor.cookies_rejected(self._clock(), detail)
        self.check()
        if not self.monitor.notifies("cookies_rejected"):
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._fatal_sent.wait()
        if not self._fatal_sent.is_set():
            log.warning(
                "the alert about the rejected cookies was not delivered within %.0f s; it stays in the outbox",
                timeout, extra={"event": "health_undelivered"},
            )

    # ---------------------------------------------------------------- the loop

    async def run(self) -> None:
        """Check every second (sooner when woken) until cancelled."""
        try:
            while True:
                self.check()
                since = self._unwritable_since()
                if since is not None and time.monotonic() - since >= UNWRITABLE_LIMIT:
                    raise StateError(
                        f"the state file has not been writable for {UNWRITABLE_LIMIT:.0f} s (a full disk? "
                        "permissions?): stopping; free space or fix its permissions, then start notifier again"
                    )
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(_TICK):
                        await self._wake.wait()
        finally:
            if self._ping is not None:
                self._ping.cancel()
                await asyncio.gather(self._ping, return_exceptions=True)

    def check(self) -> list[Change]:
        """Look now: observe, then send, log and show what changed."""
        monitor = self.monitor
        now = self._clock()
        monitor.stream(now, self._stream_up())
        monitor.account(now, self._account_failing())
        unwritable = self._unwritable_since() is not None
        if unwritable or "state_unwritable" in monitor.active():
            monitor.state_unwritable(now, unwritable)
        changes = monitor.check(now)
        for change in changes:
            self._tell(change)
        for condition in CONDITIONS:
            self._metrics.health.labels(condition).set(1 if condition in monitor.active() else 0)
        if monitor.ping_due(now) and (self._ping is None or self._ping.done()):
            monitor.pinged(now)
            assert monitor.spec.ping is not None
            self._ping = asyncio.create_task(self._send_ping(monitor.spec.ping), name="notifier-health-ping")
        return changes

    def _tell(self, change: Change) -> None:
        if change.active:
            log.warning("health: %s: %s", change.condition, change.detail,
                        extra={"event": "health_alert", "condition": change.condition})
        else:
            log.info("health: %s recovered", change.condition,
                     extra={"event": "health_recovered", "condition": change.condition})
        if not self.monitor.notifies(change.condition):
            return
        try:
            self._enqueue([health_alert(change, self.monitor.spec)])
        except NotifierError as exc:
            log.error("cannot queue the health alert %s: %s", change.condition, exc,
                      extra={"event": "health_undelivered"})

    async def _send_ping(self, url: str) -> None:
        import httpx  # noqa: PLC0415 - only a run with a ping needs it here

        try:
            async with httpx.AsyncClient(timeout=_PING_TIMEOUT, follow_redirects=True) as client:
                response = await client.get(url)
            response.raise_for_status()
        except (httpx.HTTPError, OSError) as exc:
            if not self._ping_failing:  # once per outage, not every few minutes
                log.warning("the health ping to %s failed: %s", url, _describe(exc),
                            extra={"event": "health_ping_failed"})
            self._ping_failing = True
            return
        if self._ping_failing:
            log.info("the health ping to %s works again", url, extra={"event": "health_ping_ok"})
        self._ping_failing = False
        log.debug("health ping sent", extra={"event": "health_ping"})


def _hide(url: str) -> None:
    """Never log the ping URL: whoever holds it can report us healthy.

    Logged, it shows as ``https://host/***``; its long path parts (a uuid, a
    ping key) are masked wherever they appear alone. Short ones (``ping``)
    are not secrets, and masking them would garble ordinary words in logs.
    """
    parts = urlsplit(url)
    secret_filter().add(url, replacement=f"{parts.scheme}://{parts.hostname}/{MASK}")
    add_secrets(*(part for part in parts.path.split("/") if len(part) >= 8), parts.query or None, parts.password)


def _describe(exc: Any) -> str:
    return str(exc) or type(exc).__name__
