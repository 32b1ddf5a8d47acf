"""The words of the engine: placeholders, default titles and messages, explanations.

The engine decides; this module says it. The placeholders a rule's templates
may use are declared here once, for the rule-file loader (which checks the
templates against them) and for the engine (whose default texts use them).
The explanation texts are the ``detail`` of :class:`~notifier.rules.decision.Decision`.
"""

from __future__ import annotations

from collections.abc import Mapping

from .model import COUNT_FIELDS, FIELDS, field_label

__all__ = ["placeholders"]

_TWEET_PLACEHOLDERS = {
    "rule": "text", "tweet_id": "text", "url": "text", "time": "time", "counts": "text",
    **{name: ("int" if name in COUNT_FIELDS else "text") for name in FIELDS},
}
_DM_PLACEHOLDERS = {"rule": "text", "conversation_id": "text", "user_id": "text", "url": "text", "time": "time"}


def placeholders(trigger_key: str) -> dict[str, str]:
    """The placeholders the templates of a rule with this trigger key may use."""
    if trigger_key == "on":
        return dict(_DM_PLACEHOLDERS)
    if trigger_key == "when":
        return {**_TWEET_PLACEHOLDERS, "condition": "text"}
    if trigger_key == "gain":
        return {**_TWEET_PLACEHOLDERS, "gain": "int", "within": "text", "field": "text"}
    return {**_TWEET_PLACEHOLDERS, "milestone": "int", "field": "text"}
