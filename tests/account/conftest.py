"""Fixtures for account tests: a started fake X web API and a client signed in to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from notifier.account import XWebClient
from notifier.stream.auth import Cookies
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
