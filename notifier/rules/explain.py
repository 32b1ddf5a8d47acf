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

from ..alert import Alert
from ..durations import format_duration
from ..stream.events import DiscoveryEvent
from ..times import format_time
from .decision import Decision
from .discovery import post_verdicts, rough_age
from .model import Every, Gain, Milestones, On, Rule, RuleSet, When, field_label

__all__ = [
    "NEW_POST",
    "OUTCOMES",
    "Explainer",
    "Explanation",
    "explain_discovery",
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
    # What a discovery line (posts account watching found) means for follow rules.
    "watched": "watched",
    "not_watched": "not watched",
}


# What explanations say of a post made after notifier began following its account.
NEW_POST = "a new post, counted from zero (what it has was gained while watched)"


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
            names = alert.rules or (alert.rule,)
            titles = alert.titles or (alert.title,)
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


def explain_discovery(ruleset: RuleSet, event: DiscoveryEvent, now: float) -> list[Explanation]:
    """Per rule following ``event.account`` and per post found: watched, or why not (newest post first).

    Empty when no enabled rule follows the account.
    """
    explanations = []
    account = event.account.lower()
    for rule in ruleset.rules:
        follow = rule.follow
        if follow is None or follow.account != account:
            continue
        for verdict in post_verdicts(follow, event.posts, now):
            post = verdict.post
            age = "time unknown" if post.created_at is None else f"{rough_age(now - post.created_at)} old"
            what = f"post {post.id} ({age})"
            if verdict.watched:
                if post.new:
                    what += f": {NEW_POST}"
                detail = (f"{what}: inside the window (within: {format_duration(follow.within, words=True)}), "
                          f"among the {follow.max_posts:,} newest that fit")
                explanations.append(Explanation(rule.name, post.id, "watched", detail, {}, True))
            else:
                explanations.append(Explanation(rule.name, post.id, "not_watched", f"{what}: {verdict.reason}", {}, False))
    return explanations


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
    """``line 42 · 2025-06-03 15:42:10 CEST · /tweet_engagement/1850…`` (the machine's zone)."""
    return f"line {line} · {format_time(ts)} · {topic}"
