"""A broker that cannot be reached: one log line per outage, the metric at 0, nothing secret logged."""

from __future__ import annotations

import asyncio
import logging

from notifier.homeassistant.bridge import Bridge
from notifier.run.metrics import Metrics
from notifier.rulefile.model import HomeAssistantSpec

from .conftest import PASSWORD


class Refusing:
    """A broker on 127.0.0.1 that refuses every client (CONNACK "not authorised"), counting the attempts."""

    def __init__(self) -> None:
        self.attempts = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Refusing:
        async def close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.attempts += 1
            await reader.read(1024)  # the CONNECT packet
            writer.write(b"\x20\x02\x00\x05")  # CONNACK, return code 5: not authorised
            await writer.drain()
            writer.close()

        self._server = await asyncio.start_server(close, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]


async def until(predicate, timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


async def test_a_broker_down_costs_one_log_line_and_the_metric(caplog) -> None:
    """Three failed connections log one warning naming the broker with its password masked; the gauge reads 0."""
    caplog.set_level(logging.INFO, logger="notifier")
    metrics = Metrics()
    async with Refusing() as broker:
        port = broker.port
        spec = HomeAssistantSpec(host="127.0.0.1", port=port, username="ha", password=PASSWORD)
        bridge = Bridge(spec, user_id="1", save=lambda entry: None, on_mute=lambda muted: None, metrics=metrics)
        task = asyncio.create_task(bridge.run())
        try:
            await until(lambda: broker.attempts >= 3)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    down = [record for record in caplog.records if getattr(record, "event", None) == "mqtt_down"]
    assert len(down) == 1
    assert f"mqtt://ha:***@127.0.0.1:{port}" in down[0].getMessage()
    assert PASSWORD not in caplog.text
    assert metrics.registry.get_sample_value("notifier_mqtt_connected") == 0
