"""Fixtures for account tests: a started fake X web API and a client signed in to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from notifier.account import XWebClient
from notifier.stream.auth import Cookies
from tests.account.runs import AUTH_TOKEN, CT0, ME, Run
from tests.fakes.live_pipeline import FakeLivePipeline
from tests.fakes.receiver import Receiver
from tests.fakes.x_web import FakeXWeb


@pytest.fixture
def x_web() -> Iterator[FakeXWeb]:
    """A FakeXWeb on 127.0.0.1, stopped at teardown."""
    with FakeXWeb() as fake:
        yield fake


@pytest.fixture
async def client(x_web: FakeXWeb) -> AsyncIterator[XWebClient]:
    """An XWebClient with the fake's cookies, pointed at the fake."""
    web = XWebClient(Cookies.from_mapping(x_web.cookies), api_base=x_web.url)
    yield web
    await web.aclose()


# `notifier run` children against the fake stream, the fake X web API and a receiver (see runs.py).


@pytest.fixture
def stream() -> Iterator[FakeLivePipeline]:
    with FakeLivePipeline(heartbeat_millis=300, own_user_id=ME, auth_token=AUTH_TOKEN, ct0=CT0) as server:
        yield server


@pytest.fixture
def web() -> Iterator[FakeXWeb]:
    with FakeXWeb(own_user_id=ME, auth_token=AUTH_TOKEN, ct0=CT0) as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


@pytest.fixture
def run(tmp_path: Path, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver) -> Iterator[Run]:
    runner = Run(tmp_path, stream, web, receiver)
    yield runner
    for child in runner.children:
        child.kill()
