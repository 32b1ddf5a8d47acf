"""The rule engine: events in, alerts out, nothing else.

``Engine.process(topic, payload, now)`` is pure: no I/O and no clock (``now`` is
passed in). Everything it remembers lives in an :class:`EngineState` that the
daemon saves and restores.

Rules are indexed by topic when the engine is built, so an event only reaches
the rules watching its topic; and a rule whose fields did not change in an
event is not evaluated at all (its answer cannot have changed), which keeps
the cost per event flat however many rules there are.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..alert import Alert
from ..stream.events import Payload
from ..stream.topics import Topic
from .model import COUNT_FIELDS, FIELDS, Every, Gain, Milestones, On, Rule, RuleSet, When, field_label
from .engine_state import EngineState, RuleEntry, is_snapshot_key, rule_key, snapshot_key, valid_snapshot
from .templates import Template, compile_template, event_time, held_back_note, human_duration

__all__ = ["GAIN_BUCKETS", "Decision", "Engine"]

# Gain samples are kept at this many buckets per window (two samples per
# bucket at most, the first and the last), whatever the event rate.
GAIN_BUCKETS = 32

# Bit per snapshot field, to skip rules whose fields an event did not change.
# Engine._engagement spells these out as literals (1, 2, 4, ...) in this order.
_BITS = {name: 1 << index for index, name in enumerate(FIELDS)}
if list(_BITS) != ["likes", "retweets", "replies", "quotes", "views", "view_state"]:  # pragma: no cover
    raise ImportError("notifier.rules.model.FIELDS changed order; update Engine.process")
_ALWAYS = 64  # the bit of rules that run on every event of their tweet (gain)
_ALL = 127
_NEVER = float("inf")

_SINGULAR = {"likes": "like", "reposts": "repost", "replies": "reply", "quotes": "quote", "views": "view"}


@dataclass(frozen=True, slots=True)
class Decision:
    """Why a rule did or did not fire for one event (``explain``).

    ``outcome`` is one of ``fired``, ``no_match``, ``unknown`` (a value is not
    known yet), ``initial`` (first observation: state set, nothing announced),
    ``waiting`` (still true since it last fired; waits to re-arm), ``rearmed``,
    ``cooldown`` (matched, held back by the cooldown), ``once`` (fired once
    already), ``announced`` (no milestone above the ones announced) or ``own``
    (a DM event from the account itself). ``matched`` says whether the trigger's
    condition held (None when unknown).
    """

    rule: str
    topic: str
    key: str
    outcome: str
    matched: bool | None
    detail: str
    values: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.rule} [{self.key}]: {self.outcome} — {self.detail}"


def _counts_line(snapshot: Mapping[str, object]) -> str:
    parts = []
    for name in COUNT_FIELDS:
        value = snapshot.get(name)
        if value is not None:
            label = field_label(name)
            parts.append(f"{value:,} {_SINGULAR[label] if value == 1 else label}")
    return " · ".join(parts) if parts else "no counts known yet"


# ------------------------------------------------------------ default texts

_TWEET = {"rule": "text", "tweet_id": "text", "url": "text", "time": "time", "counts": "text"}
_DM = {"rule": "text", "conversation_id": "text", "user_id": "text", "url": "text", "time": "time"}
_DEFAULTS: dict[str, tuple[Template, Template]] = {
    "when": (
        compile_template("{rule}", _TWEET),
        compile_template("Now {counts} ({condition}).\n{url}", {**_TWEET, "condition": "text"}),
    ),
    "milestone": (
        compile_template("Tweet passed {milestone:,} {field}", {"milestone": "int", "field": "text"}),
        compile_template("Now {counts}.\n{url}", _TWEET),
    ),
    "gain": (
        compile_template("Tweet gained {gain:,} {field} in {within}",
                         {"gain": "int", "field": "text", "within": "text"}),
        compile_template("Now {counts}.\n{url}", _TWEET),
    ),
    "message": (
        compile_template("New direct message", _DM),
        compile_template("User {user_id} wrote in conversation {conversation_id}.\n{url}", _DM),
    ),
    "typing": (
        compile_template("Someone is typing a direct message", _DM),
        compile_template("User {user_id} is typing in conversation {conversation_id}.\n{url}", _DM),
    ),
}


# -------------------------------------------------------------- rule logic


class _Compiled:
    """A rule ready to run: its trigger logic, templates and identity."""

    __slots__ = (
        "always", "cooldown", "initial", "kind", "mask", "name", "notify", "notify_type",
        "once", "rid", "rule", "title", "message", "urgent",
    )

    def __init__(self, rule: Rule, texts: str, notify_type: str) -> None:
        self.rule = rule
        self.name = rule.name
        self.rid = rule.identity
        self.kind = rule.kind
        self.cooldown = rule.cooldown
        self.once = rule.once
        self.initial = rule.initial_fire
        self.notify = rule.notify
        self.notify_type = notify_type
        self.urgent = rule.urgent
        default_title, default_message = _DEFAULTS[texts]
        self.title = rule.title or default_title
        self.message = rule.message or default_message
        self.mask = 0
        self.always = False

    def decide(
        self, explain: list | None, topic: str, key: str, outcome: str, matched: bool | None,
        detail: str, values: Mapping[str, object],
    ) -> None:
        if explain is not None:
            explain.append(Decision(self.name, topic, key, outcome, matched, detail, dict(values)))

    def cooling(self, state: RuleEntry, now: float) -> bool:
        last = state.last_fired
        return last is not None and self.cooldown > 0 and now - last < self.cooldown

    def hold_back(self, state: RuleEntry, now: float) -> str:
        """Count a match the cooldown suppressed; the detail for explanations."""
        state.hold_back(now)
        left = self.cooldown - (now - state.last_fired)  # type: ignore[operator]
        return f"matched, held back by the cooldown ({human_duration(left)} left)"

    def fire(
        self, state: RuleEntry | None, topic: str, key: str, now: float, values: dict[str, Any],
    ) -> Alert:
        suppressed, since = 0, None
        if state is not None:
            suppressed, since = state.record_firing(now, self.once)
        values["time"] = event_time(now)
        title = self.title.render(values)
        message = self.message.render(values)
        fields = {name: value for name, value in values.items() if name != "time"}
        fields["time"] = values["time"].isoformat()
        if suppressed:
            fields["suppressed"] = suppressed
            fields["suppressed_since"] = since
            # Whatever the template, the reader learns what the cooldown held back.
            message = f"{message}\n{held_back_note(suppressed, since, now)}"
        return Alert(
            rule=self.name, topic=topic, key=key, title=title, message=message,
            targets=self.notify, ts=now, kind=self.kind, notify_type=self.notify_type,
            urgent=self.urgent, fields=fields,
        )

    def tweet_values(self, key: str, snapshot: Mapping[str, object]) -> dict[str, Any]:
        values: dict[str, Any] = dict(snapshot)
        values["rule"] = self.name
        values["tweet_id"] = key
        values["url"] = f"https://x.com/i/status/{key}"
        values["counts"] = _counts_line(snapshot)
        return values

    # Whether a saved entry has the shape this rule kind writes.
    valid = staticmethod(RuleEntry.valid_timing)


class _WhenRule(_Compiled):
    __slots__ = ("condition", "fast", "rearm")

    def __init__(self, rule: Rule) -> None:
        super().__init__(rule, "when", "info")
        assert isinstance(rule.trigger, When)
        self.condition = rule.trigger.condition
        self.fast = self.condition.fast
        self.rearm = rule.rearm_when
        names = set(self.condition.names) | (set(self.rearm.names) if self.rearm else set())
        self.mask = sum(_BITS[name] for name in names)

    def run(
        self, watch: _Watch, memory: EngineState, dirty: set, topic: str, key: str, snap: dict, now: float,
        explain: list | None,
    ) -> Alert | None:
        try:
            value = self.fast(snap)
        except KeyError:
            value = self.condition.kleene(snap)
        state = watch.state
        if state is not None:
            if watch.armed:
                if value:
                    return self.matched(watch, state, dirty, topic, key, snap, now, explain)
            elif not value:
                return self.maybe_rearm(watch, state, dirty, topic, key, snap, explain)
            if explain is not None:
                self.explain_steady(state, value, topic, key, snap, explain)
            return None
        if value is None:
            if explain is not None:
                self.decide(explain, topic, key, "unknown", None,
                            f"{self.condition.source}: not known yet", self.condition.values(snap))
            return None
        # The first observation with a known answer only sets the state.
        state = memory.add_rule_entry(watch.rkey, RuleEntry.edge(not value))
        watch.attach(state)
        if value and self.initial:
            watch.armed = state.armed = False
            return self.fire(state, topic, key, now, self.values(key, snap))
        if explain is not None:
            source = self.condition.source
            detail = (
                f"first observation: {source} already holds; not announced (initial: fire would)"
                if value else f"first observation: {source} is false; armed"
            )
            self.decide(explain, topic, key, "initial", bool(value), detail, self.condition.values(snap))
        return None

    def matched(
        self, watch: _Watch, state: RuleEntry, dirty: set, topic: str, key: str, snap: dict, now: float,
        explain: list | None,
    ) -> Alert | None:
        """Armed and true: fire, unless once or the cooldown holds it back."""
        values = self.condition.values(snap) if explain is not None else {}
        if state.fired_once:
            self.decide(explain, topic, key, "once", True, "already fired once (once: true)", values)
            return None
        watch.armed = state.armed = False
        dirty.add(watch.rkey)
        if self.cooling(state, now):
            self.decide(explain, topic, key, "cooldown", True, self.hold_back(state, now), values)
            return None
        return self.fire(state, topic, key, now, self.values(key, snap))

    def maybe_rearm(
        self, watch: _Watch, state: RuleEntry, dirty: set, topic: str, key: str, snap: dict,
        explain: list | None,
    ) -> None:
        """Disarmed and false: re-arm, and with rearm_when only when that holds too."""
        if state.fired_once:
            if explain is not None:
                self.decide(explain, topic, key, "once", False, "already fired once (once: true)",
                            self.condition.values(snap))
            return None
        if self.rearm is None or self.rearm(snap) is True:
            watch.armed = state.armed = True
            dirty.add(watch.rkey)
            if explain is not None:
                self.decide(explain, topic, key, "rearmed", False,
                            f"{self.condition.source} is false again; armed", self.condition.values(snap))
            return None
        if explain is not None:
            values = self.condition.values(snap)
            values.update(self.rearm.values(snap))
            self.decide(explain, topic, key, "waiting", False,
                        f"{self.condition.source} is false, but rearm_when ({self.rearm.source}) "
                        "does not hold yet", values)
        return None

    def explain_steady(
        self, state: RuleEntry, value: bool | None, topic: str, key: str, snap: dict, explain: list,
    ) -> None:
        """Nothing changes: armed and false, or disarmed and still true."""
        source = self.condition.source
        if state.armed:
            detail = f"{source} is {'unknown' if value is None else 'false'}"
            self.decide(explain, topic, key, "no_match", value, detail, self.condition.values(snap))
        elif state.fired_once:
            self.decide(explain, topic, key, "once", value, "already fired once (once: true)",
                        self.condition.values(snap))
        else:
            self.decide(explain, topic, key, "waiting", value,
                        f"{source} still holds since it fired; re-arms when it is false",
                        self.condition.values(snap))

    def values(self, key: str, snap: Mapping[str, object]) -> dict[str, Any]:
        values = self.tweet_values(key, snap)
        values["condition"] = self.condition.source
        return values

    valid = staticmethod(RuleEntry.valid_edge)


class _MilestoneRule(_Compiled):
    __slots__ = ("field", "label", "marks", "step")

    def __init__(self, rule: Rule) -> None:
        super().__init__(rule, "milestone", "success")
        trigger = rule.trigger
        assert isinstance(trigger, (Every, Milestones))
        self.field = trigger.field
        self.label = field_label(trigger.field)
        self.mask = _BITS[trigger.field]
        self.step = trigger.step if isinstance(trigger, Every) else 0
        self.marks = trigger.values if isinstance(trigger, Milestones) else ()

    def next_above(self, mark: object) -> int | float | None:
        """The least count at which an event crosses a milestone above ``mark``.

        Below it an event changes nothing, which the engine checks without
        calling :meth:`run`; None when that shortcut does not apply (a mark
        that is not a plain non-negative int, as only a damaged state has).
        """
        if mark.__class__ is not int or mark < 0:  # type: ignore[operator]
            return None
        if self.step:
            return (mark // self.step + 1) * self.step  # type: ignore[operator]
        index = bisect_right(self.marks, mark)  # type: ignore[arg-type]
        return self.marks[index] if index < len(self.marks) else _NEVER

    def highest(self, value: int) -> int:
        """The highest milestone at or below ``value`` (0 for none)."""
        if self.step:
            return value // self.step * self.step
        index = bisect_right(self.marks, value)
        return self.marks[index - 1] if index else 0

    def run(
        self, watch: _Watch, memory: EngineState, dirty: set, topic: str, key: str, snap: dict, now: float,
        explain: list | None,
    ) -> Alert | None:
        value = snap.get(self.field)
        if value is None:
            if explain is not None:
                self.decide(explain, topic, key, "unknown", None, f"{self.label}: not known yet",
                            {self.field: None})
            return None
        step = self.step
        reached = value // step * step if step else self.highest(value)
        state = watch.state
        if state is not None:
            if reached <= watch.mark:
                if explain is not None:
                    self.explain_below(watch.mark, value, topic, key, explain)
                return None
            return self.crossed(watch, state, dirty, topic, key, snap, now, explain, value, reached)
        # The first observation: the mark is what was already reached, unannounced.
        state = memory.add_rule_entry(watch.rkey, RuleEntry.milestone(reached))
        watch.attach(state)
        if reached and self.initial:
            return self.fire(state, topic, key, now, self.values(key, snap, reached))
        if explain is not None:
            detail = (
                f"first observation at {value:,} {self.label}: {reached:,} already reached, "
                "not announced (initial: fire would)" if reached
                else f"first observation at {value:,} {self.label}: no milestone reached yet"
            )
            self.decide(explain, topic, key, "initial", bool(reached), detail,
                        {self.field: value, "milestone": reached})
        return None

    def crossed(
        self, watch: _Watch, state: RuleEntry, dirty: set, topic: str, key: str, snap: dict, now: float,
        explain: list | None, value: int, reached: int,
    ) -> Alert | None:
        """A milestone above the mark: announce the highest one reached."""
        values = {self.field: value, "milestone": reached}
        if state.fired_once:
            self.decide(explain, topic, key, "once", True, "already fired once (once: true)", values)
            return None
        watch.set_mark(reached)
        dirty.add(watch.rkey)
        if self.cooling(state, now):
            detail = f"{reached:,} {self.label} {self.hold_back(state, now)}"
            self.decide(explain, topic, key, "cooldown", True, detail, values)
            return None
        return self.fire(state, topic, key, now, self.values(key, snap, reached))

    def explain_below(self, mark: int, value: int, topic: str, key: str, explain: list) -> None:
        if mark:
            detail = f"{value:,} {self.label}: {mark:,} already announced, no milestone above it"
        else:
            detail = f"{value:,} {self.label}: no milestone reached yet"
        self.decide(explain, topic, key, "announced" if mark else "no_match", False, detail,
                    {self.field: value, "announced": mark})

    def values(self, key: str, snap: Mapping[str, object], milestone: int) -> dict[str, Any]:
        values = self.tweet_values(key, snap)
        values["milestone"] = milestone
        values["field"] = self.label
        return values

    valid = staticmethod(RuleEntry.valid_milestone)


class _GainRule(_Compiled):
    __slots__ = ("amount", "field", "label", "rearm", "width", "within", "within_text")

    def __init__(self, rule: Rule) -> None:
        super().__init__(rule, "gain", "warning")
        trigger = rule.trigger
        assert isinstance(trigger, Gain)
        self.field = trigger.field
        self.label = field_label(trigger.field)
        self.amount = trigger.amount
        self.within = trigger.within
        self.within_text = human_duration(trigger.within)
        self.width = trigger.within / GAIN_BUCKETS
        self.rearm = rule.rearm_when
        # The rise depends on time as well as on the count: every event of the
        # tweet is a sample, so gain rules always run.
        self.always = True

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
        self, watch: _Watch, memory: EngineState, dirty: set, topic: str, key: str, snap: dict, now: float,
        explain: list | None,
    ) -> Alert | None:
        value = snap.get(self.field)
        if value is None:
            if explain is not None:
                self.decide(explain, topic, key, "unknown", None, f"{self.label}: not known yet",
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
                            f"first sample: {value:,} {self.label}", {self.field: value, "gain": 0})
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
                            f"{self.label} rose by {gain:,.0f} in {self.within_text}, "
                            f"less than {self.amount:,g}", values)
            elif state.fired_once:
                self.decide(explain, topic, key, "once", True, "already fired once (once: true)", values)
            else:
                self.decide(explain, topic, key, "waiting", True,
                            f"{self.label} still rising fast ({gain:,.0f} in {self.within_text}); "
                            f"re-arms below {self.amount:,g}", values)
        return None

    def matched(
        self, watch: _Watch, state: RuleEntry, topic: str, key: str, snap: dict, now: float,
        explain: list | None, value: int, gain: float,
    ) -> Alert | None:
        values = {self.field: value, "gain": gain}
        if state.fired_once:
            self.decide(explain, topic, key, "once", True, "already fired once (once: true)", values)
            return None
        watch.armed = state.armed = False
        if self.cooling(state, now):
            self.decide(explain, topic, key, "cooldown", True, self.hold_back(state, now), values)
            return None
        return self.fire(state, topic, key, now, self.values(key, snap, gain))

    def maybe_rearm(
        self, watch: _Watch, state: RuleEntry, topic: str, key: str, snap: dict, explain: list | None,
        value: int, gain: float,
    ) -> None:
        values = {self.field: value, "gain": gain}
        if state.fired_once:
            self.decide(explain, topic, key, "once", False, "already fired once (once: true)", values)
        elif self.rearm is None or self.rearm({**snap, "gain": gain}) is True:
            watch.armed = state.armed = True
            self.decide(explain, topic, key, "rearmed", False,
                        f"{self.label} rose by {gain:,.0f} in {self.within_text}; armed again", values)
        else:
            self.decide(explain, topic, key, "waiting", False,
                        f"rearm_when ({self.rearm.source}) does not hold yet", values)
        return None

    def values(self, key: str, snap: Mapping[str, object], gain: float) -> dict[str, Any]:
        values = self.tweet_values(key, snap)
        values["gain"] = int(gain)
        values["within"] = self.within_text
        values["field"] = self.label
        return values

    valid = staticmethod(RuleEntry.valid_sampling)


class _DMRule(_Compiled):
    __slots__ = ("typing",)

    def __init__(self, rule: Rule) -> None:
        trigger = rule.trigger
        assert isinstance(trigger, On)
        super().__init__(rule, trigger.event, "info")
        self.typing = trigger.event == "typing"

    def run_dm(
        self, memory: EngineState, own_user_id: str | None, topic: str, key: str, rkey: str, user_id: str,
        now: float, explain: list | None,
    ) -> Alert | None:
        if own_user_id and user_id == own_user_id:
            if explain is not None:
                self.decide(explain, topic, key, "own", False, "sent by this account itself",
                            {"user_id": user_id})
            return None
        state = memory.rule_entry(rkey)
        if state is not None:
            if state.fired_once:
                if explain is not None:
                    self.decide(explain, topic, key, "once", True, "already fired once (once: true)",
                                {"user_id": user_id})
                return None
            if self.cooling(state, now):
                detail = self.hold_back(state, now)
                memory.changes.add(rkey)
                self.decide(explain, topic, key, "cooldown", True, detail, {"user_id": user_id})
                return None
        elif self.cooldown > 0 or self.once:
            # Only a cooldown or once needs memory; plain DM rules keep none.
            state = memory.add_rule_entry(rkey, RuleEntry())
        if state is not None:
            memory.changes.add(rkey)
        values: dict[str, Any] = {
            "rule": self.name, "conversation_id": key, "user_id": user_id,
            "url": f"https://x.com/messages/{key}",
        }
        return self.fire(state, topic, key, now, values)


def _compile(rule: Rule) -> _Compiled:
    trigger = rule.trigger
    if isinstance(trigger, When):
        return _WhenRule(rule)
    if isinstance(trigger, (Every, Milestones)):
        return _MilestoneRule(rule)
    if isinstance(trigger, Gain):
        return _GainRule(rule)
    return _DMRule(rule)


# ------------------------------------------------------------------ plans


class _Watch:
    """One rule watching one tweet: all an event needs of the pair, in one small object.

    Keeping the pair's state here, next to the rule and its mask, matters more
    than it looks: with thousands of tweets, what an event costs is mostly the
    memory it has to fetch, so the loop over a tweet's rules touches as few
    objects as it can.
    """

    __slots__ = ("armed", "fast", "field", "mark", "marked", "mask", "next", "rkey", "rule", "samples", "state")

    def __init__(self, rule: _Compiled, rkey: str, mask: int) -> None:
        self.rule: Any = rule
        self.mask = mask
        self.rkey = rkey
        # What Engine.process needs to see that an event changes nothing for
        # the pair without calling the rule: a when rule's condition, a
        # milestone rule's field and next threshold.
        self.fast = rule.fast if isinstance(rule, _WhenRule) else None
        self.field = rule.field if isinstance(rule, _MilestoneRule) else None
        self.marked: set | None = None  # as _TweetPlan.marked
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


class _TweetPlan:
    """Everything an engagement event on one tweet's topic touches."""

    __slots__ = ("has_gain", "key", "marked", "rules", "skey", "snap", "stored")

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


class _DMPlan:
    __slots__ = ("key", "rules", "typing")

    def __init__(self, conversation_id: str, typing: bool) -> None:
        self.key = conversation_id
        self.typing = typing
        self.rules: Any = []


class Engine:
    """Judge stream events against a rule set; see :meth:`process`.

    ``state`` (saved entries, e.g. ``EngineState.from_entries(rows)``) is taken
    over: entries that no rule reads, or that do not have the shape their rule
    writes, are dropped at once. A state belongs to one engine at a time.
    ``own_user_id`` is the account's user id: its own DMs never alert.
    """

    def __init__(
        self, ruleset: RuleSet, state: EngineState | None = None, *, own_user_id: str | None = None,
    ) -> None:
        self._state = state if state is not None else EngineState()
        self.own_user_id = own_user_id
        self._ruleset = ruleset
        self._plans: dict[str, _TweetPlan | _DMPlan] = {}
        self._install(ruleset)

    @property
    def state(self) -> EngineState:
        return self._state

    @property
    def ruleset(self) -> RuleSet:
        return self._ruleset

    def replace_rules(self, ruleset: RuleSet) -> None:
        """Switch to new rules; rules with the same name and trigger keep their state.

        State of removed or changed rules, of tweets and conversations no rule
        watches any more, is deleted (and reported by ``take_dirty``).
        """
        self._ruleset = ruleset
        self._install(ruleset)

    def _install(self, ruleset: RuleSet) -> None:
        plans: dict[str, _TweetPlan | _DMPlan] = {}
        validators: dict[str, Callable[[dict], bool]] = {}
        conditions: dict[str, Callable] = {}
        for rule in ruleset.rules:
            compiled = _compile(rule)
            if isinstance(compiled, _WhenRule):
                # Rules with the same condition share one compiled function:
                # fewer objects for an event to fetch from memory.
                compiled.fast = conditions.setdefault(compiled.condition.canonical, compiled.fast)
            for key in rule.keys:
                rkey = rule_key(compiled.rid, key)
                validators[rkey] = compiled.valid
                if isinstance(compiled, _DMRule):
                    typing = compiled.typing
                    topic = Topic.dm_typing(key) if typing else Topic.dm_update(key)
                    plan = plans.get(topic)
                    if plan is None:
                        plan = plans[topic] = _DMPlan(key, typing)
                else:
                    topic = Topic.tweet_engagement(key)
                    plan = plans.get(topic)
                    if plan is None:
                        plan = plans[topic] = _TweetPlan(key)
                    plan.has_gain = plan.has_gain or compiled.always
                    plan.rules.append(_Watch(compiled, rkey, compiled.mask | (_ALWAYS if compiled.always else 0)))
                    continue
                plan.rules.append((compiled, rkey))
        for plan in plans.values():
            plan.rules = tuple(plan.rules)
        snapshots = {plan.skey for plan in plans.values() if isinstance(plan, _TweetPlan)}
        # Drop what no rule reads any more, or what does not have the shape its
        # rule writes (state saved by another version, a damaged row).
        def keep(key: str, entry: dict) -> bool:
            if is_snapshot_key(key):
                return key in snapshots and valid_snapshot(entry)
            valid = validators.get(key)
            return valid is not None and valid(entry)

        memory = self._state
        memory.retain(keep)
        for plan in plans.values():
            if isinstance(plan, _TweetPlan):
                saved = memory.snapshot(plan.skey)
                plan.snap, plan.stored = (saved, True) if saved is not None else ({}, False)
                for watch in plan.rules:
                    watch.attach(memory.rule_entry(watch.rkey))
        self._plans = plans

    def process(
        self, topic: str, payload: Payload, now: float, explain: list | None = None,
    ) -> list[Alert]:
        """The alerts one stream event causes, at time ``now`` (epoch seconds).

        When ``explain`` is a list, one :class:`Decision` per rule watching the
        topic is appended to it, saying what the rule made of the event.
        """
        plan = self._plans.get(topic)
        if plan is None:
            return []
        if plan.__class__ is not _TweetPlan:
            return self._dm(plan, topic, payload, now, explain)  # type: ignore[arg-type]
        event = payload.tweet_engagement
        if event is None:
            return []
        # This is the hot path: merge the fields the message carried (the
        # others are None) into the snapshot, noting which changed.
        memory = self._state
        dirty = memory.changes
        snap = plan.snap
        changed = 0
        value = event.like_count
        if value is not None and snap.get("likes") != value:
            snap["likes"] = value
            changed = 1
        value = event.retweet_count
        if value is not None and snap.get("retweets") != value:
            snap["retweets"] = value
            changed |= 2
        value = event.reply_count
        if value is not None and snap.get("replies") != value:
            snap["replies"] = value
            changed |= 4
        value = event.quote_count
        if value is not None and snap.get("quotes") != value:
            snap["quotes"] = value
            changed |= 8
        value = event.view_count
        if value is not None and snap.get("views") != value:
            snap["views"] = value
            changed |= 16
        value = event.view_count_state
        if value is not None and snap.get("view_state") != value:
            snap["view_state"] = value
            changed |= 32
        if changed:
            if not plan.stored:
                memory.store_snapshot(plan.skey, snap)
                plan.stored = True
            if plan.marked is not dirty:
                plan.marked = dirty
                dirty.add(plan.skey)
        elif not plan.has_gain and explain is None:
            return []
        # A rule runs when one of its fields changed; gain rules (bit 64) on
        # every event; with explain, all of them.
        bits = _ALL if explain is not None else changed | _ALWAYS
        alerts = []
        key = plan.key
        if explain is not None:
            for watch in plan.rules:
                if watch.mask & bits:
                    alert = watch.rule.run(watch, memory, dirty, topic, key, snap, now, explain)
                    if alert is not None:
                        alerts.append(alert)
            return alerts
        for watch in plan.rules:
            if watch.mask & bits:
                # Most events change nothing for most rules: an armed when
                # rule whose condition is false, a disarmed one whose
                # condition still holds, a count below the next milestone.
                # Those are seen here, without calling the rule.
                fast = watch.fast
                if fast is not None:
                    armed = watch.armed
                    if armed is not None:
                        try:
                            if (not fast(snap)) is armed:
                                continue
                        except KeyError:  # a value is not known yet: unknown counts as false
                            if (not watch.rule.condition.kleene(snap)) is armed:
                                continue
                else:
                    threshold = watch.next
                    if threshold is not None:
                        value = snap.get(watch.field)
                        if value is None or value < threshold:
                            continue
                alert = watch.rule.run(watch, memory, dirty, topic, key, snap, now, None)
                if alert is not None:
                    alerts.append(alert)
        return alerts

    def _dm(self, plan: _DMPlan, topic: str, payload: Payload, now: float, explain: list | None) -> list[Alert]:
        event = payload.dm_typing if plan.typing else payload.dm_update
        if event is None:
            return []
        alerts = []
        for compiled, rkey in plan.rules:
            alert = compiled.run_dm(self._state, self.own_user_id, topic, plan.key, rkey, event.user_id, now, explain)
            if alert is not None:
                alerts.append(alert)
        return alerts
