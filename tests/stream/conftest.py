"""Fixtures for stream tests: fake servers, recorded backoff waits, event collectors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from notifier.stream import Backoff, Payload, StreamClient, StreamingSession
from tests.fakes.live_pipeline import FakeLivePipeline

TWEET = "/tweet_engagement/1850000000000000001"


class RecordingSleep:
    """Stands in for asyncio.sleep between reconnects: records the delay, waits (almost) nothing."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0.01)


class Collector:
    """Reads a session in a background task, keeping every message and the error that ended it."""

    def __init__(self, session: StreamingSession) -> None:
        self.items: list[tuple[str, str, Payload]] = []
        self.error: BaseException | None = None
        self.finished = False
        self._task = asyncio.create_task(self._run(session))

    async def _run(self, session: StreamingSession) -> None:
        try:
            async for item in session.messages():
                self.items.append(item)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            self.error = exc
        finally:
            self.finished = True

    def of(self, kind: str) -> list[Any]:
        """The events of one Payload field, in arrival order."""
        return [getattr(payload, kind) for _, _, payload in self.items if getattr(payload, kind) is not None]

    def topics(self) -> list[str]:
        return [topic for _, topic, _ in self.items]

    async def aclose(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


@pytest.fixture
def live() -> Iterator[Callable[..., FakeLivePipeline]]:
    """Start FakeLivePipeline servers; every one is stopped at teardown."""
    fakes: list[FakeLivePipeline] = []

    def start(**kwargs: Any) -> FakeLivePipeline:
        fake = FakeLivePipeline(**kwargs)
        fake.start()
        fakes.append(fake)
        return fake

    yield start
    for fake in fakes:
        fake.stop()


@pytest.fixture
def fake(live: Callable[..., FakeLivePipeline]) -> FakeLivePipeline:
    """A fake with a short TTL and heartbeat so keep-alive behaviour shows within a second."""
    return live(ttl_millis=2000, heartbeat_millis=200)


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
async def client_for(sleep: RecordingSleep) -> AsyncIterator[Callable[..., StreamClient]]:
    """StreamClients for a fake, with jitter off and recorded (near-zero) backoff waits; closed at teardown."""
    clients: list[StreamClient] = []

    def make(fake: FakeLivePipeline, **kwargs: Any) -> StreamClient:
        kwargs.setdefault("backoff", Backoff(jitter=(1.0, 1.0)))
        kwargs.setdefault("sleep", sleep)
        kwargs.setdefault("timeout", 5.0)
        client = StreamClient(kwargs.pop("cookies", fake.cookies), api_base=fake.url, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def collect() -> AsyncIterator[Callable[[StreamingSession], Collector]]:
    """Start Collectors on sessions; their tasks are cancelled at teardown."""
    collectors: list[Collector] = []

    def start(session: StreamingSession) -> Collector:
        collector = Collector(session)
        collectors.append(collector)
        return collector

    yield start
    for collector in collectors:
        await collector.aclose()
