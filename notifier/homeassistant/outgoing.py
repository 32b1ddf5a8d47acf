"""What waits to be published to the broker: bounded, so a broker that is down costs only memory we chose.

Three kinds of message wait here, kept apart because they go in an order and
are lost differently:

* **Configs** (discovery) go before anything else: Home Assistant drops a
  state or an event of an entity it does not know yet. Like states, the
  latest one of a topic wins.
* **States** (configs, counts, the switch, availability) are retained by
  the broker and only the latest one of a topic matters: a newer state
  replaces the one waiting (latest wins), so there is at most one per topic,
  and topics are bounded by the rule file.
* **Events** (an alert as a Home Assistant event) each matter: they wait in
  order until the broker acknowledged them (QoS 1), through reconnects. They
  are bounded too: past ``max_events`` the oldest is dropped and counted.
  An event also waits ``settle`` seconds after the last config went out:
  Home Assistant subscribes to a new entity's topics only once it has read
  its config, and an event (not retained) sent before that is lost.

:class:`Pace` spaces the messages so that announcing hundreds of entities
(on every connection and every Home Assistant restart) never floods a broker.

:class:`Throttle` sits before the states of posts: however fast a post's
counts move, it lets one state per post through every ``interval`` seconds,
the latest counts at that moment.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Message", "Outgoing", "Pace", "Throttle"]


@dataclass(frozen=True, slots=True)
class Message:
    """One MQTT publish: states and configs are retained, events are not."""

    topic: str
    payload: bytes
    retain: bool = True
    config: bool = False


class Outgoing:
    """Configs, then events and states: each kind latest-wins per topic or in order, all bounded."""

    def __init__(self, max_events: int = 1000, settle: float = 0.0) -> None:
        if max_events < 1:
            raise ValueError("max_events must be at least 1")
        self._configs: dict[str, bytes] = {}
        self._states: dict[str, bytes] = {}
        self._events: deque[Message] = deque()
        self._max_events = max_events
        self._settle = settle
        self._config_sent_at = float("-inf")
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._configs) + len(self._states) + len(self._events)

    def config(self, topic: str, payload: bytes) -> None:
        """Publish a discovery config (empty: remove the entity) before any state or event."""
        self._configs.pop(topic, None)
        self._configs[topic] = payload

    def state(self, topic: str, payload: bytes, *, first: bool = False) -> None:
        """Publish ``payload`` retained on ``topic``, replacing a state still waiting there.

        ``first`` puts it before the other states (availability, once the configs are out).
        """
        # Re-inserted at the end: a topic's newest state goes after older messages of others.
        self._states.pop(topic, None)
        if first:
            self._states = {topic: payload, **self._states}
        else:
            self._states[topic] = payload

    def event(self, topic: str, payload: bytes) -> bool:
        """Queue an event; False when the queue was full and the oldest event was dropped for it."""
        self._events.append(Message(topic, payload, retain=False))
        if len(self._events) > self._max_events:
            self._events.popleft()
            self.dropped += 1
            return False
        return True

    def take(self, now: float = float("inf")) -> Message | None:
        """The next message to publish at ``now`` (monotonic seconds).

        Configs first, always; then events, once the last config had ``settle``
        seconds to be read (events are what automations wait for); then states.
        """
        if self._configs:
            topic = next(iter(self._configs))
            self._config_sent_at = now
            return Message(topic, self._configs.pop(topic), config=True)
        if self._events and now - self._config_sent_at >= self._settle:
            return self._events.popleft()
        if self._states:
            topic = next(iter(self._states))
            return Message(topic, self._states.pop(topic))
        return None

    def events_at(self) -> float | None:
        """When waiting events may go (None: none waits, or configs go first anyway)."""
        if not self._events or self._configs:
            return None
        return self._config_sent_at + self._settle

    def put_back(self, message: Message) -> None:
        """A message the broker did not acknowledge goes first again; a config or state only if none newer waits."""
        if not message.retain:
            self._events.appendleft(message)
            if len(self._events) > self._max_events:
                self._events.pop()
                self.dropped += 1
        elif message.config:
            if message.topic not in self._configs:
                self._configs = {message.topic: message.payload, **self._configs}
        elif message.topic not in self._states:
            self._states = {message.topic: message.payload, **self._states}


class Pace:
    """A token bucket: bursts of up to ``burst`` messages, then ``rate`` a second."""

    def __init__(self, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._at: float | None = None

    def _fill(self, now: float) -> None:
        if self._at is not None:
            self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now

    def wait(self, now: float) -> float:
        """Seconds to wait before the next message may go (0: it may go now)."""
        self._fill(now)
        return 0.0 if self._tokens >= 1.0 else (1.0 - self._tokens) / self._rate

    def spend(self, now: float) -> None:
        """A message went."""
        self._fill(now)
        self._tokens -= 1.0


class Throttle:
    """At most one state per post every ``interval`` seconds, always its latest counts."""

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._latest: dict[str, dict[str, int]] = {}
        self._waiting: set[str] = set()
        self._sent_at: dict[str, float] = {}

    def update(self, tweet_id: str, counts: Mapping[str, int]) -> None:
        """The post's counts now; published when its interval allows."""
        if self._latest.get(tweet_id) == counts:
            return
        self._latest[tweet_id] = dict(counts)
        self._waiting.add(tweet_id)

    def latest(self, tweet_id: str) -> dict[str, int] | None:
        return self._latest.get(tweet_id)

    def forget(self, keep: set[str]) -> None:
        """Drop the posts no longer watched."""
        for tweet_id in set(self._latest) - keep:
            self._latest.pop(tweet_id, None)
            self._sent_at.pop(tweet_id, None)
            self._waiting.discard(tweet_id)

    def due(self, now: float) -> list[tuple[str, dict[str, int]]]:
        """The posts whose latest counts may go now (each then waits ``interval`` again)."""
        ready = [t for t in self._waiting if now - self._sent_at.get(t, float("-inf")) >= self._interval]
        for tweet_id in ready:
            self._waiting.discard(tweet_id)
            self._sent_at[tweet_id] = now
        return [(tweet_id, self._latest[tweet_id]) for tweet_id in sorted(ready)]

    def next_at(self) -> float | None:
        """When the next waiting post may go (None: nothing waits)."""
        if not self._waiting:
            return None
        return min(self._sent_at.get(t, float("-inf")) + self._interval for t in self._waiting)
