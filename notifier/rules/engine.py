"""The rule engine: events in, alerts out, nothing else.

``Engine.process(topic, payload, now)`` is pure: no I/O and no clock (``now`` is
passed in). Everything it remembers lives in an :class:`EngineState` that the
daemon saves and restores.

Rules are indexed by topic when the engine is built, so an event only reaches
the rules watching its topic; and a rule whose fields did not change in an
event is not evaluated at all (its answer cannot have changed), which keeps
the cost per event flat however many rules there are. A post's threshold and
milestone rules are not even visited while its counts stay in their quiet
bands (see :mod:`.plans`).
"""

from __future__ import annotations

import dataclasses
import math
from array import array
from collections.abc import Callable

from ..alert import Alert, Chart
from ..stream.events import Payload
from ..stream.topics import Topic
from .decision import Decision
from .engine_state import (
    EngineState,
    is_history_key,
    is_snapshot_key,
    rule_key,
    snapshot_key,
    valid_snapshot,
)
from .history import INTERVAL, STRIDE, add_sample, points, valid_history
from .model import RuleSet
from .plans import DMPlan, TweetPlan, Watch
from .triggers import ALWAYS, GAIN_BUCKETS, CompiledRule, DMRule, WhenRule, compile_rule

__all__ = ["GAIN_BUCKETS", "Decision", "Engine"]

ALL = 127  # every bit: with explain, every rule runs


class Engine:
    """Judge stream events against a rule set; see :meth:`process`.

    ``state`` (saved entries, e.g. ``EngineState.from_entries(rows)``) is taken
    over: entries of rules that do not exist, or that do not have the shape
    their rule writes, are dropped at once. A state belongs to one engine at a time.
    ``own_user_id`` is the account's user id: its own DMs never alert.
    """

    def __init__(
        self, ruleset: RuleSet, state: EngineState | None = None, *, own_user_id: str | None = None,
    ) -> None:
        self._state = state if state is not None else EngineState()
        self.own_user_id = own_user_id
        self._ruleset = ruleset
        self._plans: dict[str, TweetPlan | DMPlan] = {}
        self._install(ruleset)

    @property
    def state(self) -> EngineState:
        return self._state

    @property
    def ruleset(self) -> RuleSet:
        return self._ruleset

    def replace_rules(self, ruleset: RuleSet, now: float | None = None) -> None:
        """Switch to new rules at ``now`` (the latest event's time; None before any).

        Rules with the same name and trigger keep their state. State of removed
        or changed rules is deleted (and reported by ``take_dirty``). A tweet or
        conversation a kept rule no longer watches keeps its state, which the
        rule finds again if it watches the key again, as after a restart; it is
        deleted once unwatched for ``UNWATCHED_RETENTION`` (see engine_state).
        """
        self._ruleset = ruleset
        self._install(ruleset, now)

    def _install(self, ruleset: RuleSet, now: float | None = None) -> None:
        plans: dict[str, TweetPlan | DMPlan] = {}
        validators: dict[str, Callable[[dict], bool]] = {}
        by_rule: dict[str, Callable[[dict], bool]] = {}
        conditions: dict[str, Callable] = {}
        for rule in ruleset.rules:
            compiled = compile_rule(rule)
            by_rule[compiled.rid] = compiled.valid
            compiled.post_texts = ruleset.post_texts
            if isinstance(compiled, WhenRule):
                # Rules with the same condition share one compiled function:
                # fewer objects for an event to fetch from memory.
                compiled.fast = conditions.setdefault(compiled.condition.canonical, compiled.fast)
            for key in rule.keys:
                rkey = rule_key(compiled.rid, key)
                validators[rkey] = compiled.valid
                if isinstance(compiled, DMRule):
                    typing = compiled.typing
                    if rule.dms_any:  # messages read from the inbox, on notifier's own topic
                        topic = Topic.dm_message(key)
                    else:
                        topic = Topic.dm_typing(key) if typing else Topic.dm_update(key)
                    plan = plans.get(topic)
                    if plan is None:
                        plan = plans[topic] = DMPlan(key, typing)
                else:
                    topic = Topic.tweet_engagement(key)
                    plan = plans.get(topic)
                    if plan is None:
                        plan = plans[topic] = TweetPlan(key)
                    plan.has_gain = plan.has_gain or compiled.always
                    plan.rules.append(Watch(compiled, rkey, compiled.mask | (ALWAYS if compiled.always else 0)))
                    continue
                plan.rules.append((compiled, rkey))
        for plan in plans.values():
            plan.rules = tuple(plan.rules)
        memory = self._state
        self._prune(memory, validators, by_rule, plans, now)
        for plan in plans.values():
            if isinstance(plan, TweetPlan):
                saved = memory.snapshot(plan.skey)
                plan.snap, plan.stored = (saved, True) if saved is not None else ({}, False)
                history = memory.snapshot(plan.hkey)
                if history is not None and history["p"].__class__ is not array:
                    history["p"] = array("d", history["p"])  # saved as a list; held as raw doubles
                plan.history = history["p"] if history is not None else None
                if any(watch.rule.chart_field is not None for watch in plan.rules):
                    plan.next_sample = plan.history[-STRIDE] + INTERVAL if plan.history else 0.0
                else:
                    # No rule of the tweet draws a chart (all chart: false): keep no history
                    # and pay nothing for it on the event path.
                    plan.next_sample = math.inf
                for watch in plan.rules:
                    watch.attach(memory.rule_entry(watch.rkey))
                plan.rules = tuple(plan.rules)
                plan.reband()
        self._plans = plans

    @staticmethod
    def _prune(
        memory: EngineState,
        watched: dict[str, Callable[[dict], bool]],
        by_rule: dict[str, Callable[[dict], bool]],
        plans: dict[str, TweetPlan | DMPlan],
        now: float | None,
    ) -> None:
        """Drop the state of rules that are gone, state of the wrong shape and state aged out.

        ``watched``: the check of each watched (rule, key) entry; ``by_rule``:
        each rule's. Done here, on a rule change, so that events never pay for it.
        """
        changes = memory.changes
        kept: set[str] = set()  # keys with a rule entry kept: their snapshots stay
        aged: set[str] = set()  # keys with an entry aged out: their snapshots go unless kept

        def keep_rule_entry(key: str, entry: dict) -> bool:
            if is_snapshot_key(key) or is_history_key(key):
                return True
            rule_id, _, watched_key = key[2:].partition(":")
            valid = watched.get(key)
            is_watched = valid is not None
            if not is_watched and key.startswith("r:"):
                valid = by_rule.get(rule_id)  # the rule still exists, and no longer watches the key
            # Gone with its rule, damaged, or saved by another version: dropped.
            if valid is None or not valid(entry):
                return False
            if entry.aged_out(now):  # type: ignore[attr-defined]
                aged.add(watched_key)
                return False
            if entry.watched_again() if is_watched else entry.unwatched(now):  # type: ignore[attr-defined]
                changes.add(key)
            kept.add(watched_key)
            return True

        memory.retain(keep_rule_entry)
        snapshots = {plan.skey for plan in plans.values() if isinstance(plan, TweetPlan)}
        fresh = aged - kept

        def keep_snapshot(key: str, entry: dict) -> bool:
            # A tweet's history goes with its snapshot.
            if is_snapshot_key(key):
                valid = valid_snapshot(entry)
            elif is_history_key(key):
                valid = valid_history(entry)
            else:
                return True
            tweet = key[2:]
            return (snapshot_key(tweet) in snapshots or tweet in kept) and tweet not in fresh and valid

        memory.retain(keep_snapshot)

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
        if plan.__class__ is not TweetPlan:
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
        loud = False  # whether a count left its quiet band (see rules.plans)
        value = event.like_count
        if value is not None and snap.get("likes") != value:
            snap["likes"] = value
            changed = 1
            if not plan.band_likes_lo <= value < plan.band_likes_hi:
                loud = True
        value = event.retweet_count
        if value is not None and snap.get("retweets") != value:
            snap["retweets"] = value
            changed |= 2
            if not plan.band_retweets_lo <= value < plan.band_retweets_hi:
                loud = True
        value = event.reply_count
        if value is not None and snap.get("replies") != value:
            snap["replies"] = value
            changed |= 4
            if not plan.band_replies_lo <= value < plan.band_replies_hi:
                loud = True
        value = event.quote_count
        if value is not None and snap.get("quotes") != value:
            snap["quotes"] = value
            changed |= 8
            if not plan.band_quotes_lo <= value < plan.band_quotes_hi:
                loud = True
        value = event.view_count
        if value is not None and snap.get("views") != value:
            snap["views"] = value
            changed |= 16
            if not plan.band_views_lo <= value < plan.band_views_hi:
                loud = True
        value = event.view_count_state
        if value is not None and snap.get("view_state") != value:
            snap["view_state"] = value
            changed |= 32
        if changed:
            if plan.marked is not dirty:  # once a round; the first time, enter the snapshot too
                plan.marked = dirty
                dirty.add(plan.skey)
                if not plan.stored:
                    memory.store_snapshot(plan.skey, snap)
                    plan.stored = True
            if now >= plan.next_sample:  # at most once a minute: see rules.history
                self._sample(plan, snap, now)
        elif not plan.has_gain and explain is None:
            return []
        # A rule runs when one of its fields changed; gain rules (bit 64) on
        # every event; with explain, all of them.
        alerts = []
        key = plan.key
        if explain is not None:
            for watch in plan.rules:
                if watch.mask & ALL:
                    alert = watch.rule.run(watch, memory, dirty, topic, key, snap, now, explain)
                    if alert is not None:
                        if watch.rule.chart_field is not None:
                            alert = self._charted(alert, watch.rule, plan, snap, now)
                        alerts.append(alert)
            plan.reband()
            return alerts
        # Within the quiet bands only the always-visited rules can act (gain,
        # conditions on several counts or on text, rules with no band for
        # now): the others are not even fetched from memory. A test holds
        # this to running every rule.
        watches = plan.rules if loud else plan.always
        bits = changed | ALWAYS
        for watch in watches:
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
                if watch.column is not None:
                    # A rule with a band that changed state (armed, next milestone) changed its band too.
                    if watch.armed is not armed if fast is not None else watch.next != threshold:
                        loud = True
                if alert is not None:
                    if watch.rule.chart_field is not None:
                        alert = self._charted(alert, watch.rule, plan, snap, now)
                    alerts.append(alert)
        if loud:
            plan.reband()
        return alerts

    # -- a post's first observation by each rule (account watching; never on the event path)

    def unobserved(self, topic: str) -> frozenset[str]:
        """The state keys of the rules on a tweet's topic that have not seen it yet."""
        plan = self._plans.get(topic)
        if plan is None or plan.__class__ is not TweetPlan:
            return frozenset()
        return frozenset(watch.rkey for watch in plan.rules if watch.state is None)

    def count_from_zero(self, topic: str, rkeys: frozenset[str]) -> None:
        """A new post: the rules ``rkeys`` (that have not seen it) start from zero counts.

        Their first look at its counts is then a crossing like any other: every
        threshold and the highest milestone it is above fire. A gain needs a
        history and starts as usual.
        """
        plan = self._plans.get(topic)
        if plan is None or plan.__class__ is not TweetPlan:
            return
        for watch in plan.rules:
            if watch.rkey in rkeys and watch.state is None:
                zero = watch.rule.zero_state()
                if zero is not None:
                    watch.attach(self._state.add_rule_entry(watch.rkey, zero))
        plan.reband()  # type: ignore[union-attr]

    def observe(self, topic: str, rkeys: frozenset[str], now: float, explain: list | None = None) -> list[Alert]:
        """Run the rules ``rkeys`` on what is known of the tweet's counts: their first look at it.

        A post found under a second follow has counts already (the first
        follow's rules saw them); the second's rules start from those, so a
        crossing later in the run fires for them too. Running a rule again on
        counts it has seen changes nothing.
        """
        plan = self._plans.get(topic)
        if plan is None or plan.__class__ is not TweetPlan or not plan.snap:
            return []
        alerts = []
        memory = self._state
        for watch in plan.rules:  # type: ignore[union-attr]
            if watch.rkey in rkeys:
                alert = watch.rule.run(watch, memory, memory.changes, topic, plan.key, plan.snap, now, explain)
                if alert is not None:
                    if watch.rule.chart_field is not None:
                        alert = self._charted(alert, watch.rule, plan, plan.snap, now)  # type: ignore[arg-type]
                    alerts.append(alert)
        plan.reband()  # type: ignore[union-attr]
        return alerts

    def _sample(self, plan: TweetPlan, snap: dict, now: float) -> None:
        """Add the tweet's counts to its history (entered in the state on its first sample)."""
        dirty = self._state.changes
        if plan.history is None:
            plan.history = array("d")
            self._state.store_history(plan.hkey, {"p": plan.history})
            plan.hmarked = dirty
        elif plan.hmarked is not dirty:
            # Marked once a round, as the snapshot is: adding the key to the set
            # again would fetch the key and the set's slot from memory each time.
            plan.hmarked = dirty
            dirty.add(plan.hkey)
        add_sample(plan.history, now, snap)
        plan.next_sample = now + INTERVAL

    @staticmethod
    def _charted(alert: Alert, rule: CompiledRule, plan: TweetPlan, snap: dict, now: float) -> Alert:
        """The alert with its chart: the rule says what to draw, the tweet's history the curve."""
        field = rule.chart_field
        assert field is not None
        samples = points(plan.history or (), field, now, snap.get(field))
        chart = Chart(key=plan.key, samples=samples, **rule.chart_extras(alert.fields, now))
        return dataclasses.replace(alert, charts=(chart,))

    def _dm(self, plan: DMPlan, topic: str, payload: Payload, now: float, explain: list | None) -> list[Alert]:
        event = payload.dm_typing if plan.typing else payload.dm_update
        if event is None:
            return []
        alerts = []
        for compiled, rkey in plan.rules:
            alert = compiled.run_dm(self._state, self.own_user_id, topic, plan.key, rkey, event, now, explain)
            if alert is not None:
                alerts.append(alert)
        return alerts
