"""Explanations for ``notifier replay --explain``: why each rule fired or stayed silent.

The engine says what it made of an event in :class:`~notifier.rules.Decision`
records; a rule that fired leaves an :class:`~notifier.alert.Alert` instead.
This module turns both into one line per (event, rule), in the order of the
rule file, with the values compared, so a person reading it knows why their
phone stayed silent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..alert import Alert
from .decision import Decision
from .model import Every, Gain, Milestones, On, Rule, RuleSet, When, field_label
from .templates import utc_seconds

__all__ = [
    "OUTCOMES",
    "Explainer",
    "Explanation",
    "Release",
    "TargetReplay",
    "explain_event",
    "format_explanation",
    "format_header",
]

# Each outcome as a reader says it. The engine's outcomes, then "fired", then
# the ones delivery policies add (quiet hours, budgets).
OUTCOMES: Mapping[str, str] = {
    "fired": "FIRED",
    "no_match": "no match",
    "unknown": "not known yet",
    "initial": "initial state only",
    "waiting": "waiting to re-arm",
    "rearmed": "re-armed",
    "cooldown": "suppressed by cooldown",
    "once": "already fired (once)",
    "announced": "already announced",
    "own": "own message, ignored",
    "sent": "sent",
    "deferred": "deferred by quiet hours",
    "digest": "folded into a digest",
}


@dataclass(frozen=True, slots=True)
class Explanation:
    """One rule's verdict on one event (or, with ``target``, one target's on an alert)."""

    rule: str
    key: str
    outcome: str
    detail: str
    values: Mapping[str, object] = field(default_factory=dict)
    matched: bool | None = None
    target: str | None = None

    @property
    def label(self) -> str:
        return OUTCOMES.get(self.outcome, self.outcome)


class Explainer:
    """Explains events against one rule set.

    A replay explains every event against the same rules, so their order and
    names are indexed once, here, not per event (with a thousand rules that
    was most of a replay's time). Make one per rule set.
    """

    __slots__ = ("_order", "_rules")

    def __init__(self, ruleset: RuleSet) -> None:
        self._order = {rule.name: index for index, rule in enumerate(ruleset.rules)}
        self._rules = {rule.name: rule for rule in ruleset.rules}

    def explain(self, decisions: Iterable[Decision], alerts: Sequence[Alert]) -> list[Explanation]:
        """The explanations of one event: every decision and every fired rule, in rule-file order."""
        order, rules = self._order, self._rules
        found: list[tuple[int, int, Explanation]] = []
        for position, decision in enumerate(decisions):
            found.append((
                order.get(decision.rule, len(order)), position,
                Explanation(decision.rule, decision.key, decision.outcome, decision.detail,
                            dict(decision.values), decision.matched),
            ))
        for position, alert in enumerate(alerts, len(found)):
            # A catch-up alert may stand for the milestones of several rules.
            names = alert.fields.get("rules") or [alert.rule]
            titles = alert.fields.get("titles") or [alert.title]
            for index, name in enumerate(names):  # type: ignore[arg-type]
                merged = len(names) > 1  # type: ignore[arg-type]
                explanation = _fired(rules.get(name), name, alert, titles[index], merged, index == 0)  # type: ignore[index]
                found.append((order.get(name, len(order)), position, explanation))
        found.sort(key=lambda item: (item[0], item[1]))
        return [explanation for _, _, explanation in found]


def explain_event(
    ruleset: RuleSet, decisions: Iterable[Decision], alerts: Sequence[Alert],
) -> list[Explanation]:
    """The explanations of one event against ``ruleset``; explaining many, keep an :class:`Explainer`."""
    return Explainer(ruleset).explain(decisions, alerts)


def _fired(
    rule: Rule | None, name: str, alert: Alert, title: str, merged: bool, own: bool,
) -> Explanation:
    # ``own``: the alert's fields are this rule's (a merged alert keeps the first rule's).
    fields = alert.fields
    trigger = rule.trigger if rule is not None else None
    values: dict[str, object] = {}
    cause = "fired"
    if isinstance(trigger, When):
        values = trigger.condition.values(fields)
        cause = f"{trigger.condition.source} became true"
    elif isinstance(trigger, (Every, Milestones)):
        label = field_label(trigger.field)
        values = {trigger.field: fields.get(trigger.field)}
        milestone = fields.get("milestone") if own else None
        if isinstance(milestone, int):
            values["milestone"] = milestone
            cause = f"{milestone:,} {label} reached"
        else:
            cause = f"a new milestone of {label} reached"
    elif isinstance(trigger, Gain):
        values = {trigger.field: fields.get(trigger.field), "gain": fields.get("gain")}
        cause = f"{field_label(trigger.field)} rose by at least {trigger.amount:,g} within {fields.get('within')}"
    elif isinstance(trigger, On):
        values = {"user_id": fields.get("user_id")}
        cause = "a new message" if trigger.event == "message" else "someone is typing"
    detail = f'{cause}: "{title}" → {", ".join(alert.targets)}'
    if merged:
        detail += f' (sent as one catch-up alert: "{alert.title}")'
    elif "catch_up" in fields:
        detail += " (a catch-up after an outage)"
    suppressed = fields.get("suppressed")
    if suppressed:
        detail += f"; it says +{suppressed} held back by the cooldown"
    return Explanation(name, alert.key, "fired", detail, values, True)


def _show(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return repr(value)


def format_explanation(explanation: Explanation) -> str:
    """``Surge: no match — likes rose by 120 in 10 minutes, less than 500 [likes=1,320, gain=120]``."""
    who = explanation.rule if explanation.target is None else f"{explanation.rule} → {explanation.target}"
    line = f"{who}: {explanation.label} — {explanation.detail}"
    values = explanation.values
    if values:
        line += " [" + ", ".join(f"{name}={_show(value)}" for name, value in values.items()) + "]"
    return line


def format_header(line: int, ts: float, topic: str) -> str:
    """``line 42 · 2025-06-03 13:42:10 UTC · /tweet_engagement/1850…``."""
    return f"line {line} · {utc_seconds(ts)} UTC · {topic}"


# ------------------------------------------------------------- target side


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
        return (f"{utc_seconds(self.at)} UTC · digest → {self.target}: "
                f"{what} out as one message ({why})")


class _Waiting:
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
    one send, when the window ends or the budget has room. Targets without a
    policy (and Apprise tags) always send at once and are not explained.
    """

    def __init__(self, ruleset: RuleSet) -> None:
        self._policies = {name: spec.policy for name, spec in ruleset.targets.items() if spec.policy.active}
        self._targets: dict[str, _Waiting] = {name: _Waiting() for name in self._policies}

    def release(self, now: float) -> list[Release]:
        """The digests due at or before ``now``, in time order."""
        released = []
        for name, waiting in self._targets.items():
            policy = self._policies[name]
            while waiting.alerts and waiting.due is not None and waiting.due <= now:
                at = waiting.due
                hold = policy.hold(at, waiting.sent)
                if hold is not None:
                    waiting.due, waiting.reason = hold.until, hold.reason
                    continue
                waiting.sent.append(at)
                released.append(Release(name, at, waiting.alerts, waiting.reason))
                waiting.alerts, waiting.due = 0, None
        released.sort(key=lambda item: item.at)
        return released

    def route(self, alert: Alert, now: float) -> list[Explanation]:
        """What each policy target of ``alert`` does with it at ``now`` (call :meth:`release` first)."""
        names = alert.fields.get("rules") or [alert.rule]
        urgent = alert.urgent
        rule = " + ".join(names)  # type: ignore[arg-type]
        out = []
        for target in alert.targets:
            policy = self._policies.get(target)
            if policy is None:
                continue
            waiting = self._targets[target]
            hold = policy.hold(now, waiting.sent, urgent=urgent)
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


def _local(ts: float | None, policy) -> str:
    """A time on the target's wall clock: ``2025-06-04 07:00 Europe/Berlin``."""
    if ts is None:
        return "?"
    return f"{datetime.fromtimestamp(ts, policy.zone):%Y-%m-%d %H:%M} {policy.tz or 'local time'}"
