"""The health watch in a running loop: changes become alerts, and the ping reaches a real server."""

from __future__ import annotations

import asyncio
import logging

import pytest

from notifier.alert import Alert
from notifier.run.healthwatch import HealthWatch
from notifier.logs import secret_filter
from notifier.run.metrics import Metrics
from notifier.rulefile.model import HealthSpec
from tests.fakes.receiver import Receiver

UUID = "5e1d0c2b-aaaa-4bbb-8ccc-0123456789ab"


def watch(spec: HealthSpec, sent: list[Alert], stream_up=lambda: None, clock=lambda: 1000.0) -> HealthWatch:
    return HealthWatch(spec, metrics=Metrics(), enqueue=sent.extend, stream_up=stream_up, clock=clock)


async def test_state_unwritable_without_a_health_block_goes_to_defaults_notify() -> None:
    """No health block: state_unwritable(True) queues one urgent alert to defaults.notify; False, a recovery."""
    sent: list[Alert] = []
    health = watch(HealthSpec(notify=("team",)), sent)
    health.state_unwritable(True, "disk full")
    health.check()
    health.check()
    health.state_unwritable(False)
    health.check()
    assert [(a.title, a.targets, a.urgent) for a in sent] == [
        ("notifier cannot write its state file", ("team",), True),
        ("notifier recovered: the state file is written again", ("team",), True),
    ]


async def test_stream_down_without_a_health_block_is_shown_not_sent() -> None:
    """Without a health block a stream outage sets the gauge and /healthz, but sends nothing."""
    sent: list[Alert] = []
    now = [0.0]
    health = watch(HealthSpec(notify=("team",), stream_down=5.0), sent, stream_up=lambda: False, clock=lambda: now[0])
    health.check()
    now[0] = 10.0
    health.check()
    assert sent == [] and "stream_down" in health.active()
    assert health._metrics.health.labels("stream_down")._value.get() == 1  # noqa: SLF001 - the gauge's value


async def test_ping_reaches_the_url_while_healthy_and_is_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    """A healthy check GETs the ping URL; a failing ping is logged with the URL masked."""
    with Receiver() as receiver:
        url = f"{receiver.url}/{UUID}"
        health = watch(HealthSpec(notify=("team",), ping=url, given=True), [])
        task = asyncio.create_task(health.run())
        try:
            deadline = asyncio.get_running_loop().time() + 10
            while not receiver.requests and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.02)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert [(r.method, r.path) for r in receiver.requests] == [("GET", f"/{UUID}")]

        receiver.fail(500)
        health = watch(HealthSpec(notify=("team",), ping=url, given=True), [])
        with caplog.at_level(logging.WARNING, logger="notifier.run.healthwatch"):
            health.check()
            await asyncio.wait_for(health._ping, 10)  # noqa: SLF001 - wait for the one ping
        [record] = [r for r in caplog.records if getattr(r, "event", "") == "health_ping_failed"]
        secret_filter().filter(record)
        assert UUID not in record.getMessage() and "/***" in record.getMessage()


async def test_an_unwritable_state_file_alerts_and_after_a_minute_stops_the_run() -> None:
    """The deliverer's report becomes the state_unwritable alert; a minute of it ends run() with StateError."""
    import time

    from notifier.exceptions import StateError

    sent: list[Alert] = []
    since: list[float | None] = [time.monotonic()]
    health = HealthWatch(
        HealthSpec(notify=("team",)), metrics=Metrics(), enqueue=sent.extend, unwritable_since=lambda: since[0],
        clock=lambda: 1000.0,
    )
    health.check()
    assert [a.title for a in sent] == ["notifier cannot write its state file"]
    since[0] = None
    health.check()
    assert sent[-1].title == "notifier recovered: the state file is written again"
    since[0] = time.monotonic() - 61
    with pytest.raises(StateError, match="not been writable for 60 s"):
        await asyncio.wait_for(health.run(), timeout=5)
