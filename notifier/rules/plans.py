"""What the engine builds from a rule set: per topic, the rules an event reaches.

A :class:`TweetPlan` holds a tweet's snapshot and one :class:`Watch` per rule
on it; a :class:`DMPlan` holds the rules of one conversation's messages or
typing.
"""

from __future__ import annotations

from array import array
from typing import Any

from .engine_state import RuleEntry, history_key, snapshot_key
from .triggers import CompiledRule, MilestoneRule, WhenRule

__all__ = ["DMPlan", "TweetPlan", "Watch"]



class Watch:
    """One rule watching one tweet: all an event needs of the pair, in one small object.

    Keeping the pair's state here, next to the rule and its mask, matters more
    than it looks: with thousands of tweets, what an event costs is mostly the
    memory it has to fetch, so the loop over a tweet's rules touches as few
    objects as it can.
    """

    __slots__ = ("armed", "fast", "field", "mark", "marked", "mask", "next", "rkey", "rule", "samples", "state")

    def __init__(self, rule: CompiledRule, rkey: str, mask: int) -> None:
        self.rule: Any = rule
        self.mask = mask
        self.rkey = rkey
        # What Engine.process needs to see that an event changes nothing for
        # the pair without calling the rule: a when rule's condition, a
        # milestone rule's field and next threshold.
        self.fast = rule.fast if isinstance(rule, WhenRule) else None
        self.field = rule.field if isinstance(rule, MilestoneRule) else None
        self.marked: set | None = None  # as TweetPlan.marked
        self.attach(None)

    def attach(self, state: RuleEntry | None) -> None:
        """Take the pair's state entry (the same dict as in the EngineState; None before the first observation).

        The fields read on every event are mirrored here, so an event that
        changes nothing never fetches the entry; whoever writes ``armed`` or
        ``mark`` writes both.
        """
        self.state = state
        self.armed = state.armed if state is not None else None
        self.mark = state.mark if state is not None else None
        samples = state.samples if state is not None else None
        if samples.__class__ is list:
            # Saved as a list; held as raw doubles in one buffer, so reading a
            # sample fetches no number object. With thousands of tweets that
            # memory is cold on every event, and a list of floats and ints is
            # about five times the size.
            samples = state.samples = array("d", samples)  # type: ignore[union-attr]
        self.samples = samples
        self.next = self.rule.next_above(self.mark) if self.field is not None and state is not None else None

    def set_mark(self, mark: int) -> None:
        """A milestone rule's new high-water mark, in the state entry and here."""
        self.state.mark = self.mark = mark  # type: ignore[union-attr]
        self.next = self.rule.next_above(mark)


class TweetPlan:
    """Everything an engagement event on one tweet's topic touches."""

    __slots__ = (
        "has_gain", "history", "hkey", "hmarked", "key", "marked", "next_sample", "rules", "skey", "snap", "stored",
    )

    def __init__(self, tweet_id: str) -> None:
        self.key = tweet_id
        self.skey = snapshot_key(tweet_id)
        self.rules: Any = []
        self.has_gain = False
        # The tweet's snapshot, held here to spare a lookup per event; it is
        # entered in the state (``stored``) once it holds something.
        self.snap: dict = {}
        self.stored = False
        # The EngineState dirty set (one per take_dirty round) in which the
        # snapshot was last marked as changed.
        self.marked: set | None = None
        # The tweet's counts over time (see rules.history), and when the next
        # sample is due: an event before then takes none.
        self.hkey = history_key(tweet_id)
        self.history: array | None = None
        self.hmarked: set | None = None  # as ``marked``, for the history
        self.next_sample = 0.0


class DMPlan:
    __slots__ = ("key", "rules", "typing")

    def __init__(self, conversation_id: str, typing: bool) -> None:
        self.key = conversation_id
        self.typing = typing
        self.rules: Any = []
