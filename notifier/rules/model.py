"""What a rule file means, as immutable values.

:func:`notifier.rulefile.load_rules` builds these; the engine reads them.
Nothing here touches the file system or the clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, Union

if TYPE_CHECKING:  # pragma: no cover
    from .conditions import Condition
    from .templates import Template

__all__ = [
    "ALIASES",
    "COUNT_FIELDS",
    "DEFAULT_MAX_GAP",
    "FIELDS",
    "NOT_CARRIED",
    "Every",
    "Follow",
    "Gain",
    "Milestones",
    "On",
    "Rule",
    "RuleSet",
    "Trigger",
    "When",
    "canonical_field",
    "field_label",
    "fields_text",
]

# Snapshot field -> the TweetEngagementEvent attribute it comes from.
FIELDS: Mapping[str, str] = {
    "likes": "like_count",
    "retweets": "retweet_count",
    "replies": "reply_count",
    "quotes": "quote_count",
    "views": "view_count",
    "view_state": "view_count_state",
}
# Fields that hold numbers; view_state is text (e.g. "EnabledWithCount").
COUNT_FIELDS = ("likes", "retweets", "replies", "quotes", "views")
# The wire names are accepted wherever a field is named, and so is X's word for a retweet.
ALIASES: Mapping[str, str] = {**{wire: name for name, wire in FIELDS.items()}, "reposts": "retweets"}
# Counts people look for that the stream does not carry: named so the refusal can say why.
NOT_CARRIED: Mapping[str, str] = {
    name: "the live stream does not carry bookmark counts, so notifier never sees them"
    for name in ("bookmarks", "bookmark_count")
}

# How a count reads in a sentence: X calls retweets "reposts" now.
_LABELS = {
    "likes": "likes",
    "retweets": "reposts",
    "replies": "replies",
    "quotes": "quotes",
    "views": "views",
    "view_state": "view state",
}


def canonical_field(name: str) -> str | None:
    """``likes`` for ``likes`` or ``like_count``; None for anything else."""
    if name in FIELDS:
        return name
    return ALIASES.get(name)


def fields_text() -> str:
    """The fields a rule can name, for messages: ``likes, retweets (or reposts), ...``."""
    return ", ".join("retweets (or reposts)" if name == "retweets" else name for name in FIELDS)


def field_label(name: str) -> str:
    """The word people use for a field: ``retweets`` -> ``reposts``."""
    return _LABELS.get(name, name)


@dataclass(frozen=True, slots=True)
class When:
    """``when: EXPR`` — fires when the condition becomes true."""

    condition: Condition

    kind = "when"

    def describe(self) -> str:
        return f"when {self.condition.source}"

    def canonical(self) -> str:
        return f"when:{self.condition.canonical}"


@dataclass(frozen=True, slots=True)
class Every:
    """``every: {FIELD: N}`` — fires at each multiple of ``step``."""

    field: str
    step: int

    kind = "every"

    def describe(self) -> str:
        return f"every {self.step:,} {field_label(self.field)}"

    def canonical(self) -> str:
        return f"every:{self.field}:{self.step}"


@dataclass(frozen=True, slots=True)
class Milestones:
    """``milestones: {FIELD: [...]}`` — fires at each listed value (ascending)."""

    field: str
    values: tuple[int, ...]

    kind = "milestones"

    def describe(self) -> str:
        shown = ", ".join(f"{value:,}" for value in self.values)
        return f"milestones of {field_label(self.field)}: {shown}"

    def canonical(self) -> str:
        return f"milestones:{self.field}:{','.join(map(str, self.values))}"


@dataclass(frozen=True, slots=True)
class Gain:
    """``gain: {FIELD: N, within: D}`` — fires when FIELD rose by ``amount`` in ``within`` seconds."""

    field: str
    amount: float
    within: float

    kind = "gain"

    def describe(self) -> str:
        from ..durations import format_duration

        return f"gain of {self.amount:,g} {field_label(self.field)} within {format_duration(self.within, words=True)}"

    def canonical(self) -> str:
        return f"gain:{self.field}:{self.amount!r}:{self.within!r}"


@dataclass(frozen=True, slots=True)
class On:
    """``on: message`` / ``on: typing`` — fires per DM event."""

    event: Literal["message", "typing"]

    kind = "on"

    def describe(self) -> str:
        return "on every new message" if self.event == "message" else "on typing"

    def canonical(self) -> str:
        return f"on:{self.event}"


Trigger = Union[When, Every, Milestones, Gain, On]

# tweets: {from: ...} defaults: the posts of the last three days, no replies, the 50 newest.
DEFAULT_WITHIN = 3 * 86400.0
DEFAULT_MAX_POSTS = 50


@dataclass(frozen=True, slots=True)
class Follow:
    """``tweets: {from: me | "@handle", within: 3d, replies: false, max_posts: 50}``: an account's posts.

    ``account`` is ``"me"`` (the signed-in account) or ``"@handle"``, lowercased.
    Which posts that means is known only once account watching found them:
    see :func:`notifier.rules.discovery.with_discoveries`.
    """

    account: str
    within: float = DEFAULT_WITHIN
    replies: bool = False
    max_posts: int = DEFAULT_MAX_POSTS

    def describe(self) -> str:
        """``posts of the last 2 days, no replies, at most 50``."""
        from ..durations import format_duration

        replies = "replies too" if self.replies else "no replies"
        return f"posts of the last {format_duration(self.within, words=True)}, {replies}, at most {self.max_posts:,}"


@dataclass(frozen=True, slots=True)
class Rule:
    """One enabled or disabled rule of the file, fully checked.

    ``keys`` are what the rule keeps state per: tweet ids, or conversation ids
    (``dms: ["*"]`` resolved to every conversation the file names).
    """

    name: str
    trigger: Trigger
    notify: tuple[str, ...]
    tweets: tuple[str, ...] = ()
    dms: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    topics: frozenset[str] = frozenset()
    cooldown: float = 0.0
    once: bool = False
    initial_fire: bool = False
    rearm_when: Condition | None = None
    title: Template | None = None
    message: Template | None = None
    enabled: bool = True
    line: int = 0
    # Delivery options: urgent alerts skip quiet hours; group_wait (seconds, on: message
    # rules) collects a conversation's messages into one alert.
    urgent: bool = False
    group_wait: float = 0.0
    # preview (on: message rules): how much of a message's text its alerts show,
    # wherever it appears ({text} included): true for the first PREVIEW_LIMIT
    # characters, a number for that many, false for none at all (for lock
    # screens and shared channels).
    preview: bool | int = True
    # tweets: {from: ...}: the account whose posts the rule watches (keys: the
    # posts discovered so far). dms: any: every conversation, message requests
    # unless requests is false (keys: the conversations discovered so far).
    follow: Follow | None = None
    dms_any: bool = False
    requests: bool = True
    # chart: false: the rule's alerts carry no chart of the post's counts.
    chart: bool = True

    @property
    def kind(self) -> str:
        """``when``, ``every``, ``milestones``, ``gain``, ``message`` or ``typing``."""
        trigger = self.trigger
        return trigger.event if isinstance(trigger, On) else trigger.kind

    @property
    def watches_dms(self) -> bool:
        return isinstance(self.trigger, On)

    @property
    def identity(self) -> str:
        """A short stable id of name + trigger: the prefix of the rule's saved state.

        Editing anything else (targets, cooldown, templates, the watched ids)
        keeps the state; renaming the rule or changing its trigger starts afresh.
        """
        text = f"{self.name}\0{self.trigger.canonical()}"
        return hashlib.blake2s(text.encode("utf-8"), digest_size=6).hexdigest()


# A stream outage longer than this makes the next alerts say they are a catch-up.
DEFAULT_MAX_GAP = 300.0


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The rules the engine runs: only ever built by :func:`~notifier.rulefile.load_rules`, so always valid.

    The rule file around them (targets, account) is a
    :class:`~notifier.rulefile.RuleFile`, a RuleSet with those parts.
    """

    path: Path
    rules: tuple[Rule, ...]
    disabled: tuple[Rule, ...] = ()
    topics: frozenset[str] = frozenset()
    # defaults.max_gap: a stream outage longer than this (seconds) makes the
    # first alerts after reconnecting say they are a catch-up.
    max_gap: float = DEFAULT_MAX_GAP
    # Post id -> its text, for the {text} of post alerts: filled by discovery.with_discoveries.
    post_texts: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def follows(self) -> tuple[Follow, ...]:
        """The accounts the enabled rules follow, one each, in file order, as widely as any rule asks.

        Each has the longest window, ``replies`` when any rule wants them and the
        largest ``max_posts`` of the rules following it: what account watching fetches.
        """
        merged: dict[str, Follow] = {}
        for rule in self.rules:
            follow = rule.follow
            if follow is None:
                continue
            seen = merged.get(follow.account)
            if seen is not None:
                follow = Follow(
                    follow.account, max(seen.within, follow.within), seen.replies or follow.replies,
                    max(seen.max_posts, follow.max_posts),
                )
            merged[follow.account] = follow
        return tuple(merged.values())

    @property
    def watches_any_dm(self) -> bool:
        """Whether an enabled rule watches ``dms: any``."""
        return any(rule.dms_any for rule in self.rules)

    @property
    def any_dm_requests(self) -> bool:
        """Whether an enabled ``dms: any`` rule wants message requests (``requests`` not false)."""
        return any(rule.dms_any and rule.requests for rule in self.rules)
