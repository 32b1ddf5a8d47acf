"""The delivery plan: what a target's quiet hours and budget do with the alerts due for it.

One pure function, :func:`plan`, decides it for everyone who asks: the
deliverer (alerts are outbox rows) and ``notifier replay --explain`` (alerts
are simulated on the replay's clock). It reads no clock and stores nothing:
the caller passes the target's policy, the alerts due (only whether each is
urgent and whether it waited before), the times of earlier sends and ``now``.

The order of the decision:

1. **Muted** (the one mute: a phone's button, ``notifier mute`` or Home
   Assistant's switch): an alert that is not urgent waits until its mute
   ends (``Due.muted_until``, of everything or of its rule), on every
   target; the caller judges the held alerts again when the mute changes.
   **Quiet hours**: inside the window every alert that is not urgent waits
   until the window ends.
2. **Digest**: when more than one alert is left and any of them waited, they
   all go as one digest, which counts as one send.
3. **Budget**: when no send fits, everything left waits until one does; when
   fewer fit than are left, the ones beyond the budget wait.

notifier's own health alerts are outside all three: they go at once, alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .policy import TargetPolicy

__all__ = ["MUTE_RECHECK", "Due", "Hold", "HoldReason", "Plan", "plan"]

HoldReason = Literal["quiet", "budget", "muted"]

# While muted, held alerts are looked at again this often: unmuting judges them at once
# anyway, this only keeps the hold a plain time like the others.
MUTE_RECHECK = 3600.0


@dataclass(frozen=True, slots=True)
class Due:
    """One alert that may go now as far as its schedule knows.

    ``urgent`` alerts skip quiet hours (never the budget); ``waited`` says a
    policy held it back before, which is what makes a digest. ``health``
    alerts (notifier's own problems) skip both and always go as themselves:
    a cap must not hide that notifier stopped working.
    """

    urgent: bool = False
    waited: bool = False
    health: bool = False
    # When the mute that holds this alert ends (None: not muted; math.inf: until unmuted).
    muted_until: float | None = None


@dataclass(frozen=True, slots=True)
class Hold:
    """The alerts at ``items`` (indices into the due ones) wait ``until`` (epoch seconds), for ``reason``."""

    until: float
    reason: HoldReason
    items: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do with a target's due alerts now; each is named by its index in them.

    ``send``: each goes as itself. ``digest``: they go together as one
    digest. ``holds``: they wait (quiet hours first, then the budget).
    """

    send: tuple[int, ...] = ()
    digest: tuple[int, ...] = ()
    holds: tuple[Hold, ...] = ()

    @property
    def held(self) -> bool:
        """Whether nothing goes now: every due alert waits."""
        return not self.send and not self.digest


def plan(
    policy: TargetPolicy, due: Sequence[Due], sent: Sequence[float], now: float, *, muted: bool = False
) -> Plan:
    """The plan for ``due`` (earliest first) under ``policy`` at ``now``, given earlier sends at ``sent``.

    ``sent`` counts toward the budget; a caller with sends under way counts
    them as sent at ``now``, since they will be, or will be retried.
    ``muted``: everything is muted until unmuted (as ``Due.muted_until`` of math.inf on each).
    """
    health = tuple(index for index, item in enumerate(due) if item.health)
    if health:
        rest = [index for index, item in enumerate(due) if not item.health]
        decided = plan(policy, [due[index] for index in rest], sent, now, muted=muted) if rest else Plan()

        def back(items: tuple[int, ...]) -> tuple[int, ...]:
            return tuple(rest[index] for index in items)

        return Plan(
            send=tuple(sorted(health + back(decided.send))),
            digest=back(decided.digest),
            holds=tuple(Hold(hold.until, hold.reason, back(hold.items)) for hold in decided.holds),
        )
    going = list(range(len(due)))
    holds: list[Hold] = []
    # Muted alerts wait until their mute ends, looked at again at least every MUTE_RECHECK.
    mutes: dict[float, list[int]] = {}
    for index in going:
        item = due[index]
        ends = now + MUTE_RECHECK if muted else item.muted_until
        if not item.urgent and ends is not None and ends > now:
            mutes.setdefault(min(ends, now + MUTE_RECHECK), []).append(index)
    for until, items in sorted(mutes.items()):
        holds.append(Hold(until, "muted", tuple(items)))
    going = [index for index in going if not any(index in items for items in mutes.values())]
    if not going:
        return Plan(holds=tuple(holds))
    if policy.in_quiet(now):
        waiting = tuple(index for index in going if not due[index].urgent)
        if waiting:
            holds.append(Hold(policy.quiet_ends(now), "quiet", waiting))
        going = [index for index in going if due[index].urgent]
        if not going:
            return Plan(holds=tuple(holds))
    # One alert that waited goes as itself: a digest of one would only hide it.
    waited = len(going) > 1 and any(due[index].waited for index in going)
    budget = policy.budget
    if budget is None:
        if waited:
            return Plan(digest=tuple(going), holds=tuple(holds))
        return Plan(send=tuple(going), holds=tuple(holds))
    allowance = budget.left(sent, now)
    if allowance <= 0:
        holds.append(Hold(budget.frees_at(sent, now), "budget", tuple(going)))
        return Plan(holds=tuple(holds))
    if waited:
        return Plan(digest=tuple(going), holds=tuple(holds))  # one send, however many waited
    if len(going) > allowance:
        # The ones that fit count as sent now when the rest learn how long they wait.
        until = budget.frees_at([*sent, *[now] * allowance], now)
        holds.append(Hold(until, "budget", tuple(going[allowance:])))
        going = going[:allowance]
    return Plan(send=tuple(going), holds=tuple(holds))
