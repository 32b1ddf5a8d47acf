"""Catch-up in the daemon, over a real socket: outages are measured, quiet streams are not outages.

The daemon runs in-process against the fake live_pipeline server with a fake
clock, so a 12-minute outage takes a moment; alerts reach a real HTTP receiver.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from notifier.run.config import Config
from notifier.run.daemon import Daemon
from tests.fakes.live_pipeline import FakeLivePipeline
from tests.fakes.receiver import Receiver

from .conftest import TWEET

TOPIC = f"/tweet_engagement/{TWEET}"

RULES = f"""\
version: 1
account:
  cookies: cookies.json
targets:
  hook: "{{url}}"
defaults:
  notify: [hook]
  max_gap: 5m
rules:
  - name: Like milestones
    tweets: ["{TWEET}"]
    every: {{likes: 1000}}
  - name: Repost milestones
    tweets: ["{TWEET}"]
    milestones: {{retweets: [100, 500]}}
"""


async def wait_until(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll ``predicate`` until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
        await asyncio.sleep(0.01)


class Running:
    """A daemon running in this event loop on a fake clock."""

    def __init__(self, daemon: Daemon, clock: list[float]) -> None:
        self.daemon = daemon
        self.clock = clock

    def likes_known(self, value: int) -> bool:
        parts = self.daemon.parts
        engine = parts.engine if parts is not None else None
        return engine is not None and engine.state.entries().get(f"s:{TWEET}", {}).get("likes") == value

    async def reconnect(self, fake: FakeLivePipeline, *, down_for: float = 0.0) -> None:
        """Drop the stream; while it is down the fake clock moves ``down_for`` seconds."""
        supervisor = self.daemon.parts.supervisor
        connections = supervisor.connections
        fake.drop_connections()
        await wait_until(lambda: supervisor.session is not None and not supervisor.session.stats.connected)
        self.clock[0] += down_for
        # Reconnected, and the new connection's config event handled by the daemon.
        await wait_until(lambda: supervisor.connections == connections + 1)


@pytest.fixture
async def running(fake: FakeLivePipeline, receiver: Receiver, tmp_path: Path) -> AsyncIterator[Running]:
    (tmp_path / "cookies.json").write_text(json.dumps(fake.cookies))
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.replace("{url}", receiver.json_url()))
    clock = [time.time()]
    config = Config(rules=rules, state=tmp_path / "state.db", api_base=fake.url, watch_interval=0)
    daemon = Daemon(config, env={}, clock=lambda: clock[0], install_signals=False)
    task = asyncio.create_task(daemon.run())
    try:
        await wait_until(
            lambda: (daemon.parts is not None and daemon.parts.supervisor.connections == 1) or task.done()
        )
        assert not task.done(), "the daemon stopped at start"
        yield Running(daemon, clock)
    finally:
        daemon.stop("end of test")
        await asyncio.wait_for(task, timeout=20)


async def test_outage_turns_a_burst_of_milestones_into_one_catch_up_alert(
    fake: FakeLivePipeline, receiver: Receiver, running: Running
) -> None:
    """After a 12 min outage, the first event's milestones of two rules arrive as one alert saying so."""
    fake.push_engagement(TWEET, like_count=900, retweet_count=90)
    await wait_until(lambda: running.likes_known(900))

    await running.reconnect(fake, down_for=720)
    fake.push_engagement(TWEET, like_count=4100, retweet_count=600)
    assert await receiver.wait_for_async(lambda r: len(r.received) >= 1, timeout=10)
    fake.push_engagement(TWEET, like_count=5000)
    assert await receiver.wait_for_async(lambda r: len(r.received) >= 2, timeout=10)
    assert receiver.titles == [
        "Tweet passed 4,000 likes · Tweet passed 500 reposts (catch-up after 12 min outage)",
        "Tweet passed 5,000 likes",
    ]


async def test_quiet_but_connected_stream_is_no_outage(
    fake: FakeLivePipeline, receiver: Receiver, running: Running
) -> None:
    """Twelve minutes without a message while connected, then a short drop: not a catch-up."""
    fake.push_engagement(TWEET, like_count=900, retweet_count=90)
    await wait_until(lambda: running.likes_known(900))

    running.clock[0] += 720  # nothing arrives, but the connection is up all along
    await running.reconnect(fake, down_for=2)
    fake.push_engagement(TWEET, like_count=1100)
    assert await receiver.wait_for_async(lambda r: len(r.received) >= 1, timeout=10)
    assert receiver.titles == ["Tweet passed 1,000 likes"]


async def test_outage_shorter_than_max_gap_changes_nothing(
    fake: FakeLivePipeline, receiver: Receiver, running: Running
) -> None:
    """A 4 min outage is within the default-like max_gap of 5 min: alerts read as usual."""
    fake.push_engagement(TWEET, like_count=900)
    await wait_until(lambda: running.likes_known(900))
    await running.reconnect(fake, down_for=240)
    fake.push_engagement(TWEET, like_count=1100)
    assert await receiver.wait_for_async(lambda r: len(r.received) >= 1, timeout=10)
    assert receiver.titles == ["Tweet passed 1,000 likes"]
