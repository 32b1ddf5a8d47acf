"""What waits to be published to the broker: bounded, so a broker that is down costs only memory we chose.

Two kinds of message wait here, kept apart because they are lost differently:

* **States** (configs, counts, the switch, availability) are retained by
  the broker and only the latest one of a topic matters: a newer state
  replaces the one waiting (latest wins), so there is at most one per topic,
  and topics are bounded by the rule file.
* **Events** (an alert as a Home Assistant event) each matter: they wait in
  order until the broker acknowledged them (QoS 1), through reconnects. They
  are bounded too: past ``max_events`` the oldest is dropped and counted.

:class:`Throttle` sits before the states of posts: however fast a post's
counts move, it lets one state per post through every ``interval`` seconds,
the latest counts at that moment.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Message", "Outgoing", "Throttle"]


@dataclass(frozen=True, slots=True)
class Message:
    """One MQTT publish: states are retained, events are not."""

    topic: str
    payload: bytes
    retain: bool = True


class Outgoing:
    """States (latest wins per topic) and events (in order, bounded) waiting to be published."""

    def __init__(self, max_events: int = 1000) -> None:
        if max_events < 1:
            raise ValueError("max_events must be at least 1")
        self._states: dict[str, bytes] = {}
        self._events: deque[Message] = deque()
        self._max_events = max_events
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._states) + len(self._events)

    def state(self, topic: str, payload: bytes) -> None:
        """Publish ``payload`` retained on ``topic``, replacing a state still waiting there."""
        # Re-inserted at the end: a topic's newest state goes after older messages of others.
        self._states.pop(topic, None)
        self._states[topic] = payload

    def event(self, topic: str, payload: bytes) -> bool:
        """Queue an event; False when the queue was full and the oldest event was dropped for it."""
        self._events.append(Message(topic, payload, retain=False))
        if len(self._events) > self._max_events:
            self._events.popleft()
            self.dropped += 1
            return False
        return True

    def take(self) -> Message | None:
        """The next message to publish (events first: they are what automations wait for)."""
        if self._events:
            return self._events.popleft()
        if self._states:
            topic = next(iter(self._states))
            return Message(topic, self._states.pop(topic))
        return None

    def put_back(self, message: Message) -> None:
        """A message the broker did not acknowledge goes first again; a state only if none newer waits."""
        if not message.retain:
            self._events.appendleft(message)
            if len(self._events) > self._max_events:
                self._events.pop()
                self.dropped += 1
        elif message.topic not in self._states:
            self._states = {message.topic: message.payload, **self._states}


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
