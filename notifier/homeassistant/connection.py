"""The bridge's one MQTT connection: kept up with backoff, it publishes what waits and hears Home Assistant.

It connects with a last will (``offline``, retained, on ``<base>/status``) so
that Home Assistant shows the device unavailable however notifier dies, then
has the bridge queue every config, ``online`` and every state again, and
publishes what waits in :class:`~.outgoing.Outgoing`, paced
(:class:`~.outgoing.Pace`). Events go with QoS 1 and leave the queue only
once the broker acknowledged them, so a broker restart loses none. It listens
for Home Assistant's ``<prefix>/status`` (``online`` after a restart of Home
Assistant: everything is published again) and for the "notifications muted"
switch; a retained message on either is ignored (a command is a moment:
replayed at every connect it would turn the switch back on after Home
Assistant turned it off). A lost connection is retried with
:func:`~notifier.backoff.backoff_delay` forever; an outage is logged once,
when it starts. aiomqtt is imported only in :meth:`Connection.run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..backoff import backoff_delay
from .discovery import Topics
from .outgoing import Message, Outgoing, Pace

if TYPE_CHECKING:
    from ..rulefile.model import HomeAssistantSpec

__all__ = ["Connection"]

# The bridge's events: the logger's name is part of every JSON log line.
log = logging.getLogger("notifier.homeassistant.bridge")

# A publish the broker has not acknowledged after this long means the connection is gone.
_PUBLISH_TIMEOUT = 10.0
_RECONNECT_INITIAL = 1.0
_RECONNECT_MAX = 60.0
# At most this many messages a second after a burst: a re-announce must not flood the broker.
_RATE = 100.0
_BURST = 100


class Connection:
    """Publishes the bridge's ``outgoing`` to the broker of ``spec`` and hands Home Assistant's messages back.

    The bridge keeps what Home Assistant should see and is told through
    callbacks: ``everything`` queues every config and state again (a new
    connection, Home Assistant restarted), ``set_muted`` turns the switch,
    ``tick`` and ``idle`` run what changes without telling and say how long
    nothing is due, ``set_connected`` and ``dropped`` feed its metrics.
    ``wake`` is set whenever something waits to go.
    """

    def __init__(
        self,
        spec: HomeAssistantSpec,
        topics: Topics,
        outgoing: Outgoing,
        wake: asyncio.Event,
        *,
        everything: Callable[[], None],
        set_muted: Callable[[bool], None],
        tick: Callable[[], None],
        idle: Callable[[], float],
        set_connected: Callable[[bool], None],
        dropped: Callable[[str], None],
        monotonic: Callable[[], float],
    ) -> None:
        self._spec = spec
        self._topics = topics
        self._outgoing = outgoing
        self._wake = wake
        self._everything = everything
        self._set_muted = set_muted
        self._tick = tick
        self._idle = idle
        self._report_connected = set_connected
        self._dropped = dropped
        self._monotonic = monotonic
        self._pace = Pace(_RATE, _BURST)
        self.connected = False

    async def run(self) -> None:
        """Stay connected until cancelled; cancelled while connected, say ``offline`` first."""
        import aiomqtt  # noqa: PLC0415 - only a run with a home_assistant block loads it

        failures = 0
        down_since: float | None = None
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

    def _set_connected(self, connected: bool) -> None:
        self.connected = connected
        self._report_connected(connected)

    def _client(self, aiomqtt: Any) -> Any:
        spec = self._spec
        return aiomqtt.Client(
            spec.host, spec.port, username=spec.username, password=spec.password,
            will=aiomqtt.Will(self._topics.status, b"offline", qos=1, retain=True),
            tls_params=aiomqtt.TLSParameters() if spec.tls else None,
            keepalive=30, timeout=_PUBLISH_TIMEOUT,
        )

    async def _connected(self, client: Any, down_since: float | None) -> None:
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
            now = self._monotonic()
            if (delay := self._pace.wait(now)) > 0:
                await asyncio.sleep(delay)
                continue
            message = self._outgoing.take(now)
            if message is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._idle()):
                        await self._wake.wait()
                continue
            self._pace.spend(now)
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
            if message.retain:
                # Replayed by the broker at each connect, not said now: a retained ON would mute
                # again at every start although Home Assistant turned the switch off since.
                if topic == self._topics.muted_set:
                    log.info("Home Assistant: ignored a retained %s on the mute switch's command topic; only "
                             "commands sent now count (clear it: mosquitto_pub -r -n -t %s)",
                             payload.decode("ascii", "replace")[:8], topic, extra={"event": "retained_command"})
                continue
            if topic == self._topics.ha_status and payload == b"ONLINE":
                log.info("Home Assistant came online: announcing notifier's entities again",
                         extra={"event": "ha_online"})
                self._everything()
            elif topic == self._topics.muted_set and payload in (b"ON", b"OFF"):
                self._set_muted(payload == b"ON")


def _lost() -> Exception:
    import aiomqtt  # noqa: PLC0415

    return aiomqtt.MqttError("the connection to the broker was closed")
