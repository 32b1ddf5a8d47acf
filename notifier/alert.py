"""The value that flows from the rule engine to delivery."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["HEALTH_KIND", "Alert", "NotifyType"]

# Apprise's notify types; the trigger kind picks one (milestone → success, ...).
NotifyType = Literal["info", "success", "warning", "failure"]

# The kind of notifier's own alerts (a health block's): no quiet hours, no budget.
HEALTH_KIND = "health"


@dataclass(frozen=True, slots=True)
class Alert:
    """One notification decided by the rule engine, not yet delivered.

    ``key`` is what the rule keeps state per: the tweet id or the conversation id.
    ``targets`` are target names (or Apprise tags) from the rule file.
    ``ts`` is the event time in epoch seconds (the replay clock in a replay).
    ``fields`` are the values the rule's templates saw, for explanations and digests.

    What delivery and explanations need beyond the text travels typed:
    ``rules`` and ``titles`` name the rules (and their titles) whose alerts a
    catch-up merged into this one (empty when it is just ``rule``'s);
    ``catch_up`` is the outage (seconds) a catch-up alert follows;
    ``group_wait`` (seconds, from the rule) collects a conversation's messages
    into one alert before delivery.
    """

    rule: str
    topic: str
    key: str
    title: str
    message: str
    targets: tuple[str, ...]
    ts: float
    kind: str = "when"
    notify_type: NotifyType = "info"
    urgent: bool = False
    fields: dict[str, object] = field(default_factory=dict, compare=False, hash=False)
    rules: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    catch_up: float | None = None
    group_wait: float = 0.0
