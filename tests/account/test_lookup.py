"""The post lookup against the fake X web API: once per post, kept across restarts, limits and rejections kept."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping

import pytest

from notifier.account import XWebClient
from notifier.account.lookup import PostLookup, read_words
from tests.fakes.x_web import FakeXWeb


class Memory:
    """Plays the pipeline (words found) and the state file (entries saved)."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}
        self.saved: dict[str, dict | None] = {}

    def on_found(self, words: Mapping[str, str]) -> None:
        self.found.update(words)

    def save(self, changes: Mapping[str, dict | None]) -> None:
        self.saved.update(changes)

    def kept(self) -> dict[str, dict]:
        return {post_id: entry for post_id, entry in self.saved.items() if entry is not None}


def lookup(client: XWebClient, memory: Memory, known: Mapping[str, str | None] | None = None) -> PostLookup:
    return PostLookup(client, found=memory.on_found, save=memory.save, known=known, retry=0.05)


@contextlib.asynccontextmanager
async def running(post_lookup: PostLookup) -> AsyncIterator[None]:
    task = asyncio.create_task(post_lookup.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_each_post_is_looked_up_once_and_a_restart_asks_nothing(x_web: FakeXWeb, client: XWebClient) -> None:
    """Two named posts: one request each, their words found and saved; a lookup built from what was saved asks nothing."""
    first = x_web.add_post("7", "Launching today: the new thing")
    second = x_web.add_post("8", "A long post " + "with many words " * 100, note=True)
    memory = Memory()
    post_lookup = lookup(client, memory)
    post_lookup.want([first, second])
    async with running(post_lookup):
        await until(lambda: len(memory.found) == 2)
        await until(lambda: post_lookup.idle)  # nothing more to ask: a wrong second request would have come
    assert memory.found[first] == "Launching today: the new thing"
    assert memory.found[second].startswith("A long post with many words") and len(memory.found[second]) == 1000
    assert x_web.lookups(first) == x_web.lookups(second) == 1

    again = lookup(client, Memory(), known=read_words(memory.kept()))
    again.want([first, second])
    assert again.pending() == () and again.words() == memory.found
    async with running(again):
        await until(lambda: again.idle)
    assert x_web.lookups() == 2


@pytest.mark.parametrize("make", ["add_tombstone", "add_unavailable", "missing"])
async def test_a_post_x_does_not_show_is_remembered_as_such(x_web: FakeXWeb, client: XWebClient, make: str) -> None:
    """A deleted, protected or unknown post: saved as unavailable, no words found, never asked again."""
    post = "1999999999999999999" if make == "missing" else getattr(x_web, make)("7")
    memory = Memory()
    post_lookup = lookup(client, memory)
    post_lookup.want([post])
    async with running(post_lookup):
        await until(lambda: post in memory.saved)
        await until(lambda: post_lookup.idle)
    assert memory.saved == {post: {"text": None}} and memory.found == {}
    assert read_words(memory.kept()) == {post: None}
    assert x_web.lookups() == 1


async def test_a_spent_rate_limit_is_waited_out(x_web: FakeXWeb, client: XWebClient, caplog) -> None:
    """A 429 pauses the lookups until X's reset, then they go on; the stream is never involved."""
    post = x_web.add_post("7", "Launching today")
    # A whole second, as X sends it: the fake must not reset later than it says.
    x_web.rate_limit("TweetResultByRestId", remaining=0, reset=int(time.time()) + 2)
    memory = Memory()
    post_lookup = lookup(client, memory)
    post_lookup.want([post])
    with caplog.at_level(logging.WARNING, "notifier.account.lookup"):
        async with running(post_lookup):
            await until(lambda: memory.found)
    statuses = [r["status"] for r in x_web.requests if r["op"] == "TweetResultByRestId"]
    assert statuses == [429, 200]
    assert [r.event for r in caplog.records] == ["post_lookup_rate_limited"]


async def test_a_stale_query_id_is_logged_once_and_nothing_is_saved(
    x_web: FakeXWeb, client: XWebClient, caplog
) -> None:
    """X rotated the query id: one error naming the setting, however often the lookup tries again."""
    post = x_web.add_post("7", "Launching today")
    x_web.front_end = "none"  # and x.com's web app offers no new id
    x_web.stale("TweetResultByRestId")
    memory = Memory()
    post_lookup = lookup(client, memory)
    post_lookup.want([post])
    with caplog.at_level(logging.INFO, "notifier.account.lookup"):
        async with running(post_lookup):
            await until(lambda: x_web.lookups() >= 3)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.event for r in errors] == ["post_lookup_rejected"]
    assert "account.graphql.TweetResultByRestId" in errors[0].getMessage()
    assert memory.saved == {} and post_lookup.pending() == (post,)


async def test_posts_no_rule_names_any_more_are_forgotten(x_web: FakeXWeb, client: XWebClient) -> None:
    """want() with fewer ids deletes the others' entries: the state file holds what the rules name."""
    memory = Memory()
    post_lookup = lookup(client, memory, known={"11": "eleven", "12": None})
    post_lookup.want(["11", "12"])
    assert memory.saved == {}
    post_lookup.want(["11"])
    assert memory.saved == {"12": None}
    assert post_lookup.words() == {"11": "eleven"} and post_lookup.pending() == ()


def test_saved_entries_that_do_not_read_are_looked_up_again() -> None:
    """Only {"text": str|null} entries count as known; anything else is asked again."""
    entries = {"1": {"text": "hi"}, "2": {"text": None}, "3": {"text": 5}, "4": {}, "5": "x"}
    assert read_words(entries) == {"1": "hi", "2": None}

