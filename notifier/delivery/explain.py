"""Explanations for ``notifier replay --explain``, target side: what quiet hours and budgets do.

The rule side (why each rule fired or stayed silent) is
:mod:`notifier.rules.explain`; this module adds, for each alert and each target
with a policy, whether it was sent, deferred by quiet hours or folded into a
digest. It simulates delivery on the replay's clock, asking the same
:func:`~notifier.delivery.plan.plan` as the deliverer; nothing is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..alert import Alert
from ..rules.explain import Explanation
from ..times import format_time
from .plan import Due, plan
from .policy import TargetPolicy

__all__ = ["Release", "TargetReplay"]


@dataclass(frozen=True, slots=True)
class Release:
    """A digest a target's policy let go at ``at``: ``count`` alerts waited for it."""

    target: str
    at: float
    count: int
    reason: str

    def __str__(self) -> str:
        why = "quiet hours over" if self.reason == "quiet" else "the budget has room again"
        what = "1 waiting alert goes" if self.count == 1 else f"{self.count} waiting alerts go"
        return (f"{format_time(self.at)} · digest → {self.target}: "
                f"{what} out as one message ({why})")


class _Waiting:
    """One target's side of the simulation: its sends so far, and the digest that waits."""

    __slots__ = ("alerts", "due", "reason", "sent")

    def __init__(self) -> None:
        self.sent: list[float] = []
        self.alerts = 0
        self.due: float | None = None
        self.reason = ""


class TargetReplay:
    """What each target's quiet hours and budget do with the alerts of a replay.

    A simulation on the replay's clock, nothing is sent: an alert for a target
    inside its quiet window waits (unless urgent) and one inside a used-up
    budget folds into a digest; what waited goes out as one digest, counted as
    one send, when the window ends or the budget has room. ``policies`` maps
    target names to their policies; targets without one (and Apprise tags)
    always send at once and are not explained.
    """

    def __init__(self, policies: Mapping[str, TargetPolicy]) -> None:
        self._policies = {name: policy for name, policy in policies.items() if policy.active}
        self._targets: dict[str, _Waiting] = {name: _Waiting() for name in self._policies}

    def release(self, now: float) -> list[Release]:
        """The digests due at or before ``now``, in time order."""
        released = []
        for name, waiting in self._targets.items():
            policy = self._policies[name]
            while waiting.alerts and waiting.due is not None and waiting.due <= now:
                at = waiting.due
                decided = plan(policy, [Due(waited=True)] * waiting.alerts, waiting.sent, at)
                if decided.held:
                    waiting.due, waiting.reason = decided.holds[0].until, decided.holds[0].reason
                    continue
                waiting.sent.append(at)
                released.append(Release(name, at, waiting.alerts, waiting.reason))
                waiting.alerts, waiting.due = 0, None
        released.sort(key=lambda item: item.at)
        return released

    def route(self, alert: Alert, now: float) -> list[Explanation]:
        """What each policy target of ``alert`` does with it at ``now`` (call :meth:`release` first)."""
        urgent = alert.urgent
        rule = " + ".join(alert.rules or (alert.rule,))
        out = []
        for target in alert.targets:
            policy = self._policies.get(target)
            if policy is None:
                continue
            waiting = self._targets[target]
            decided = plan(policy, [Due(urgent=urgent)], waiting.sent, now)
            hold = decided.holds[0] if decided.held else None
            if hold is None and waiting.alerts and not (urgent and waiting.reason == "quiet"):
                # A digest is already waiting for this target: the alert joins it.
                hold_until, reason = waiting.due, waiting.reason
            elif hold is None:
                waiting.sent.append(now)
                detail = f"at once ({policy.describe()}"
                if policy.budget is not None:
                    detail += f"; {policy.budget_left(waiting.sent, now):g} left in the budget"
                if urgent and policy.in_quiet(now):
                    detail += "; urgent: skips quiet hours"
                out.append(Explanation(rule, alert.key, "sent", detail + ")", {}, True, target))
                continue
            else:
                hold_until, reason = hold.until, hold.reason
            waiting.alerts += 1
            if waiting.due is None or (hold_until is not None and hold_until > waiting.due):
                waiting.due, waiting.reason = hold_until, reason
            local = _local(hold_until, policy)
            if reason == "quiet":
                detail = (f"quiet {policy.quiet} {policy.tz or 'local time'}: waits until {local}, "
                          f"then goes out in one digest ({waiting.alerts} waiting)")
                out.append(Explanation(rule, alert.key, "deferred", detail, {}, True, target))
            else:
                detail = (f"budget {policy.budget} used up: goes out in one digest at {local} "
                          f"({waiting.alerts} waiting)")
                out.append(Explanation(rule, alert.key, "digest", detail, {}, True, target))
        return out

    def pending(self) -> list[str]:
        """What still waits when the recording ends, one line per target."""
        lines = []
        for name, waiting in self._targets.items():
            if waiting.alerts:
                plural = "s" if waiting.alerts != 1 else ""
                lines.append(f"{name}: {waiting.alerts} alert{plural} still waiting at the end of the recording "
                             f"(digest due {_local(waiting.due, self._policies[name])})")
        return lines


def _local(ts: float | None, policy: TargetPolicy) -> str:
    """A time on the target's wall clock: ``2025-06-04 07:00 CEST``."""
    if ts is None:
        return "?"
    return format_time(ts, policy.zone, seconds=False)
