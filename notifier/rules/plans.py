"""What the engine builds from a rule set: per topic, the rules an event reaches.

A :class:`TweetPlan` holds a tweet's snapshot and one :class:`Watch` per rule
on it; a :class:`DMPlan` holds the rules of one conversation's messages or
typing.

A tweet's plan also keeps, per count, the *quiet band*: the range of values
in which an event changes nothing for any of its threshold and milestone
rules (the rules whose answer depends on one count alone). An event whose
counts stay within their bands does not visit those rules at all; only the
rules in :attr:`TweetPlan.always` run: gain rules, conditions on several
counts or on text, and a rule that has no band for now. The bands are worked
out again after an event that left one, or that changed the state of a rule
that has a band.
"""

from __future__ import annotations

import math
from array import array
from typing import Any

from .engine_state import RuleEntry, history_key, snapshot_key
from .model import COUNT_FIELDS
from .triggers import CompiledRule, MilestoneRule, WhenRule

__all__ = ["DMPlan", "TweetPlan", "Watch"]

# The open ends of the quiet bands, one object each: every event compares its
# counts with its post's bounds, and a shared object is one already in cache.
_LOWEST = -math.inf
_HIGHEST = math.inf



class Watch:
    """One rule watching one tweet: all an event needs of the pair, in one small object.

    Keeping the pair's state here, next to the rule and its mask, matters more
    than it looks: with thousands of tweets, what an event costs is mostly the
    memory it has to fetch, so the loop over a tweet's rules touches as few
    objects as it can.
    """

    __slots__ = (
        "armed", "column", "fast", "field", "mark", "marked", "mask", "next", "rkey", "rule", "samples", "state",
    )

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
        # The one count the pair's answer depends on, when there is one (a
        # milestone's, a condition that compares one count with a number): the
        # pair then has a quiet band on it (see the module's docstring).
        truth = rule.truth if isinstance(rule, WhenRule) else None
        banded = self.field if self.field is not None else truth[0] if truth is not None else None
        self.column = COUNT_FIELDS.index(banded) if banded is not None else None
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

    def quiet(self, value: int | None) -> tuple[float, float] | None:
        """The values of count :attr:`column` for which an event changes nothing for the pair, ``(lo, hi)``.

        Exactly where :meth:`Engine.process <notifier.rules.engine.Engine.process>`'s
        own shortcut skips the pair. None when the pair must run: no state
        yet, a damaged one, or ``value`` (the count now; None if unknown)
        outside the range already, as for a rule waiting for its ``rearm_when``.
        A ``once: true`` rule that has fired never acts again: quiet everywhere.
        """
        if self.state is not None and self.state.fired_once:
            return (_LOWEST, _HIGHEST)
        if self.field is not None:
            # A milestone rule: quiet below the next milestone, and while the count is unknown.
            if self.next is None:
                return None
            band = (_LOWEST, self.next)
            unknown_quiet = True
        else:
            armed = self.armed
            if armed is None:
                return None
            _, lo, hi = self.rule.truth
            if armed:
                # Waiting for the condition: quiet while it is false, or unknown (read as false).
                band = (hi, _HIGHEST) if lo == _LOWEST else (_LOWEST, lo)
                unknown_quiet = True
            else:
                # Fired: quiet while it still holds; unknown, it runs to re-arm.
                band = (_LOWEST, hi) if lo == _LOWEST else (lo, _HIGHEST)
                unknown_quiet = False
        if value is None:
            return band if unknown_quiet else None
        return band if band[0] <= value < band[1] else None


class TweetPlan:
    """Everything an engagement event on one tweet's topic touches."""

    __slots__ = (
        "always", "has_gain", "history", "hkey", "hmarked", "key", "marked", "next_sample", "rules", "skey", "snap",
        "stored",
        # The quiet band of each count, [lo, hi): see the module's docstring.
        "band_likes_lo", "band_likes_hi", "band_retweets_lo", "band_retweets_hi", "band_replies_lo",
        "band_replies_hi", "band_quotes_lo", "band_quotes_hi", "band_views_lo", "band_views_hi",
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
        # The rules an event visits even within the bands: gain rules,
        # conditions on several counts or on text, and rules with no band now
        # (no state yet, or a count outside their own range). Until the first
        # reband, every band is empty and every rule visited.
        self.always: tuple[Watch, ...] = ()
        self.band_likes_lo = self.band_retweets_lo = self.band_replies_lo = _HIGHEST
        self.band_quotes_lo = self.band_views_lo = _HIGHEST
        self.band_likes_hi = self.band_retweets_hi = self.band_replies_hi = _LOWEST
        self.band_quotes_hi = self.band_views_hi = _LOWEST

    def reband(self) -> None:
        """Work out the quiet bands and the rules visited on every event from the rules' state and the counts now."""
        lows = [_LOWEST] * 5
        highs = [_HIGHEST] * 5
        always = []
        snap = self.snap
        for watch in self.rules:
            column = watch.column
            band = watch.quiet(snap.get(COUNT_FIELDS[column])) if column is not None else None
            if band is None:
                always.append(watch)  # in the rules' order, so alerts keep theirs
                continue
            if band[0] > lows[column]:
                lows[column] = band[0]
            if band[1] < highs[column]:
                highs[column] = band[1]
        self.always = tuple(always)
        self.band_likes_lo, self.band_retweets_lo, self.band_replies_lo, self.band_quotes_lo, self.band_views_lo = lows
        self.band_likes_hi, self.band_retweets_hi, self.band_replies_hi, self.band_quotes_hi, self.band_views_hi = highs


class DMPlan:
    __slots__ = ("key", "rules", "typing")

    def __init__(self, conversation_id: str, typing: bool) -> None:
        self.key = conversation_id
        self.typing = typing
        self.rules: Any = []
