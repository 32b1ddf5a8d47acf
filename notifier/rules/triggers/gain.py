"""``gain:`` rules: fire when a count rose by an amount within a time window."""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...alert import Alert
from ...durations import format_duration
from .. import texts
from ..engine_state import EngineState, RuleEntry
from ..model import Gain, Rule, field_label
from .base import CompiledRule

if TYPE_CHECKING:  # pragma: no cover
    from ..plans import Watch

__all__ = ["GAIN_BUCKETS", "GainRule"]


# Gain samples are kept at this many buckets per window (two samples per
# bucket at most, the first and the last), whatever the event rate.
GAIN_BUCKETS = 32


class GainRule(CompiledRule):
    __slots__ = ("amount", "field", "label", "rearm", "width", "within", "within_text")

    def __init__(self, rule: Rule) -> None:
        super().__init__(rule, "gain", "warning")
        trigger = rule.trigger
        assert isinstance(trigger, Gain)
        self.field = trigger.field
        self.label = field_label(trigger.field)
        self.amount = trigger.amount
        self.within = trigger.within
        self.within_text = format_duration(trigger.within, words=True)
        self.width = trigger.within / GAIN_BUCKETS
        self.rearm = rule.rearm_when
        # The rise depends on time as well as on the count: every event of the
        # tweet is a sample, so gain rules always run.
        self.always = True
        if rule.chart:
            self.chart_field = trigger.field

    def chart_extras(self, fields: Mapping[str, object], now: float) -> dict[str, Any]:
        """The window the rise was measured over is shaded."""
        extras = super().chart_extras(fields, now)
        extras["window"] = (now - self.within, now)
        return extras

    def sample(self, samples: array, now: float, value: float) -> float:
        """Add a sample, forget what the window no longer needs; the rise over the window."""
        last = samples[-2]
        if now < last:
            now = last  # a clock that steps back (a replay) must not disorder the samples
        width = self.width
        bucket = now // width
        if len(samples) >= 4 and last // width == bucket and samples[-4] // width == bucket:
            # Keep the first and the last sample of each bucket: memory is
            # bounded by the window, not by the event rate.
            samples[-2] = now
            samples[-1] = value
        else:
            samples.append(now)
            samples.append(value)
        horizon = now - self.within
        # Keep exactly one sample at or before the horizon: the left end for interpolation.
        if len(samples) > 2 and samples[2] <= horizon:
            drop = 2
            count = len(samples)
            while drop + 2 < count and samples[drop + 2] <= horizon:
                drop += 2
            del samples[:drop]
        t0 = samples[0]
        if t0 <= horizon and len(samples) >= 4:
            t1 = samples[2]
            v0 = samples[1]
            return value - (v0 + (samples[3] - v0) * (horizon - t0) / (t1 - t0))
        # Nothing that old yet: the oldest sample is the baseline, so the rise
        # is a lower bound and a firing is never wrong.
        return value - samples[1]

    def run(
        self, watch: Watch, memory: EngineState, dirty: set, topic: str, key: str, snap: dict, now: float,
        explain: list | None,
    ) -> Alert | None:
        value = snap.get(self.field)
        if value is None:
            if explain is not None:
                self.decide(explain, topic, key, "unknown", None, texts.not_known(self.label),
                            {self.field: None})
            return None
        if watch.marked is not dirty:  # the samples change on every event: mark them once a round
            watch.marked = dirty
            dirty.add(watch.rkey)
        state = watch.state
        if state is None:
            state = memory.add_rule_entry(watch.rkey, RuleEntry.sampling(array("d", (now, value))))
            watch.attach(state)
            if explain is not None:
                self.decide(explain, topic, key, "initial", False,
                            texts.gain_first(value, self.label), {self.field: value, "gain": 0})
            return None
        gain = self.sample(watch.samples, now, value)
        rose = gain >= self.amount
        if watch.armed:
            if rose:
                return self.matched(watch, state, topic, key, snap, now, explain, value, gain)
        elif not rose:
            return self.maybe_rearm(watch, state, topic, key, snap, explain, value, gain)
        if explain is not None:
            values = {self.field: value, "gain": gain}
            if watch.armed:
                self.decide(explain, topic, key, "no_match", False,
                            texts.gain_short(self.label, gain, self.within_text, self.amount), values)
            elif state.fired_once:
                self.decide(explain, topic, key, "once", True, texts.ONCE, values)
            else:
                self.decide(explain, topic, key, "waiting", True,
                            texts.gain_rising(self.label, gain, self.within_text, self.amount), values)
        return None

    def matched(
        self, watch: Watch, state: RuleEntry, topic: str, key: str, snap: dict, now: float,
        explain: list | None, value: int, gain: float,
    ) -> Alert | None:
        values = {self.field: value, "gain": gain}
        if state.fired_once:
            self.decide(explain, topic, key, "once", True, texts.ONCE, values)
            return None
        watch.armed = state.armed = False
        if self.cooling(state, now):
            self.decide(explain, topic, key, "cooldown", True, self.hold_back(state, now), values)
            return None
        return self.fire(state, topic, key, now, self.values(key, snap, gain))

    def maybe_rearm(
        self, watch: Watch, state: RuleEntry, topic: str, key: str, snap: dict, explain: list | None,
        value: int, gain: float,
    ) -> None:
        values = {self.field: value, "gain": gain}
        if state.fired_once:
            self.decide(explain, topic, key, "once", False, texts.ONCE, values)
        elif self.rearm is None or self.rearm({**snap, "gain": gain}) is True:
            watch.armed = state.armed = True
            self.decide(explain, topic, key, "rearmed", False,
                        texts.gain_rearmed(self.label, gain, self.within_text), values)
        else:
            self.decide(explain, topic, key, "waiting", False,
                        texts.rearm_pending(self.rearm.source), values)
        return None

    def values(self, key: str, snap: Mapping[str, object], gain: float) -> dict[str, Any]:
        values = self.tweet_values(key, snap)
        values["gain"] = int(gain)
        values["within"] = self.within_text
        values["field"] = self.label
        return values

    valid = staticmethod(RuleEntry.valid_sampling)
