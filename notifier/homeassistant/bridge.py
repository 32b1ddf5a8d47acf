"""The bridge to Home Assistant: one MQTT connection that shows notifier as a device, for as long as it runs.

The daemon feeds it without ever waiting: :meth:`Bridge.watch` with each new
rule set (which posts and rules have entities), :meth:`Bridge.counts` with a
post's counts after each event, :meth:`Bridge.alerts` with what the rules
fired. Those only change memory (:mod:`.outgoing`, bounded) and wake
:meth:`Bridge.run`, the one task that talks to the broker:

* it connects with a last will (``offline``, retained, on ``<base>/status``)
  so that Home Assistant shows the device unavailable however notifier dies,
  then says ``online`` and publishes every config and state, retained;
* it listens for Home Assistant's ``<prefix>/status`` (``online`` after a
  restart of Home Assistant: everything is published again) and for the
  "notifications muted" switch;
* events are published with QoS 1 and leave the queue only once the broker
  acknowledged them, so a broker restart loses none;
* a lost connection is retried with :func:`~notifier.backoff.backoff_delay`
  forever; an outage is logged once, when it starts, and shows in
  ``notifier_mqtt_connected``.

What the bridge must remember across restarts (the switch, and which
entities it announced, so that those no longer watched are removed even after
a restart) is handed to ``save`` as one JSON object.

aiomqtt is imported only in :meth:`Bridge.run`: a rule file without the block
never loads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..alert import HEALTH_KIND, Alert
from ..backoff import backoff_delay
from ..rules.model import RuleSet
from .discovery import (
    Device,
    Entities,
    PostEntity,
    RuleEntity,
    Topics,
    configs,
    encode,
    post_name,
    post_state,
)
from .outgoing import Message, Outgoing, Throttle

if TYPE_CHECKING:
    from ..metrics import Metrics
    from ..rulefile.model import HomeAssistantSpec

__all__ = ["STATE_KEY", "Bridge"]

log = logging.getLogger(__name__)

# The bridge's entry in the state file, beside the engine's.
STATE_KEY = "homeassistant"
_TWEET_TOPIC = "/tweet_engagement/"
# A publish the broker has not acknowledged after this long means the connection is gone.
_PUBLISH_TIMEOUT = 10.0
# How often the bridge looks at the stream's connection when nothing else wakes it.
_TICK = 1.0
# Entities announced by an earlier run wait this long for account watching to find
# their posts again before they are removed: a restart must not make them flicker.
_INHERITED_GRACE = 600.0
_RECONNECT_INITIAL = 1.0
_RECONNECT_MAX = 60.0


class Bridge:
    """notifier as a Home Assistant device over MQTT; ``run`` it as a task, feed it from the pipeline.

    ``user_id`` (the signed-in account's) keeps unique ids stable; ``handle``,
    when given, finds the @handle that names the device. ``on_mute`` is told
    when the switch changes (on mutes everything until unmuted, off unmutes:
    the one mute that buttons and ``notifier mute`` change too, which
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
        throttle: float = 5.0,
        max_events: int = 1000,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._spec = spec
        self._user_id = user_id
        self._device = Device.of(user_id)
        self._topics = Topics.of(spec.discovery_prefix, self._device)
        self._save = save
        self._on_mute = on_mute
        self._stream_up = stream_up
        self._metrics = metrics
        # Finds the account's @handle to name the device (set once X's web client exists).
        self.handle = handle
        self._clock = clock
        self._monotonic = monotonic
        self._started = monotonic()
        self._outgoing = Outgoing(max_events)
        self._throttle = Throttle(throttle)
        self._wake = asyncio.Event()
        memory = memory or {}
        self._muted = memory.get("muted") is True
        announced = memory.get("announced")
        self._announced: set[str] = {t for t in announced if isinstance(t, str)} if isinstance(announced, list) else set()
        # Announced by an earlier run and not (yet) again by this one.
        self._inherited = set(self._announced)
        self._configs: dict[str, bytes] = {}
        self._entities = Entities(sensors=spec.sensors)
        self._rules: dict[str, RuleEntity] = {}
        self._pending_follows = False
        self._stream: str | None = None
        self._last_event: str | None = None
        self.connected = False

    def __repr__(self) -> str:
        return f"Bridge({self._spec.shown!r}, connected={self.connected}, waiting={len(self._outgoing)})"

    @property
    def muted(self) -> bool:
        """Whether the "notifications muted" switch is on (as saved by the last run, until changed)."""
        return self._muted

    @property
    def device(self) -> Device:
        return self._device

    @property
    def topics(self) -> Topics:
        return self._topics

    # ------------------------------------------------------------------ fed by the daemon

    def watch(self, ruleset: RuleSet) -> None:
        """The rules and posts now watched: their entities are announced, those gone removed."""
        texts = ruleset.post_texts
        ids = sorted({topic[len(_TWEET_TOPIC):] for topic in ruleset.topics if topic.startswith(_TWEET_TOPIC)})
        posts = tuple(PostEntity(i, post_name(i, texts.get(i)), texts.get(i, "")) for i in ids)
        rules = tuple(RuleEntity(rule.name, rule.identity, (rule.kind,)) for rule in ruleset.rules)
        self._rules = {rule.name: rule for rule in rules}
        # A follow rule that found nothing yet: its posts of the last run may come back.
        self._pending_follows = any(rule.follow is not None and not rule.keys for rule in ruleset.rules)
        old_posts = {post.tweet_id: post for post in self._entities.posts}
        self._entities = Entities(posts, rules, self._spec.sensors)
        self._throttle.forget(set(ids))
        for post in posts:
            if old_posts.get(post.tweet_id) != post:
                self._post_attributes(post)
        for tweet_id in set(old_posts) - set(ids):
            # Nothing of a post no longer watched stays retained on the broker.
            self._outgoing.state(self._topics.post(tweet_id), b"")
            self._outgoing.state(self._topics.post_attributes(tweet_id), b"")
        self._sync()

    def counts(self, tweet_id: str, snapshot: Mapping[str, object] | None) -> None:
        """A watched post's counts after an event (the engine's snapshot); published throttled."""
        if snapshot is None or not any(post.tweet_id == tweet_id for post in self._entities.posts):
            return
        state = post_state(snapshot, self._spec.sensors)
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
                if not self._outgoing.event(self._topics.rule(rule.identity), encode(_event(alert, rule))):
                    self._dropped("overflow")
            self._last_event = datetime.fromtimestamp(self._clock(), timezone.utc).isoformat(timespec="seconds")
            self._outgoing.state(self._topics.last_event, self._last_event.encode())
        self._wake.set()

    def set_muted(self, muted: bool) -> None:
        """Turn the switch (Home Assistant's command, or a test): delivery hears of it, the state file keeps it."""
        if muted != self._muted:
            self._muted = muted
            log.info("notifications %s from Home Assistant", "muted" if muted else "unmuted",
                     extra={"event": "muted" if muted else "unmuted"})
            self._persist()
            self._on_mute(muted)
        self._outgoing.state(self._topics.muted, b"ON" if muted else b"OFF")
        self._wake.set()

    def show_muted(self, muted: bool) -> None:
        """Show the one mute on the switch (set from a button, ``notifier mute``, or ended by time)."""
        if muted != self._muted:
            self._muted = muted
            self._persist()
            self._outgoing.state(self._topics.muted, b"ON" if muted else b"OFF")
            self._wake.set()

    # ------------------------------------------------------------------ entities

    def _sync(self) -> None:
        """Queue the configs that are new or changed and the removal of those gone; remember what was announced."""
        wanted = {topic: encode(payload) for topic, payload in configs(self._device, self._topics, self._entities).items()}
        for topic, payload in wanted.items():
            if self._configs.get(topic) != payload:
                self._outgoing.state(topic, payload)
        gone = (self._announced | set(self._configs)) - set(wanted)
        if self._pending_follows and self._monotonic() - self._started < _INHERITED_GRACE:
            gone -= self._inherited
        for topic in gone:
            self._outgoing.state(topic, b"")  # an empty retained config removes the entity
        self._inherited -= set(wanted) | gone
        self._configs = wanted
        announced = (self._announced - gone) | set(wanted)
        if announced != self._announced:
            self._announced = announced
            self._persist()
        self._wake.set()

    def _post_attributes(self, post: PostEntity) -> None:
        attributes = {"url": post.url, "tweet_id": post.tweet_id}
        if post.text:
            attributes["text"] = post.text
        self._outgoing.state(self._topics.post_attributes(post.tweet_id), encode(attributes))

    def _everything(self) -> None:
        """Queue every config and state again: a new connection, or Home Assistant restarted."""
        for topic, payload in self._configs.items():
            self._outgoing.state(topic, payload)
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
            self._save({"muted": self._muted, "announced": sorted(self._announced)})
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
        due = self._throttle.next_at()
        if due is None:
            return _TICK
        return min(_TICK, max(0.0, due - self._monotonic()))

    def _dropped(self, reason: str) -> None:
        if self._metrics is not None:
            self._metrics.mqtt_dropped.labels(reason).inc()

    def _set_connected(self, connected: bool) -> None:
        self.connected = connected
        if self._metrics is not None:
            self._metrics.mqtt_connected.set(1 if connected else 0)

    # ------------------------------------------------------------------ the connection

    async def run(self) -> None:
        """Stay connected until cancelled; cancelled while connected, say ``offline`` first."""
        import aiomqtt  # noqa: PLC0415 - only a run with a home_assistant block loads it

        self._set_connected(False)
        namer = asyncio.create_task(self._name_device(), name="notifier-ha-handle") if self.handle else None
        failures = 0
        down_since: float | None = None
        try:
            while True:
                try:
                    async with self._client(aiomqtt) as client:
                        failures = 0
                        await self._connected(client, down_since)
                        down_since = None
                        await self._serve(client)
                except (aiomqtt.MqttError, OSError) as exc:
                    if self.connected or down_since is None:
                        down_since = self._monotonic()
                        log.warning(
                            "Home Assistant: the MQTT broker %s cannot be reached (%s); trying again in the "
                            "background, alerts still go to their targets", self._spec.shown, exc,
                            extra={"event": "mqtt_down"},
                        )
                    self._set_connected(False)
                except Exception:  # noqa: BLE001 - Home Assistant must never stop notifier
                    log.exception("Home Assistant: the MQTT connection failed; trying again")
                    down_since = down_since or self._monotonic()
                    self._set_connected(False)
                delay = backoff_delay(failures, initial=_RECONNECT_INITIAL, maximum=_RECONNECT_MAX,
                                      jitter_from=0.5, jitter_span=0.5, draw=random.random())
                failures += 1
                await asyncio.sleep(delay)
        finally:
            self._set_connected(False)
            if namer is not None:
                namer.cancel()

    def _client(self, aiomqtt: Any) -> Any:
        spec = self._spec
        return aiomqtt.Client(
            spec.host, spec.port, username=spec.username, password=spec.password,
            will=aiomqtt.Will(self._topics.status, b"offline", qos=1, retain=True),
            tls_params=aiomqtt.TLSParameters() if spec.tls else None,
            keepalive=30, timeout=_PUBLISH_TIMEOUT,
        )

    async def _connected(self, client: Any, down_since: float | None) -> None:
        await client.publish(self._topics.status, b"online", qos=1, retain=True)
        await client.subscribe([(self._topics.ha_status, 1), (self._topics.muted_set, 1)])
        self._set_connected(True)
        if down_since is None:
            log.info("Home Assistant: connected to the MQTT broker %s", self._spec.shown,
                     extra={"event": "mqtt_connected"})
        else:
            log.info("Home Assistant: the MQTT broker %s is back after %.0f s", self._spec.shown,
                     self._monotonic() - down_since, extra={"event": "mqtt_connected"})
        self._everything()

    async def _serve(self, client: Any) -> None:
        """Publish what waits and handle what comes until the connection fails (MqttError) or a cancel."""
        receiver = asyncio.create_task(self._receive(client), name="notifier-ha-receive")
        receiver.add_done_callback(lambda _: self._wake.set())
        try:
            await self._send(client, receiver)
        except asyncio.CancelledError:
            # An orderly stop: Home Assistant shows the device unavailable at once.
            with contextlib.suppress(Exception):
                await client.publish(self._topics.status, b"offline", qos=1, retain=True, timeout=2.0)
            raise
        finally:
            receiver.cancel()
            await asyncio.gather(receiver, return_exceptions=True)

    async def _send(self, client: Any, receiver: asyncio.Task[None]) -> None:
        while True:
            if receiver.done():
                receiver.result()  # the connection's error
                raise _lost()
            self._tick()
            message = self._outgoing.take()
            if message is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._idle()):
                        await self._wake.wait()
                continue
            await self._publish(client, message)

    async def _publish(self, client: Any, message: Message) -> None:
        try:
            await client.publish(message.topic, message.payload, qos=1, retain=message.retain)
        except BaseException as exc:
            # Not acknowledged: it goes first on the next connection (an event may then come twice).
            self._outgoing.put_back(message)
            if not isinstance(exc, asyncio.CancelledError):
                self._dropped("failed")
            raise

    async def _receive(self, client: Any) -> None:
        async for message in client.messages:
            topic, payload = str(message.topic), bytes(message.payload or b"").strip().upper()
            if topic == self._topics.ha_status and payload == b"ONLINE":
                log.info("Home Assistant came online: announcing notifier's entities again",
                         extra={"event": "ha_online"})
                self._everything()
            elif topic == self._topics.muted_set and payload in (b"ON", b"OFF"):
                self.set_muted(payload == b"ON")

    async def _name_device(self) -> None:
        """Name the device by the account's @handle once X says it (one request; a failure keeps "notifier")."""
        assert self.handle is not None
        try:
            async with asyncio.timeout(60):
                handle = await self.handle()
        except Exception as exc:  # noqa: BLE001 - the name is cosmetic
            log.debug("Home Assistant: the account's handle is unknown (%s); the device is named notifier", exc)
            return
        self._device = Device.of(self._user_id, handle)
        self._sync()


def _lost() -> Exception:
    import aiomqtt  # noqa: PLC0415

    return aiomqtt.MqttError("the connection to the broker was closed")


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
