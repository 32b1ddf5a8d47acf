"""Fixtures for the Home Assistant tests: a real broker on 127.0.0.1, a subscriber, and the daemon's fixtures."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.daemon.conftest import (  # noqa: F401 - fixtures, used by name
    WriteRules,
    env,
    fake,
    receiver,
    start_notifier,
    workdir,
    write_rules,
)
from tests.daemon.process import wait_until
from tests.fakes.mqtt import Broker

# The fake stream's signed-in user: the device's node and every topic carry it.
NODE = "notifier_1111"
BASE = f"notifier/{NODE}"
PASSWORD = "mqtt-Pa55-5f0c3e9b"


@pytest.fixture
def broker() -> Iterator[Broker]:
    with Broker() as server:
        yield server


@dataclass(frozen=True, slots=True)
class Received:
    topic: str
    payload: bytes
    retain: bool

    @property
    def json(self) -> Any:
        return json.loads(self.payload)


class Subscriber:
    """An MQTT client on a thread of its own that keeps every message of ``topics``, reconnecting as needed."""

    def __init__(self, broker: Broker, *topics: str) -> None:
        self._broker = broker
        self._topics = topics or ("#",)
        self._lock = threading.Lock()
        self.messages: list[Received] = []
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="mqtt-subscriber", daemon=True)
        self._thread.start()
        wait_for(lambda: self.connections > 0, what="the test subscriber to connect")

    def _run(self) -> None:
        self._main = self._loop.create_task(self._listen())
        with contextlib.suppress(asyncio.CancelledError):
            self._loop.run_until_complete(self._main)

    async def _listen(self) -> None:
        import aiomqtt

        # Read until close() cancels this task: a timeout around each read would cut into
        # the reading itself, and a message could be lost to it.
        while True:
            try:
                async with aiomqtt.Client(self._broker.host, self._broker.port) as client:
                    for topic in self._topics:
                        await client.subscribe(topic, qos=1)
                    self.connections += 1
                    async for message in client.messages:
                        with self._lock:
                            self.messages.append(
                                Received(str(message.topic), bytes(message.payload or b""), bool(message.retain))
                            )
            except aiomqtt.MqttError:
                await asyncio.sleep(0.1)

    def close(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._main.cancel)
            self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> Subscriber:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------------

    def on(self, topic: str) -> list[Received]:
        with self._lock:
            return [message for message in self.messages if message.topic == topic]

    def last(self, topic: str) -> Received | None:
        found = self.on(topic)
        return found[-1] if found else None

    def wait_last(self, topic: str, payload: bytes, timeout: float = 30.0) -> Received:
        """Wait until the latest message on ``topic`` is ``payload``."""
        return wait_for(lambda: (m := self.last(topic)) is not None and m.payload == payload and m,
                        timeout, what=f"{payload!r} on {topic}; saw {[m.payload for m in self.on(topic)]}")

    def wait_for_topic(self, topic: str, timeout: float = 30.0) -> Received:
        """Wait until a message on ``topic`` came; the latest one."""
        return wait_for(lambda: self.last(topic), timeout, what=f"a message on {topic}")

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Publish as Home Assistant would (QoS 1), from a client of its own."""
        import aiomqtt

        async def send() -> None:
            async with aiomqtt.Client(self._broker.host, self._broker.port) as client:
                await client.publish(topic, payload, qos=1, retain=retain)

        # On the subscriber's own loop: a test running a loop of its own may publish too.
        asyncio.run_coroutine_threadsafe(send(), self._loop).result(timeout=30)

    def configs(self, prefix: str = "homeassistant") -> dict[str, dict]:
        """The latest non-empty config of each discovery topic seen."""
        found: dict[str, dict] = {}
        with self._lock:
            messages = list(self.messages)
        for message in messages:
            if message.topic.startswith(prefix + "/") and message.topic.endswith("/config"):
                if message.payload:
                    found[message.topic] = json.loads(message.payload)
                else:
                    found.pop(message.topic, None)
        return found


class HomeAssistantTemplates:
    """Renders a discovery config's value_template as Home Assistant's MQTT sensor does, keeping its warnings.

    Home Assistant renders in a sandboxed Jinja environment whose Undefined logs
    "Template variable warning: ..." when an undefined value is printed, iterated
    or tested for truth (helpers/template.py, make_logging_undefined); value_json
    is the message parsed as JSON. A numeric sensor ignores an empty result.
    """

    def __init__(self) -> None:
        import jinja2
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        self.warnings: list[str] = []
        warnings = self.warnings

        class LoggingUndefined(jinja2.Undefined):
            def _log(self) -> None:
                warnings.append(f"Template variable warning: {self._undefined_message}")

            def __str__(self) -> str:
                self._log()
                return super().__str__()

            def __iter__(self):
                self._log()
                return super().__iter__()

            def __bool__(self) -> bool:
                self._log()
                return super().__bool__()

        self._env = ImmutableSandboxedEnvironment(undefined=LoggingUndefined)

    def render(self, template: str, payload: bytes) -> str:
        return self._env.from_string(template).render(value=payload.decode(), value_json=json.loads(payload)).strip()


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    """Poll until ``predicate`` is truthy (the daemon tests' wait, with room for a broker)."""
    return wait_until(predicate, timeout=timeout, what=what)


@pytest.fixture
def subscribe(broker: Broker) -> Iterator[Callable[..., Subscriber]]:
    """Start subscribers on the broker (``#`` unless topics are given); all closed at teardown."""
    started: list[Subscriber] = []

    def start(*topics: str) -> Subscriber:
        subscriber = Subscriber(broker, *topics)
        started.append(subscriber)
        return subscriber

    yield start
    for subscriber in started:
        subscriber.close()


HaRules = Callable[..., Path]


@pytest.fixture
def ha_rules(write_rules: WriteRules, broker: Broker) -> HaRules:  # noqa: F811 - the fixture, by name
    """write_rules plus a home_assistant block for the test broker (user and password in the URL)."""

    def write(rules: str, targets: dict[str, object], *, sensors: str = "[likes, retweets, views]") -> Path:
        path = write_rules(rules, targets)
        block = (
            "home_assistant:\n"
            f"  mqtt: mqtt://ha:${{MQTT_PASSWORD}}@{broker.host}:{broker.port}\n"
            f"  sensors: {sensors}\n"
        )
        path.write_text(path.read_text() + block)
        return path

    return write
