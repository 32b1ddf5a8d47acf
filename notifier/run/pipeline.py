"""One event through notifier: the rules, catch-up, the outbox, then the rules' state.

Every way of running notifier feeds events through a :class:`Pipeline`: the
live stream and a recording in ``notifier run``, and ``notifier replay`` with
or without ``--explain``. Whatever the source, an event ``(topic, payload,
now)`` goes the same way:

1. the rule engine decides which alerts it causes (``now`` is its only clock);
2. catch-up labels and folds them when they follow an outage;
3. they are handed to the outbox with the engine's changed state, both
   committed in one transaction before ``enqueue`` returns; an event without
   alerts saves its state alone.

Killed at any moment, the state file holds an event's alerts and the state
that fired them, or neither: a restart neither loses an alert nor repeats it.
The sources differ only in what they plug in: ``notifier replay`` has no outbox,
no state file and no metrics.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

from ..alert import Alert
from ..durations import format_duration
from ..rules import Decision, Engine, RuleSet
from ..rules.catchup import CatchUp, Outage
from ..rules.discovery import with_discoveries
from ..rules.engine_state import snapshot_key
from ..stream.events import ConfigEvent, Payload, PostRef, TweetEngagementEvent
from ..stream.topics import Topic
from ..times import format_time

if TYPE_CHECKING:  # the metrics module loads prometheus_client: a replay has no use for it
    from ..state import Changes
    from .metrics import Metrics

__all__ = ["AlertSink", "LiveFeed", "Pipeline", "StateSink", "Step", "fill_in", "payload_kind"]

log = logging.getLogger(__name__)


class AlertSink(Protocol):
    """Where alerts go: the deliverer's outbox. Durable, with ``state``, when ``enqueue`` returns."""

    def enqueue(self, alerts: Sequence[Alert], state: Changes | None = None) -> None: ...


class StateSink(Protocol):
    """Where the engine's changed state goes: the state file."""

    def save(self, changes: Mapping[str, dict | None]) -> None: ...

    def changes(self, entries: Mapping[str, dict | None]) -> Changes: ...


@dataclass(frozen=True, slots=True)
class Step:
    """What one event did: its alerts, the engine's decisions (when asked), the outage it ended."""

    alerts: list[Alert]
    decisions: list[Decision] | None = None
    outage: Outage | None = None


def payload_kind(payload: Payload) -> str:
    """The name of the one event a payload carries (``tweet_engagement``, ``dm_update``…)."""
    for name, value in zip(payload._fields, payload):
        if value is not None:
            return name
    return "empty"


# What a poll reads of a post, and the names the engine's snapshot and the stream give it.
_POLLED = (
    ("likes", "likes", "like_count"),
    ("retweets", "retweets", "retweet_count"),
    ("replies", "replies", "reply_count"),
    ("quotes", "quotes", "quote_count"),
    ("views", "views", "view_count"),
)
_DM_MESSAGE = "/dm_message/"


def fill_in(known: Mapping[str, object] | None, post: PostRef) -> TweetEngagementEvent | None:
    """The counts of a polled post that the stream has not sent yet, or that grew since.

    A poll is slower and staler than the stream: it fills in a field the
    engine has no value for, and never moves a count backwards.
    """
    known = known or {}
    counts = {}
    for polled, name, wire in _POLLED:
        value = getattr(post, polled)
        seen = known.get(name)
        if value is not None and (not isinstance(seen, int) or value > seen):
            counts[wire] = value
    return TweetEngagementEvent(**counts) if counts else None


class Pipeline:
    """Events in, alerts out to ``outbox``, state saved to ``store``.

    ``recorded``: the events come from a recording, so log lines show each
    alert's recorded time. ``log_initial``: log "rule already met at start" the
    first time each topic's rules see a value (the daemon does; a replay
    explains instead). ``alerts_printed``: every alert prints on standard
    output (a dry run), so its "alert fired" line is a debug line.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        catchup: CatchUp | None = None,
        outbox: AlertSink | None = None,
        store: StateSink | None = None,
        metrics: Metrics | None = None,
        recorded: bool = False,
        log_initial: bool = False,
        alerts_printed: bool = False,
        on_topics: Callable[[frozenset[str]], None] | None = None,
        on_counts: Callable[[str, Mapping[str, object] | None], None] | None = None,
    ) -> None:
        self.engine = engine
        # The rule file's rules; the engine runs them with what account watching found.
        self._base = engine.ruleset
        self._posts: dict[str, tuple[PostRef, ...]] = {}
        # Post id -> its words, looked up for the rules that name it by id.
        self._words: dict[str, str] = {}
        self._conversations: set[str] = set()
        self._requests: set[str] = set()  # conversations that are message requests
        # The latest event's time (None before the first): the clock of rule
        # changes, which is what unwatched state ages by.
        self._now: float | None = None
        self._on_topics = on_topics
        # Told a post's counts (the engine's snapshot) after each of its events: Home Assistant's sensors.
        self._on_counts = on_counts
        self.catchup = catchup if catchup is not None else CatchUp(engine.ruleset.max_gap)
        self._outbox = outbox
        self._store = store
        self._metrics = metrics
        self._recorded = recorded
        self._log_initial = log_initial
        self._alerts_printed = alerts_printed
        # Topics whose rules all hold state: their events need no explanation.
        self._settled: set[str] = set()
        # Set when handing alerts to the outbox failed: the engine already counts them
        # as sent, so its state must not be saved (a restart decides them again).
        self._state_unsafe = False
        self.events = 0
        self.alerts = 0
        # Alerts per rule, for the summary at the end of a run (bounded by the rules).
        self.by_rule: Counter[str] = Counter()

    @property
    def ruleset(self) -> RuleSet:
        return self.engine.ruleset

    def replace_rules(self, ruleset: RuleSet) -> None:
        """Go on with ``ruleset``; what the engine knows of each tweet stays (until it ages out)."""
        self._base = ruleset
        self._install()

    def post_words(self, words: Mapping[str, str]) -> None:
        """The words of posts the rules name by id are known: titles use them from the next alert on."""
        self._words.update(words)
        self._install()

    def _install(self) -> None:
        """Run the rule file's rules on what account watching found (and looked up) so far."""
        ruleset = self._base
        now = self._now
        if now is not None and (self._posts or self._conversations):
            ruleset = with_discoveries(ruleset, self._posts, self._conversations, now, requests=self._requests)
        if self._words:
            # What account watching found is the fresher text of a post it knows.
            ruleset = replace(ruleset, post_texts=MappingProxyType({**self._words, **ruleset.post_texts}))
        before = self.engine.ruleset.topics
        self.engine.replace_rules(ruleset, now)
        self.catchup.max_gap = ruleset.max_gap
        self._settled.clear()
        if self._on_topics is not None and ruleset.topics != before:
            self._on_topics(ruleset.topics)

    def settled(self, topic: str) -> bool:
        """Every rule on ``topic`` has seen a value: its events are no longer explained for the log."""
        return topic in self._settled

    def connected(self, now: float) -> Outage | None:
        """A stream connection came up at ``now`` (its config event): the outage it ends, if any."""
        self.events += 1
        if self._metrics is not None:
            self._metrics.event("config")
        outage = self.catchup.connected(now)
        if outage is not None:
            log.info(
                "the stream was down for %s: the first alerts of each tweet are a catch-up",
                format_duration(outage.seconds),
                extra={"event": "catch_up", "outage_seconds": round(outage.seconds, 1)},
            )
        return outage

    def handle(self, topic: str, payload: Payload, now: float, *, explain: bool = False) -> Step:
        """One event through the rules into the outbox; the engine's state committed with the alerts.

        ``explain`` returns the engine's decision for every rule on the topic.
        """
        if payload.config is not None:
            return Step([], None, self.connected(now))
        if self._now is None or now > self._now:
            self._now = now
        if payload.discovery is not None:
            return self._discovered(payload, now)
        if topic.startswith(_DM_MESSAGE) and payload.dm_update is not None:
            update = payload.dm_update
            conversation = update.conversation_id
            if conversation not in self._conversations or (update.request and conversation not in self._requests):
                # A conversation first seen in the inbox: dms: any rules watch it from now on
                # (those with requests: false only once X trusts it).
                self._conversations.add(conversation)
                if update.request:
                    self._requests.add(conversation)
                self._install()
        return self._process(topic, payload, now, explain)

    def _discovered(self, payload: Payload, now: float) -> Step:
        """Account watching found these posts: watch those that fit, and fill in their counts."""
        event = payload.discovery
        assert event is not None
        self.events += 1
        if self._metrics is not None:
            self._metrics.event("discovery")
        self._posts[event.account.lower()] = event.posts
        self._install()
        watched = self.engine.ruleset.topics
        alerts: list[Alert] = []
        for post in event.posts:
            topic = Topic.tweet_engagement(post.id)
            if topic not in watched:
                continue
            # Each rule gets its own first look at the post, whichever follow found it first.
            unseen = self.engine.unobserved(topic)
            if unseen and post.new:
                # Made after notifier began following: what it has now was gained while watched.
                self.engine.count_from_zero(topic, unseen)
            counts = fill_in(self.engine.state.snapshot(snapshot_key(post.id)), post)
            if counts is not None:
                alerts += self._process(topic, Payload(tweet_engagement=counts), now, False).alerts
            if unseen:
                alerts += self._observe(topic, unseen, now)
        return Step(alerts)

    def _observe(self, topic: str, rkeys: frozenset[str], now: float) -> list[Alert]:
        """The first look of rules ``rkeys`` at a post whose counts are known: as :meth:`_process`."""
        decisions: list[Decision] | None = [] if self._log_initial else None
        alerts = self.engine.observe(topic, rkeys, now, decisions)
        if decisions:
            self._note_initial(topic, decisions)
        return self._settle(topic, alerts, now)

    def _process(self, topic: str, payload: Payload, now: float, explain: bool) -> Step:
        self.events += 1
        if self._metrics is not None:
            self._metrics.event(payload_kind(payload))
        # Until every rule on a topic has seen its first value, ask the engine why it
        # decided what it did: that is where "already met at start" shows. Afterwards
        # explaining would cost for nothing.
        unsettled = self._log_initial and topic not in self._settled
        decisions: list[Decision] | None = [] if explain or unsettled else None
        alerts = self.engine.process(topic, payload, now, decisions)
        if self._on_counts is not None and payload.tweet_engagement is not None:
            tweet_id = topic.rpartition("/")[2]
            self._on_counts(tweet_id, self.engine.state.snapshot(snapshot_key(tweet_id)))
        if unsettled:
            self._note_initial(topic, decisions)  # type: ignore[arg-type]
        return Step(self._settle(topic, alerts, now), decisions if explain else None)

    def _settle(self, topic: str, alerts: list[Alert], now: float) -> list[Alert]:
        """The engine's alerts through catch-up into the outbox, with the engine's state in the same commit."""
        alerts = self.catchup.event(topic, alerts, now)
        store = self._store
        dirty = self.engine.state.take_dirty() if store is not None else None
        if alerts:
            if self._hand_on(alerts, store.changes(dirty) if store is not None and dirty else None):
                return alerts
        if dirty:
            store.save(dirty)  # type: ignore[union-attr]
        return alerts

    def flush(self) -> None:
        """Save what the engine changed and did not save yet (at shutdown).

        Nothing is saved after a failed hand-over to the outbox: the alerts the
        engine counts as sent would be lost.
        """
        if self._store is not None and not self._state_unsafe:
            self._store.save(self.engine.state.take_dirty())

    def _hand_on(self, alerts: list[Alert], state: Changes | None) -> bool:
        """Log and count the alerts, and give them to the outbox with ``state``; whether it took the state."""
        taken = False
        if self._outbox is not None:
            try:
                self._outbox.enqueue(alerts, state)
            except BaseException:
                self._state_unsafe = True
                raise
            taken = state is not None
        for alert in alerts:
            self.alerts += 1
            # A catch-up folds several rules' milestones into one alert; each rule counts.
            for rule in alert.rules or (alert.rule,):
                self.by_rule[rule] += 1
                if self._metrics is not None:
                    self._metrics.alert(rule)
            # In a replay the recording's clock is what a reader wants to see.
            when = f" (recorded {format_time(alert.ts)})" if self._recorded else ""
            # When each alert prints on the terminal (a dry run), a log line would say it twice.
            log.log(
                logging.DEBUG if self._alerts_printed else logging.INFO,
                "alert fired: %s — %s → %s%s", alert.rule, alert.title, ", ".join(alert.targets), when,
                extra={"event": "alert", "rule": alert.rule, "key": alert.key, "title": alert.title},
            )
        return taken

    def _note_initial(self, topic: str, decisions: list[Decision]) -> None:
        unknown = False
        for decision in decisions:
            if decision.outcome == "unknown":
                unknown = True
            elif decision.outcome == "initial" and decision.matched:
                log.info(
                    "rule already met at start: %s (%s): %s",
                    decision.rule, decision.key, decision.detail,
                    extra={"event": "initial_met", "rule": decision.rule, "key": decision.key},
                )
        # No decision at all (a payload the topic's rules do not read) settles nothing.
        if decisions and not unknown:
            self._settled.add(topic)


class LiveFeed:
    """The pipeline fed by the live stream: each event at ``clock``'s time.

    It is the stream supervisor's observer, told of every message, every
    connection and every drop as it happens. A ``dm_update`` also rings the
    ``doorbell`` (account watching reads the inbox).
    """

    __slots__ = ("_clock", "_doorbell", "_pipeline")

    def __init__(
        self, pipeline: Pipeline, clock: Callable[[], float], *, doorbell: Callable[[], None] | None = None
    ) -> None:
        self._pipeline = pipeline
        self._clock = clock
        self._doorbell = doorbell

    def stream_event(self, topic: str, payload: Payload) -> None:
        self._pipeline.handle(topic, payload, self._clock())
        if payload.dm_update is not None and self._doorbell is not None:
            # The stream names the conversation only; the inbox has the message itself.
            self._doorbell()

    def stream_connected(self, config: ConfigEvent) -> None:
        self._pipeline.connected(self._clock())

    def stream_dropped(self) -> None:
        # The connection was alive until now: an outage, if this becomes one, starts here.
        self._pipeline.catchup.alive(self._clock())
