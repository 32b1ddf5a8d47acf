"""The bridge to Home Assistant: notifier shown as a device over MQTT, for as long as it runs.

The daemon feeds it without ever waiting: :meth:`Bridge.watch` with each new
rule set (which posts and rules have entities), :meth:`Bridge.counts` with a
post's counts after each event, :meth:`Bridge.alerts` with what the rules
fired. Those only change memory (:mod:`.outgoing`, bounded) and wake
:meth:`Bridge.run`, the one task that talks to the broker. It first needs
the account's user id, which names the device and every entity: from the
``twid`` cookie, from the state file, or asked of X once (``identify``).
Until then nothing is announced, so that no entity ever appears under an id
that later moves. Then it hands over to :class:`~.connection.Connection`,
which keeps the MQTT connection up, publishes what waits and tells the bridge
what Home Assistant says; an outage shows in ``notifier_mqtt_connected``.

What the bridge must remember across restarts (the switch, and which
entities it announced, so that those no longer watched are removed even after
a restart) is handed to ``save`` as one JSON object.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..alert import HEALTH_KIND, Alert
from ..backoff import backoff_delay
from ..rules.model import RuleSet
from .connection import Connection
from .discovery import (
    Device,
    Entities,
    PostEntity,
    RuleEntity,
    Topics,
    configs,
    encode,
    newest_posts,
    post_cap_warning,
    post_name,
    post_state,
)
from .outgoing import Outgoing, Throttle

if TYPE_CHECKING:
    from ..run.metrics import Metrics
    from ..rulefile.model import HomeAssistantSpec

__all__ = ["STATE_KEY", "Bridge"]

log = logging.getLogger(__name__)

# The bridge's entry in the state file, beside the engine's.
STATE_KEY = "homeassistant"
_TWEET_TOPIC = "/tweet_engagement/"
# How often the bridge looks at the stream's connection when nothing else wakes it.
_TICK = 1.0
# Entities announced by an earlier run wait this long for account watching to find
# their posts again before they are removed: a restart must not make them flicker.
_INHERITED_GRACE = 600.0
# Asking X who is signed in, when the twid cookie does not say it.
_IDENTIFY_INITIAL = 5.0
_IDENTIFY_MAX = 300.0
# Events wait this long after the last config: Home Assistant reads a config, then subscribes.
_SETTLE = 1.0


class Bridge:
    """notifier as a Home Assistant device over MQTT; ``run`` it as a task, feed it from the pipeline.

    ``user_id`` (the signed-in account's, from the twid cookie) keeps unique
    ids stable; without it the one kept in ``memory`` is used when it was
    learnt in the same ``session`` (an opaque mark of the login: another login
    may be another account), else ``identify`` asks X for the account's
    (user id, @handle) before anything is announced. ``handle``, when given,
    finds the @handle that names the device. ``on_mute`` is told when the
    switch changes (on mutes everything until unmuted, off unmutes: the one
    mute that buttons and ``notifier mute`` change too, which
    :meth:`show_muted` shows on the switch);
    ``stream_up`` says whether the stream is connected (None: not wanted).
    ``throttle`` is the fewest seconds between two states of one post.
    """

    def __init__(
        self,
        spec: HomeAssistantSpec,
        *,
        user_id: str | None,
        save: Callable[[dict[str, Any]], None],
        on_mute: Callable[[bool], None],
        stream_up: Callable[[], bool | None] = lambda: None,
        memory: Mapping[str, Any] | None = None,
        metrics: Metrics | None = None,
        handle: Callable[[], Awaitable[str]] | None = None,
        identify: Callable[[], Awaitable[tuple[str, str | None]]] | None = None,
        session: str | None = None,
        throttle: float = 5.0,
        max_events: int = 1000,
        settle: float = _SETTLE,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._spec = spec
        memory = memory or {}
        known = memory.get("user_id") if _user_id_ok(memory.get("user_id")) else None
        known_handle = _handle(memory.get("handle"))
        if user_id is None and session is not None and memory.get("session") != session:
            known = known_handle = None  # a new login, perhaps of another account: X says whose
        if user_id is not None and known is not None and known != user_id:
            known_handle = None  # another account signed in: its handle is not this one's
        self._session = session
        self._user_id = user_id or known
        self._handle = known_handle
        self._device: Device | None = None
        self._topics: Topics | None = None
        if self._user_id is not None:
            self._identified(self._user_id, self._handle)
        self.identify = identify
        self._save = save
        self._on_mute = on_mute
        self._stream_up = stream_up
        self._metrics = metrics
        # Finds the account's @handle to name the device (set once X's web client exists).
        self.handle = handle
        self._clock = clock
        self._monotonic = monotonic
        self._started = monotonic()
        self._outgoing = Outgoing(max_events, settle=settle)
        self._throttle = Throttle(throttle)
        self._wake = asyncio.Event()
        # Events fired before the account's user id was known (their topics need it).
        self._early: collections.deque[tuple[str, bytes]] = collections.deque(maxlen=max_events)
        self._muted = memory.get("muted") is True
        announced = memory.get("announced")
        self._announced: set[str] = {t for t in announced if isinstance(t, str)} if isinstance(announced, list) else set()
        # Announced by an earlier run and not (yet) again by this one.
        self._inherited = set(self._announced)
        self._configs: dict[str, bytes] = {}
        self._entities = Entities(sensors=spec.sensors)
        self._rules: dict[str, RuleEntity] = {}
        self._pending_follows = False
        self._capped: tuple[int, int] | None = None
        self._stream: str | None = None
        self._last_event: str | None = None
        self.connected = False

    def __repr__(self) -> str:
        return f"Bridge({self._spec.shown!r}, connected={self.connected}, waiting={self.waiting})"

    @property
    def waiting(self) -> int:
        """Messages queued for the broker and not yet handed to it (paced, or waiting for a connection)."""
        return len(self._outgoing)

    @property
    def muted(self) -> bool:
        """Whether the "notifications muted" switch is on (as saved by the last run, until changed)."""
        return self._muted

    @property
    def device(self) -> Device | None:
        """notifier's device; None until the account's user id is known."""
        return self._device

    @property
    def topics(self) -> Topics | None:
        return self._topics

    def _identified(self, user_id: str, handle: str | None) -> None:
        self._user_id, self._handle = user_id, handle
        self._device = Device.of(user_id, handle)
        self._topics = Topics.of(self._spec.discovery_prefix, self._device)

    # ------------------------------------------------------------------ fed by the daemon

    def watch(self, ruleset: RuleSet) -> None:
        """The rules and posts now watched: their entities are announced, those gone removed."""
        texts = ruleset.post_texts
        watched = {topic[len(_TWEET_TOPIC):] for topic in ruleset.topics if topic.startswith(_TWEET_TOPIC)}
        ids = newest_posts(watched, self._spec.max_posts)
        self._cap_warning(len(watched))
        posts = tuple(PostEntity(i, post_name(i, texts.get(i)), texts.get(i, "")) for i in ids)
        rules = tuple(RuleEntity(rule.name, rule.identity, (rule.kind,)) for rule in ruleset.rules)
        self._rules = {rule.name: rule for rule in rules}
        # A follow rule that found nothing yet: its posts of the last run may come back.
        self._pending_follows = any(rule.follow is not None and not rule.keys for rule in ruleset.rules)
        old_posts = {post.tweet_id: post for post in self._entities.posts}
        self._entities = Entities(posts, rules, self._spec.sensors)
        self._throttle.forget(set(ids))
        if self._topics is not None:
            for post in posts:
                if old_posts.get(post.tweet_id) != post:
                    self._post_attributes(post)
            for tweet_id in set(old_posts) - set(ids):
                # Nothing of a post no longer watched stays retained on the broker.
                self._outgoing.state(self._topics.post(tweet_id), b"")
                self._outgoing.state(self._topics.post_attributes(tweet_id), b"")
        self._sync()

    def _cap_warning(self, watched: int) -> None:
        """Say once per change when more posts are watched than get sensors."""
        capped = (watched, self._spec.max_posts) if watched > self._spec.max_posts else None
        if capped != self._capped and capped is not None:
            log.warning("Home Assistant: %s", post_cap_warning(*capped), extra={"event": "ha_posts_capped"})
        self._capped = capped

    def counts(self, tweet_id: str, snapshot: Mapping[str, object] | None) -> None:
        """A watched post's counts after an event (the engine's snapshot); published throttled."""
        if snapshot is None or not any(post.tweet_id == tweet_id for post in self._entities.posts):
            return
        # Every count known so far, not only those this event changed: a state that lacks a
        # count would say nothing of it, and a sensor shows the last one that did.
        state = {**(self._throttle.latest(tweet_id) or {}), **post_state(snapshot, self._spec.sensors)}
        if state:
            self._throttle.update(tweet_id, state)
            self._wake.set()

    def alerts(self, alerts: Sequence[Alert]) -> None:
        """Fire each rule's event entity for the alerts the pipeline produced (health alerts are not rules')."""
        for alert in alerts:
            if alert.kind == HEALTH_KIND:
                continue
            for name in alert.rules or (alert.rule,):
                rule = self._rules.get(name)
                if rule is None:
                    continue
                self._event(rule.identity, encode(_event(alert, rule)))
            self._last_event = datetime.fromtimestamp(self._clock(), timezone.utc).isoformat(timespec="seconds")
            if self._topics is not None:
                self._outgoing.state(self._topics.last_event, self._last_event.encode())
        self._wake.set()

    def _event(self, identity: str, payload: bytes) -> None:
        if self._topics is None:
            if len(self._early) == self._early.maxlen:
                self._dropped("overflow")
            self._early.append((identity, payload))
        elif not self._outgoing.event(self._topics.rule(identity), payload):
            self._dropped("overflow")

    def set_muted(self, muted: bool) -> None:
        """Turn the switch (Home Assistant's command, or a test): delivery hears of it, the state file keeps it."""
        if muted != self._muted:
            self._muted = muted
            log.info("notifications %s from Home Assistant", "muted" if muted else "unmuted",
                     extra={"event": "muted" if muted else "unmuted"})
            self._persist()
            self._on_mute(muted)
        if self._topics is not None:
            self._outgoing.state(self._topics.muted, b"ON" if muted else b"OFF")
        self._wake.set()

    def show_muted(self, muted: bool) -> None:
        """Show the one mute on the switch (set from a button, ``notifier mute``, or ended by time)."""
        if muted != self._muted:
            self._muted = muted
            self._persist()
            if self._topics is not None:  # else announced with the rest once the account is known
                self._outgoing.state(self._topics.muted, b"ON" if muted else b"OFF")
            self._wake.set()

    # ------------------------------------------------------------------ entities

    def _sync(self) -> None:
        """Queue the configs that are new or changed and the removal of those gone; remember what was announced."""
        if self._device is None or self._topics is None:
            return  # nothing is announced before the account's user id is known
        wanted = {topic: encode(payload) for topic, payload in configs(self._device, self._topics, self._entities).items()}
        for topic, payload in wanted.items():
            if self._configs.get(topic) != payload:
                self._outgoing.config(topic, payload)
        gone = (self._announced | set(self._configs)) - set(wanted)
        if self._pending_follows and self._monotonic() - self._started < _INHERITED_GRACE:
            gone -= self._inherited
        for topic in gone:
            self._outgoing.config(topic, b"")  # an empty retained config removes the entity
        self._inherited -= set(wanted) | gone
        self._configs = wanted
        announced = (self._announced - gone) | set(wanted)
        if announced != self._announced:
            self._announced = announced
            self._persist()
        self._wake.set()

    def _post_attributes(self, post: PostEntity) -> None:
        assert self._topics is not None
        attributes = {"url": post.url, "tweet_id": post.tweet_id}
        if post.text:
            attributes["text"] = post.text
        self._outgoing.state(self._topics.post_attributes(post.tweet_id), encode(attributes))

    def _everything(self) -> None:
        """Queue every config and state again: a new connection, or Home Assistant restarted.

        The configs go first (the queue sees to it), then ``online``, then the states.
        """
        assert self._topics is not None
        for topic, payload in self._configs.items():
            self._outgoing.config(topic, payload)
        self._outgoing.state(self._topics.status, b"online", first=True)
        for post in self._entities.posts:
            self._post_attributes(post)
            counts = self._throttle.latest(post.tweet_id)
            if counts:
                self._outgoing.state(self._topics.post(post.tweet_id), encode(counts))
        self._stream = None  # published again by the next tick
        self._outgoing.state(self._topics.muted, b"ON" if self._muted else b"OFF")
        if self._last_event is not None:
            self._outgoing.state(self._topics.last_event, self._last_event.encode())
        self._wake.set()

    def _persist(self) -> None:
        try:
            entry: dict[str, Any] = {"muted": self._muted, "announced": sorted(self._announced)}
            if self._user_id is not None:
                entry["user_id"] = self._user_id
                if self._session is not None:
                    entry["session"] = self._session
            if self._handle is not None:
                entry["handle"] = self._handle
            self._save(entry)
        except Exception as exc:  # noqa: BLE001 - Home Assistant must never stop notifier
            log.warning("cannot save the Home Assistant state: %s", exc)

    def _tick(self) -> None:
        """What changes without telling: the stream's connection, throttled counts, inherited entities."""
        stream = "ON" if self._stream_up() else "OFF"
        if stream != self._stream:
            self._stream = stream
            self._outgoing.state(self._topics.stream, stream.encode())
        for tweet_id, counts in self._throttle.due(self._monotonic()):
            self._outgoing.state(self._topics.post(tweet_id), encode(counts))
        if self._inherited and self._monotonic() - self._started >= _INHERITED_GRACE:
            self._sync()

    def _idle(self) -> float:
        dues = [due for due in (self._throttle.next_at(), self._outgoing.events_at()) if due is not None]
        if not dues:
            return _TICK
        return min(_TICK, max(0.0, min(dues) - self._monotonic()))

    def _dropped(self, reason: str) -> None:
        if self._metrics is not None:
            self._metrics.mqtt_dropped.labels(reason).inc()

    def _set_connected(self, connected: bool) -> None:
        self.connected = connected
        if self._metrics is not None:
            self._metrics.mqtt_connected.set(1 if connected else 0)

    # ------------------------------------------------------------------ the run

    async def run(self) -> None:
        """Stay connected until cancelled; cancelled while connected, say ``offline`` first."""
        self._set_connected(False)
        asked = self._device is None
        if asked and not await self._learn_identity():
            return
        self._persist()  # the user id, so that a later start without the twid cookie keeps the same ids
        wanted_name = self.handle is not None and not asked
        namer = asyncio.create_task(self._name_device(), name="notifier-ha-handle") if wanted_name else None
        assert self._topics is not None
        connection = Connection(
            self._spec, self._topics, self._outgoing, self._wake, everything=self._everything,
            set_muted=self.set_muted, tick=self._tick, idle=self._idle, set_connected=self._set_connected,
            dropped=self._dropped, monotonic=self._monotonic,
        )
        try:
            await connection.run()
        finally:
            self._set_connected(False)
            if namer is not None:
                namer.cancel()

    async def _name_device(self) -> None:
        """Name the device by the account's @handle once X says it (one request; a failure keeps "notifier")."""
        assert self.handle is not None
        try:
            async with asyncio.timeout(60):
                handle = await self.handle()
        except Exception as exc:  # noqa: BLE001 - the name is cosmetic
            log.debug("Home Assistant: the account's handle is unknown (%s); the device is named notifier", exc)
            return
        assert self._user_id is not None
        if (handle := _handle(handle)) is not None and handle != self._handle:
            self._identified(self._user_id, handle)
            self._persist()
            self._sync()

    async def _learn_identity(self) -> bool:
        """Ask X for the account's user id (and @handle) until it answers; False when no one can be asked."""
        if self.identify is None:
            log.error("Home Assistant: the account's user id is unknown (no twid cookie) and X cannot be asked; "
                      "nothing is announced", extra={"event": "ha_identity_unknown"})
            return False
        failures = 0
        while True:
            try:
                async with asyncio.timeout(60):
                    user_id, handle = await self.identify()
                if not _user_id_ok(user_id):
                    # It names MQTT topics: a '/', '+' or '#' from a changed answer would break them.
                    raise ValueError(f"X's answer holds no user id notifier can use ({str(user_id)[:30]!r})")
                break
            except Exception as exc:  # noqa: BLE001 - Home Assistant must never stop notifier
                if failures == 0:
                    log.warning(
                        "Home Assistant: X did not say which account is signed in (%s); nothing is announced "
                        "until it does, so that no entity appears under an id that later changes; trying again "
                        "in the background", exc, extra={"event": "ha_identity_unknown"},
                    )
                delay = backoff_delay(failures, initial=_IDENTIFY_INITIAL, maximum=_IDENTIFY_MAX,
                                      jitter_from=0.5, jitter_span=0.5, draw=random.random())
                failures += 1
                await asyncio.sleep(delay)
        self._identified(user_id, _handle(handle))
        log.info("Home Assistant: the signed-in account is user %s", user_id, extra={"event": "ha_identified"})
        early, self._early = list(self._early), collections.deque(maxlen=self._early.maxlen)
        for identity, payload in early:
            self._event(identity, payload)
        self._sync()
        return True


def _user_id_ok(user_id: object) -> bool:
    """An X user id: digits only, as long as a snowflake can be."""
    return isinstance(user_id, str) and user_id.isascii() and user_id.isdigit() and len(user_id) <= 20


def _handle(handle: object) -> str | None:
    """An @handle from X or the state file, without the @, bounded (X's are at most 15 characters)."""
    if not isinstance(handle, str):
        return None
    handle = "".join(char for char in handle.lstrip("@") if char.isprintable())[:50]
    return handle or None


def _event(alert: Alert, rule: RuleEntity) -> dict[str, object]:
    """An alert as a Home Assistant event: what an automation reads in ``trigger.to_state.attributes``."""
    payload: dict[str, object] = {
        "event_type": rule.kinds[0], "title": alert.title, "message": alert.message, "kind": alert.kind,
        "rule": rule.name,
    }
    if alert.topic.startswith(_TWEET_TOPIC):
        payload["tweet_id"] = alert.key
    else:
        payload["conversation_id"] = alert.key
    url = alert.fields.get("url")
    if isinstance(url, str):
        payload["url"] = url
    return payload
