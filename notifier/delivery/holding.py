"""Holding, grouping and digests: the deliverer's policies, carried out on the outbox before each round of sends.

All their state is kept in the outbox, so a restart changes nothing. First
**groups** (a rule's ``group_wait``): the messages of one conversation, held
since the first arrived, fold into one alert ("5 new messages from …"). Then,
per target, the one plan (:func:`~notifier.delivery.plan.plan`, the same
function ``notifier replay --explain`` asks) decides: **quiet hours** hold its
rows until the window ends (urgent alerts skip them), its **budget** holds rows
beyond N sends in the sliding period until a send ages out (a digest counts as
one send), the one **mute** holds what it mutes until it ends (notifier's own
health and status alerts are never held), and rows that **waited** for any of
them go out, when the target may be sent to again, as **one digest** with
everything due for that target. This module holds, folds and logs; the
deliverer sends what stays pending.
"""

from __future__ import annotations

import logging
from collections import Counter

from ..alert import HEALTH_KIND, Alert
from ..control.mute import Mute
from ..times import format_time
from .digest import DIGEST_KIND, digest_alert, group_alert
from .outbox import Outbox
from .outbox_rows import OutboxRow
from .plan import Due, plan
from .policy import local_zone
from .targets import Target, TargetSet
from .unrecorded import UnrecordedLedger

__all__ = ["apply_policies", "fold_groups"]

# Holding, grouping and digests: a logger of their own, so a dry run can show
# them while it hides the routine "delivered" lines.
policy_log = logging.getLogger("notifier.delivery.policy")
# Why a row waited (the outbox's held column), as the log line that lets it go names it.
_WAITED_FOR = {
    "quiet": "quiet hours of {target} over at {when}",
    "budget": "the budget of {target} allows more at {when}",
    "muted": "notifications unmuted at {when}",
}
# notifier's own alerts, and its answer to ``status``: never held by a mute, a quiet hour or a budget.
_NEVER_MUTED = frozenset({HEALTH_KIND, "status"})


def fold_groups(outbox: Outbox, targets: TargetSet, now: float, *, busy: tuple[int, ...]) -> None:
    """Groups whose group_wait is over become one alert each (one message stays itself)."""
    rows = outbox.due_held("group", now, exclude=busy)
    groups: dict[tuple[str, str, str], list[OutboxRow]] = {}
    for row in rows:
        groups.setdefault((row.alert.rule, row.alert.key, row.target), []).append(row)
    for (rule, key, target_key), members in groups.items():
        if len(members) == 1:
            outbox.release([members[0].id], now=now)
            continue
        target = targets.get(target_key)
        zone = target.policy.zone if target is not None else local_zone()
        grouped = group_alert([row.alert for row in members], zone=zone)
        outbox.fold([row.id for row in members], grouped, target_key, now=now)
        policy_log.info(
            "grouped %d messages of rule %r in conversation %s into one alert for %s",
            len(members), rule, key, target or target_key,
            extra={"event": "grouped", "rule": rule, "target": target_key, "count": len(members)},
        )


def apply_policies(
    outbox: Outbox,
    targets: TargetSet,
    mute: Mute,
    now: float,
    *,
    busy: tuple[int, ...],
    active: Counter[str],
    unrecorded: UnrecordedLedger,
) -> None:
    """Hold or fold the due rows of targets with quiet hours or a budget, or rows that waited."""
    due = outbox.due_targets(now, exclude=busy)
    if not due:
        return
    # Rows that waited fold into a digest even if a reload took the policy away since.
    waited = outbox.due_targets(now, exclude=busy, waited=True)
    muting = mute.active(now)
    for target in targets:
        if target.key in due and (muting or target.policy.active or target.key in waited):
            _police(
                outbox,
                target,
                outbox.due_for(target.key, now, exclude=busy),
                now,
                mute=mute,
                active=active,
                unrecorded=unrecorded,
            )


def _police(
    outbox: Outbox,
    target: Target,
    rows: list[OutboxRow],
    now: float,
    *,
    mute: Mute,
    active: Counter[str],
    unrecorded: UnrecordedLedger,
) -> None:
    """Hold, fold or let go one target's due rows (earliest first) under its policy."""
    policy = target.policy
    sent: list[float] = []
    if policy.budget is not None:
        # A send under way counts as sent now: it will be, or it will be retried.
        sent = outbox.sent_times(target.key, since=now - policy.budget.per)
        sent += [now] * active[target.key]
        sent += unrecorded.sent_times(target.key)
    due = [
        Due(row.alert.urgent, row.waited, row.alert.kind in _NEVER_MUTED, _mute_ends(mute, row.alert, now))
        for row in rows
    ]
    decided = plan(policy, due, sent, now)
    for hold in decided.holds:
        held = [rows[index] for index in hold.items]
        outbox.hold([row.id for row in held], not_before=hold.until, now=now, reason=hold.reason)
        why = {"quiet": "quiet hours", "muted": "notifications muted"}.get(hold.reason, f"budget {policy.budget}")
        _log_hold(target, held, hold.until, why)
    if decided.digest:
        _send_digest(outbox, target, [rows[index] for index in decided.digest], now)
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


def _mute_ends(mute: Mute, alert: Alert, now: float) -> float | None:
    """When the mute holding ``alert`` ends: the later of everything's and its rules'."""
    ends = [end for end in (mute.ends_for(rule, now) for rule in alert.rules or (alert.rule,)) if end]
    return max(ends) if ends else None


def _send_digest(outbox: Outbox, target: Target, rows: list[OutboxRow], now: float) -> None:
    """Fold everything due for ``target`` into one digest row (earlier digests are opened up)."""
    alerts: list[Alert] = []
    for row in rows:
        if row.alert.kind == DIGEST_KIND:
            alerts += [child.alert for child in _folded_alerts(outbox, row.id)]
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
    folded = outbox.fold([row.id for row in rows], digest, target.key, now=now)
    policy_log.info(
        "%d alerts that waited for %s go out as one digest", len(alerts), target,
        extra={"event": "digest", "target": target.name, "count": len(alerts), "row": folded.id},
    )


def _folded_alerts(outbox: Outbox, row_id: int) -> list[OutboxRow]:
    found: list[OutboxRow] = []
    for child in outbox.folded_into(row_id):
        found += _folded_alerts(outbox, child.id) if child.alert.kind == DIGEST_KIND else [child]
    return found


def _log_hold(target: Target, rows: list[OutboxRow], until: float, why: str) -> None:
    when = format_time(until, target.policy.zone)
    for row in rows:
        if row.held is None:  # once per row, not on every look
            policy_log.info(
                "holding %r for %s until %s (%s)", row.alert.title, target, when, why,
                extra={"event": "held", "target": target.name, "rule": row.alert.rule, "until": until},
            )
