"""Shared fixtures for delivery tests: real servers on 127.0.0.1, an outbox, alerts, deliverers."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from notifier.alert import Alert
from notifier.delivery import Deliverer, DeliveryResult, Outbox, TargetSet
from tests.fakes.receiver import Receiver
from tests.fakes.smtp import FakeSMTP

_numbers = itertools.count(1)


def make_alert(*targets: str, title: str | None = None, **overrides: object) -> Alert:
    """An alert for ``targets`` with a unique title (so arrivals can be counted per alert)."""
    number = next(_numbers)
    values: dict[str, object] = {
        "rule": "Launch tweet passes 1,000 likes",
        "topic": "/tweet_engagement/1850000000000000000",
        "key": "1850000000000000000",
        "title": title or f"Alert {number}",
        "message": f"Tweet passed **{number},000** likes\nhttps://x.com/i/status/1850000000000000000",
        "targets": targets,
        "ts": time.time(),
        "kind": "when",
        "notify_type": "success",
    }
    values.update(overrides)
    return Alert(**values)  # type: ignore[arg-type]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as fake:
        yield fake


@pytest.fixture
def other_receiver() -> Iterator[Receiver]:
    with Receiver() as fake:
        yield fake


@pytest.fixture
def smtp() -> Iterator[FakeSMTP]:
    with FakeSMTP() as fake:
        yield fake


@pytest.fixture
def outbox(tmp_path) -> Iterator[Outbox]:
    with Outbox(tmp_path / "state.db") as box:
        yield box


class Results(list[DeliveryResult]):
    """The DeliveryResults a deliverer reported, with counting helpers."""

    def count(self, outcome: str, target: str | None = None) -> int:  # type: ignore[override]
        return sum(1 for r in self if r.outcome == outcome and (target is None or r.target == target))


@pytest.fixture
async def start_deliverer(outbox) -> AsyncIterator[Callable[..., Deliverer]]:
    """Start Deliverers on the test's outbox (fast backoff by default); all closed at teardown."""
    started: list[Deliverer] = []

    async def start(targets: TargetSet, *, box: Outbox | None = None, **options: object) -> Deliverer:
        options.setdefault("backoff", lambda attempt: 0.05)
        results = Results()
        options.setdefault("on_result", results.append)
        deliverer = Deliverer(box or outbox, targets, **options)  # type: ignore[arg-type]
        deliverer.results = results  # type: ignore[attr-defined]
        await deliverer.start()
        started.append(deliverer)
        return deliverer

    yield start  # type: ignore[misc]
    for deliverer in started:
        await deliverer.aclose(grace=0.5)


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` on the event loop until true (True) or ``timeout`` (False)."""
    import asyncio

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.01)
    return True
