"""The stream supervisor: topic changes, new sessions when needed, health, and who hears what."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from notifier.exceptions import StreamError
from notifier.stream.events import ConfigEvent, Payload
from notifier.stream.session import ConnectionListener, StreamStats
from notifier.stream.supervisor import StreamSupervisor


class _Session:
    """Stands in for a StreamingSession: topics, stats, update and close."""

    def __init__(self, topics: Iterable[str], fail_updates: bool = False) -> None:
        self.topics = set(topics)
        self.stats = StreamStats(connected=True)
        self.updates: list[tuple[list[str] | None, list[str] | None]] = []
        self.closed = False
        self._fail = fail_updates
        self._ended = asyncio.Event()

    async def update_subscriptions(self, subscribe=None, unsubscribe=None) -> Payload:
        self.updates.append((subscribe, unsubscribe))
        if self._fail:
            raise StreamError("the update failed twice")
        self.topics.difference_update(unsubscribe or ())
        self.topics.update(subscribe or ())
        return Payload()

    def __aiter__(self):
        return self

    async def __anext__(self):
        await self._ended.wait()  # an open session yields nothing until it is closed
        raise StopAsyncIteration

    async def aclose(self) -> None:
        self.closed = True
        self._ended.set()


class _Client:
    """Opens _Sessions (the first one failing updates when asked); can hold an open back."""

    def __init__(self, *, fail_updates: bool = False) -> None:
        self.opened: list[_Session] = []
        self.listeners: list[ConnectionListener | None] = []
        self.release = asyncio.Event()
        self.release.set()
        self.closed = False
        self._fail = fail_updates

    async def get_streaming_session(
        self, topics: Iterable[str], auto_reconnect: bool = True, *, listener: ConnectionListener | None = None
    ) -> _Session:
        await self.release.wait()
        session = _Session(topics, self._fail and not self.opened)
        self.opened.append(session)
        self.listeners.append(listener)
        return session

    async def aclose(self) -> None:
        self.closed = True


class _Observer:
    """Keeps what the supervisor passes on."""

    def __init__(self) -> None:
        self.heard: list[str] = []

    def stream_event(self, topic: str, payload: Payload) -> None:
        self.heard.append(topic)

    def stream_connected(self, config: ConfigEvent) -> None:
        self.heard.append(f"connected {config.session_id}")

    def stream_dropped(self) -> None:
        self.heard.append("dropped")


async def _running(topics: set[str], **client_options: bool) -> tuple[StreamSupervisor, _Client, _Session]:
    client = _Client(**client_options)
    supervisor = StreamSupervisor(client, _Observer(), clock=lambda: 1000.0)
    await supervisor.apply(topics)
    (session,) = client.opened
    return supervisor, client, session


async def test_tweet_topic_changes_update_the_running_session() -> None:
    """Added and removed tweets go through update_subscriptions; no new session."""
    supervisor, client, session = await _running({"/tweet_engagement/1", "/dm_update/1-2"})
    await supervisor.apply({"/tweet_engagement/2", "/dm_update/1-2"})
    assert session.updates == [(["/tweet_engagement/2"], ["/tweet_engagement/1"])]
    assert client.opened == [session] and supervisor.session is session
    await supervisor.aclose()


async def test_dm_topic_change_opens_a_new_session() -> None:
    """A different DM topic set replaces the session and closes the old one."""
    supervisor, client, old = await _running({"/tweet_engagement/1"})
    await supervisor.apply({"/tweet_engagement/1", "/dm_typing/1-2"})
    (new,) = client.opened[1:]
    assert new.topics == {"/tweet_engagement/1", "/dm_typing/1-2"}
    assert supervisor.session is new and old.closed and old.updates == []
    await supervisor.aclose()
    assert new.closed and client.closed


async def test_failed_update_falls_back_to_a_new_session() -> None:
    """If the subscription update fails, a new session with the full topic set is opened."""
    supervisor, client, old = await _running({"/tweet_engagement/1"}, fail_updates=True)
    await supervisor.apply({"/tweet_engagement/1", "/tweet_engagement/2"})
    (new,) = client.opened[1:]
    assert new.topics == {"/tweet_engagement/1", "/tweet_engagement/2"} and old.closed
    await supervisor.aclose()


async def test_health_follows_the_stream() -> None:
    """Healthy while connected or within the backoff; unhealthy when overdue or not open."""
    clock = [990.0]
    client = _Client()
    supervisor = StreamSupervisor(client, _Observer(), clock=lambda: clock[0])
    assert not supervisor.health().ok  # nothing open yet

    client.release.clear()
    opening = asyncio.create_task(supervisor.apply({"/tweet_engagement/1"}))
    await asyncio.sleep(0)
    clock[0] = 1000.0
    assert supervisor.health().ok  # the first connect is being retried
    clock[0] = 990.0 + 121
    assert not supervisor.health().ok
    client.release.set()
    await opening

    (session,) = client.opened
    assert supervisor.health().ok
    session.stats.connected = False
    session.stats.retry_at = clock[0] + 30
    assert supervisor.health().ok and "reconnecting" in supervisor.health().reason
    session.stats.retry_at = clock[0] - 60
    assert not supervisor.health().ok
    await supervisor.aclose()
    assert not supervisor.health().ok


async def test_connections_and_drops_reach_the_observer_in_order() -> None:
    """Every connection's config is heard, a drop only after its connection was, and counted."""
    observer = _Observer()
    client = _Client()
    supervisor = StreamSupervisor(client, observer, clock=lambda: 0.0)
    await supervisor.apply({"/tweet_engagement/1"})
    (listener,) = client.listeners
    assert listener is not None
    listener.disconnected()  # a connection whose config was never handed on: not a drop
    listener.connected("{}", ConfigEvent("s1", 120_000, 25_000))
    listener.disconnected()
    listener.disconnected()
    listener.connected("{}", ConfigEvent("s2", 120_000, 25_000))
    assert observer.heard == ["connected s1", "dropped", "connected s2"]
    assert supervisor.connections == 2
    await supervisor.aclose()
    assert supervisor.connections == 2


async def test_a_burst_of_topic_wishes_is_applied_once_and_own_topics_are_never_subscribed() -> None:
    """request() debounces: the last wish wins, one new session; /dm_message/ stays off the stream."""
    supervisor, client, first = await _running({"/tweet_engagement/1"})
    supervisor.request({"/tweet_engagement/1", "/dm_update/1-2"}, delay=0.05)
    supervisor.request({"/tweet_engagement/1", "/dm_update/1-2", "/dm_update/1-3", "/dm_message/1-3"}, delay=0.05)
    deadline = asyncio.get_running_loop().time() + 5
    while len(client.opened) < 2 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    (new,) = client.opened[1:]
    assert new.topics == {"/tweet_engagement/1", "/dm_update/1-2", "/dm_update/1-3"}
    await supervisor.aclose()


async def test_a_change_while_the_first_session_is_opening_waits_for_it() -> None:
    """A reload during the first connect updates the session that opens; it never opens a second one."""
    client = _Client()
    supervisor = StreamSupervisor(client, _Observer(), clock=lambda: 0.0)
    client.release.clear()
    first = asyncio.create_task(supervisor.apply({"/tweet_engagement/1"}))
    await asyncio.sleep(0)
    second = asyncio.create_task(supervisor.apply({"/tweet_engagement/1", "/tweet_engagement/2"}))
    await asyncio.sleep(0)
    client.release.set()
    await asyncio.gather(first, second)
    (session,) = client.opened
    assert session.updates == [(["/tweet_engagement/2"], None)]
    await supervisor.aclose()
