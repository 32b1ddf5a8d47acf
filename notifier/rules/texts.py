"""The words of the engine: placeholders, default titles and messages, explanations.

The engine decides; this module says it. The placeholders a rule's templates
may use are declared here once, for the rule-file loader (which checks the
templates against them) and for the engine (whose default texts use them).
The explanation texts are the ``detail`` of :class:`~notifier.rules.decision.Decision`.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..durations import format_duration
from .model import COUNT_FIELDS, FIELDS, field_label
from .templates import Template, compile_template

__all__ = [
    "DEFAULT_TEXTS", "FROM_X", "KNOWN_SENDER_MESSAGES", "NAMED_SENDER_MESSAGE", "ONCE", "OPTIONAL_TEXTS", "OWN_MESSAGE", "SENDER_TITLES", "WORD_TITLES",
    "counts_line", "placeholders",
]

# {text} of a post is known once account watching found the post; a DM's
# {sender}, {sender_name} and {text} once the DM inbox showed the message (the
# stream never says them). Unknown, they render empty rather than "?".
OPTIONAL_TEXTS = frozenset({"text", "sender", "sender_name"})

# Values that come from X, written by anyone: marked where they are placed into
# a title or message, so delivery escapes them (and only them) for each service.
# {post} and {preview} are the post's and the message's first words.
FROM_X = frozenset({"text", "sender", "sender_name", "post", "preview"})

_TWEET_PLACEHOLDERS = {
    "rule": "text", "tweet_id": "text", "url": "text", "time": "time", "counts": "text",
    **{name: ("int" if name in COUNT_FIELDS else "text") for name in FIELDS},
    "text": "text",
}
_DM_PLACEHOLDERS = {
    "rule": "text", "conversation_id": "text", "user_id": "text", "url": "text", "time": "time",
    "sender": "text", "sender_name": "text", "text": "text",
}


def placeholders(trigger_key: str) -> dict[str, str]:
    """The placeholders the templates of a rule with this trigger key may use."""
    if trigger_key == "on":
        return dict(_DM_PLACEHOLDERS)
    if trigger_key == "when":
        return {**_TWEET_PLACEHOLDERS, "condition": "text"}
    if trigger_key == "gain":
        return {**_TWEET_PLACEHOLDERS, "gain": "int", "within": "text", "field": "text"}
    return {**_TWEET_PLACEHOLDERS, "milestone": "int", "field": "text"}


# ------------------------------------------------------------ default texts

DEFAULT_TEXTS: Mapping[str, tuple[Template, Template]] = {
    "when": (
        compile_template("{rule}", placeholders("when")),
        compile_template("Now {counts} ({condition}).\n{url}", placeholders("when")),
    ),
    "milestone": (
        compile_template("Tweet passed {milestone:,} {field}", placeholders("milestones")),
        compile_template("Now {counts}.\n{url}", placeholders("milestones")),
    ),
    "gain": (
        compile_template("Tweet gained {gain:,} {field} in {within}", placeholders("gain")),
        compile_template("Now {counts}.\n{url}", placeholders("gain")),
    ),
    "message": (
        compile_template("New direct message", placeholders("on")),
        compile_template("User {user_id} wrote in conversation {conversation_id}.\n{url}", placeholders("on")),
    ),
    "typing": (
        compile_template("Someone is typing a direct message", placeholders("on")),
        compile_template("User {user_id} is typing in conversation {conversation_id}.\n{url}", placeholders("on")),
    ),
}

# The default title of a post alert whose post's words are known: the post
# named by its first words, not by its id. {post} is not a placeholder users
# can write: it is the quoted words, cut so that the title fits a lock screen.
_POST = {"post": "text"}
WORD_TITLES: Mapping[str, Template] = {
    "when": compile_template("{rule}: {post}", {**placeholders("when"), **_POST}),
    "milestone": compile_template("{post} passed {milestone:,} {field}", {**placeholders("milestones"), **_POST}),
    "gain": compile_template("{post} gained {gain:,} {field} in {within}", {**placeholders("gain"), **_POST}),
}

# The default title of a DM whose sender is known (read from the inbox), by
# whether the sender's display name is known too.
SENDER_TITLES: Mapping[bool, Template] = {
    True: compile_template("DM from {sender_name} ({sender})", placeholders("on")),
    False: compile_template("DM from {sender}", placeholders("on")),
}

# The default message of a DM whose sender is known, by whether its text is
# known (and may be shown) too. The default title already names the sender
# ("DM from Alice (@alice)"), so the message is the message: "are you free
# tomorrow?". {preview} is the message's first words (the rule's preview:
# characters), not a placeholder users can write.
KNOWN_SENDER_MESSAGES: Mapping[bool, Template] = {
    True: compile_template("{preview}\n{url}", {**placeholders("on"), "preview": "text"}),
    False: compile_template("{sender} wrote in conversation {conversation_id}.\n{url}", placeholders("on")),
}
# ... and under a rule's own title, which may not name the sender.
NAMED_SENDER_MESSAGE: Template = compile_template(
    "{sender}: {preview}\n{url}", {**placeholders("on"), "preview": "text"},
)

_SINGULAR = {"likes": "like", "reposts": "repost", "replies": "reply", "quotes": "quote", "views": "view"}


def counts_line(snapshot: Mapping[str, object]) -> str:
    """``1,204 likes · 1 repost``: the ``{counts}`` of tweet alerts."""
    parts = []
    for name in COUNT_FIELDS:
        value = snapshot.get(name)
        if value is not None:
            label = field_label(name)
            parts.append(f"{value:,} {_SINGULAR[label] if value == 1 else label}")
    return " · ".join(parts) if parts else "no counts known yet"


# ---------------------------------------------------- explanations (Decision.detail)

ONCE = "already fired once (once: true)"
OWN_MESSAGE = "sent by this account itself"


def not_known(what: str) -> str:
    return f"{what}: not known yet"


def held_back(left: float) -> str:
    return f"matched, held back by the cooldown ({format_duration(left, words=True)} left)"


def rearm_pending(rearm: str) -> str:
    return f"rearm_when ({rearm}) does not hold yet"


def when_first(source: str, holds: bool) -> str:
    if holds:
        return f"first observation: {source} already holds; not announced (initial: fire would)"
    return f"first observation: {source} is false; armed"


def when_rearmed(source: str) -> str:
    return f"{source} is false again; armed"


def when_rearm_pending(source: str, rearm: str) -> str:
    return f"{source} is false, but rearm_when ({rearm}) does not hold yet"


def when_no_match(source: str, value: bool | None) -> str:
    return f"{source} is {'unknown' if value is None else 'false'}"


def when_still_holds(source: str) -> str:
    return f"{source} still holds since it fired; re-arms when it is false"


def milestone_first(value: int, label: str, reached: int) -> str:
    if reached:
        return (f"first observation at {value:,} {label}: {reached:,} already reached, "
                "not announced (initial: fire would)")
    return f"first observation at {value:,} {label}: no milestone reached yet"


def milestone_held_back(reached: int, label: str, held: str) -> str:
    return f"{reached:,} {label} {held}"


def milestone_below(mark: int, value: int, label: str) -> str:
    if mark:
        return f"{value:,} {label}: {mark:,} already announced, no milestone above it"
    return f"{value:,} {label}: no milestone reached yet"


def gain_first(value: int, label: str) -> str:
    return f"first sample: {value:,} {label}"


def gain_short(label: str, gain: float, within: str, amount: float) -> str:
    return f"{label} rose by {gain:,.0f} in {within}, less than {amount:,g}"


def gain_rising(label: str, gain: float, within: str, amount: float) -> str:
    return f"{label} still rising fast ({gain:,.0f} in {within}); re-arms below {amount:,g}"


def gain_rearmed(label: str, gain: float, within: str) -> str:
    return f"{label} rose by {gain:,.0f} in {within}; armed again"
