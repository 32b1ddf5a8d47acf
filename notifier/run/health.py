"""notifier's own health: which of its problems hold, and when to tell the user.

A :class:`HealthMonitor` is told what the daemon's parts observe (the stream
up or down, account watching failing, a delivery given up, the cookies
rejected, the state file unwritable) and decides, purely from those
observations and the ``now`` passed in, which conditions are *active*: a
problem that has lasted its threshold (``stream_down`` for the stream and
account watching, at once for the rest). :meth:`HealthMonitor.check` returns
each change exactly once: a condition becoming active, and later its
recovery. :func:`health_alert` turns a change into the alert the user gets.

It reads no clock and does no I/O; :mod:`notifier.run.healthwatch` runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..alert import HEALTH_KIND, Alert
from ..durations import format_duration
from ..rulefile.model import HealthSpec
from ..untrusted import mark, unmark

__all__ = [
    "CONDITIONS",
    "HEALTH_RULE",
    "PING_EVERY",
    "Change",
    "Condition",
    "HealthMonitor",
    "health_alert",
]

Condition = Literal["cookies_rejected", "stream_down", "delivery_dead", "state_unwritable", "account_failing"]
CONDITIONS: tuple[Condition, ...] = (
    "cookies_rejected", "stream_down", "delivery_dead", "state_unwritable", "account_failing",
)
# Without a health block only the problems that stop the daemon are sent (to defaults.notify):
# the others are still shown by /healthz and /metrics.
_FATAL: frozenset[Condition] = frozenset({"cookies_rejected", "state_unwritable"})
# The rule name health alerts carry (and the log and the outbox show).
HEALTH_RULE = "notifier health"
# A dead-man's switch is pinged this often while healthy; its service should
# expect a ping every 5 minutes and allow a grace period on top.
PING_EVERY = 300.0


@dataclass(frozen=True, slots=True)
class Change:
    """A condition became active (``active``) or recovered; ``detail`` says what was seen."""

    condition: Condition
    active: bool
    detail: str
    at: float


@dataclass(frozen=True, slots=True)
class _Problem:
    since: float
    detail: str


class HealthMonitor:
    """The conditions of one run, from observations; every method takes ``now`` (epoch seconds)."""

    def __init__(self, spec: HealthSpec) -> None:
        self.spec = spec
        self._problems: dict[Condition, _Problem] = {}
        self._active: dict[Condition, str] = {}
        # Target → its dead delivery: a later send to that target is the recovery.
        self._dead: dict[str, _Problem] = {}
        self._pinged_at: float | None = None

    def configure(self, spec: HealthSpec) -> None:
        """Go on with a reloaded rule file's health block; what is active stays active."""
        self.spec = spec

    # ----------------------------------------------------------- observations

    def cookies_rejected(self, now: float, detail: str) -> None:
        """X refused the cookies: the daemon is about to stop."""
        self._set("cookies_rejected", now, detail)

    def stream(self, now: float, up: bool | None) -> None:
        """Whether the stream is connected; None when no stream is wanted (nothing to watch)."""
        self._observe("stream_down", now, up is False, "the stream is not connected")

    def account(self, now: float, failing: tuple[float, str] | None) -> None:
        """Account watching: since when it fails and why, or None while its polls succeed."""
        if failing is None:
            self._problems.pop("account_failing", None)
        else:
            since, detail = failing
            self._problems["account_failing"] = _Problem(since, detail)

    def delivery(self, now: float, target: str, outcome: str, detail: str = "") -> None:
        """One delivery's outcome: "dead" is a delivery given up; "sent" shows the target works again."""
        if outcome == "dead":
            self._dead.setdefault(target, _Problem(now, f"a delivery to {target} was given up: {detail}"))
        elif outcome == "sent":
            self._dead.pop(target, None)
        if self._dead:
            first = min(self._dead.values(), key=lambda problem: problem.since)
            self._problems["delivery_dead"] = first
        else:
            self._problems.pop("delivery_dead", None)

    def state_unwritable(self, now: float, unwritable: bool, detail: str = "") -> None:
        """The state file could not be written (True) or was written again (False)."""
        self._observe("state_unwritable", now, unwritable, detail or "the state file cannot be written")

    # --------------------------------------------------------------- decisions

    def check(self, now: float) -> list[Change]:
        """The changes since the last check: conditions that became active, and recoveries."""
        changes: list[Change] = []
        for condition in CONDITIONS:
            problem = self._problems.get(condition)
            lasting = problem is not None and now - problem.since >= self._threshold(condition)
            if lasting and condition not in self._active:
                assert problem is not None
                self._active[condition] = problem.detail
                changes.append(Change(condition, True, problem.detail, now))
            elif problem is None and condition in self._active:
                detail = self._active.pop(condition)
                changes.append(Change(condition, False, detail, now))
        return changes

    def active(self) -> dict[Condition, str]:
        """The active conditions (as of the last check) and what was seen."""
        return dict(self._active)

    @property
    def healthy(self) -> bool:
        return not self._active

    def notifies(self, condition: Condition) -> bool:
        """Whether a change of ``condition`` is sent to the user (not only shown)."""
        return bool(self.spec.notify) and (self.spec.given or condition in _FATAL)

    def ping_due(self, now: float) -> bool:
        """Whether the dead-man's switch should hear from us now (only ever while healthy)."""
        if self.spec.ping is None or not self.healthy:
            return False
        return self._pinged_at is None or now - self._pinged_at >= PING_EVERY

    def pinged(self, now: float) -> None:
        """A ping went out (or was tried) at ``now``; the next is due PING_EVERY later."""
        self._pinged_at = now

    # ---------------------------------------------------------------- helpers

    def _threshold(self, condition: Condition) -> float:
        return self.spec.stream_down if condition in ("stream_down", "account_failing") else 0.0

    def _observe(self, condition: Condition, now: float, bad: bool, detail: str) -> None:
        if not bad:
            self._problems.pop(condition, None)
        elif condition not in self._problems:
            self._problems[condition] = _Problem(now, detail)

    def _set(self, condition: Condition, now: float, detail: str) -> None:
        if condition not in self._problems:
            self._problems[condition] = _Problem(now, detail)


_TITLES: dict[Condition, tuple[str, str]] = {
    "cookies_rejected": ("notifier stopped: X rejected the cookies", "notifier: X accepts the cookies again"),
    "stream_down": ("notifier: the stream has been down for {down}", "notifier recovered: the stream is back"),
    "delivery_dead": ("notifier gave up a delivery", "notifier recovered: deliveries get through again"),
    "state_unwritable": ("notifier cannot write its state file", "notifier recovered: the state file is written again"),
    "account_failing": (
        "notifier: account watching has failed for {down}", "notifier recovered: account watching works again",
    ),
}
_HINTS: dict[Condition, str] = {
    "cookies_rejected": "Log in again (notifier login, or new cookies) and start notifier again.",
    "stream_down": "notifier keeps reconnecting; alerts of the outage come as a catch-up once it is back.",
    "delivery_dead": "That alert was not delivered; check the target (notifier test).",
    "state_unwritable": "Free disk space or fix the permissions of the state file.",
    "account_failing": "notifier keeps polling; check the logs for what X answers.",
}


def health_alert(change: Change, spec: HealthSpec) -> Alert:
    """The alert that tells the user of ``change``, for the health block's targets."""
    began, recovered = _TITLES[change.condition]
    down = format_duration(spec.stream_down, words=True)
    # The detail may quote X's answer or an alert's words: marked, so delivery escapes it.
    if change.active:
        title = began.format(down=down)
        marked = f"{mark(change.detail)}\n{_HINTS[change.condition]}"
    else:
        title = recovered
        marked = f"Earlier: {mark(change.detail)}"
    message = unmark(marked)
    return Alert(
        rule=HEALTH_RULE, topic="notifier/health", key=change.condition, title=title, message=message,
        targets=spec.notify, ts=change.at, kind=HEALTH_KIND,
        notify_type="failure" if change.active else "success", urgent=True,
        marked=(title, marked) if marked != message else None,
    )
