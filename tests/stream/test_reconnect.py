"""Reopening the stream: causes, backoff delays, 429, 392 and refused cookies, over a real socket.

The client fixture turns jitter off and records each backoff delay instead of
waiting it, so ``sleep.delays`` is exactly the policy's output.
"""

import asyncio
import socket

import pytest

from notifier import AuthenticationError, SessionNotFoundError, StreamError
from notifier.stream import Backoff, StreamClient, Topic

TWEET_ID = "1850000000000000001"
TWEET = Topic.tweet_engagement(TWEET_ID)
OTHER_ID = "1850000000000000002"
OTHER = Topic.tweet_engagement(OTHER_ID)


async def test_dropped_connection_reconnects_after_one_second(fake, client_for, collect, sleep):
    """A broken connection that had its config is reopened after 1 s; the new config is yielded."""
    session = await client_for(fake).get_streaming_session([TWEET])
    got = collect(session)
    fake.drop_connections()
    await fake.wait_for(lambda: got.of("config"))
    assert sleep.delays == [1.0]
    assert got.of("config")[0].session_id == session.id == "fake-session-2"
    assert session.stats.reconnects == 1
    fake.push_engagement(TWEET_ID, like_count=5)
    await fake.wait_for(lambda: got.of("tweet_engagement"))


async def test_clean_end_of_stream_reconnects(fake, client_for, collect, sleep):
    """A stream the server ends cleanly is reopened too."""
    session = await client_for(fake).get_streaming_session([TWEET])
    got = collect(session)
    fake.drop_connections(clean=True)
    await fake.wait_for(lambda: got.of("config"))
    assert sleep.delays == [1.0] and fake.connections == 2 and got.error is None


async def test_5xx_backoff_doubles_then_resets(fake, client_for, collect, sleep):
    """503s double the delay (1, 2, 4, 8 s); after a configured connection it is 1 s again."""
    session = await client_for(fake).get_streaming_session([TWEET])
    got = collect(session)
    fake.fail_next(503, times=3)
    fake.drop_connections()
    await fake.wait_for(lambda: len(got.of("config")) == 1)
    assert sleep.delays == [1.0, 2.0, 4.0, 8.0]
    assert (fake.connect_attempts, fake.connections) == (5, 2)
    fake.drop_connections()
    await fake.wait_for(lambda: len(got.of("config")) == 2)
    assert sleep.delays[4:] == [1.0]


async def test_delays_cap_at_a_minute_with_jitter(fake, client_for, collect, sleep):
    """Long failure runs stop growing at 60 s, and jitter keeps each delay within x0.5-1.5."""
    session = await client_for(fake, backoff=Backoff()).get_streaming_session([TWEET])
    got = collect(session)
    fake.fail_next(500, times=9)
    fake.drop_connections()
    await fake.wait_for(lambda: got.of("config"))
    bases = [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
    assert len(sleep.delays) == len(bases)
    assert all(0.5 * base <= delay <= 1.5 * base for delay, base in zip(sleep.delays, bases))


async def test_first_connect_is_retried(fake, client_for, sleep):
    """With auto_reconnect, a failing first connect is retried with backoff until it works."""
    fake.fail_next(502, times=2)
    session = await client_for(fake).get_streaming_session([TWEET])
    assert session.id and sleep.delays == [1.0, 2.0] and fake.connect_attempts == 3


async def test_connection_refused_is_retried(client_for, fake, sleep):
    """A refused TCP connect is retried with doubling delays (bounded here by the caller's timeout)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = StreamClient(fake.cookies, api_base=f"http://127.0.0.1:{port}", backoff=Backoff(jitter=(1, 1)), sleep=sleep)
    try:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(1):
                await client.get_streaming_session([TWEET])
    finally:
        await client.aclose()
    assert sleep.delays[:4] == [1.0, 2.0, 4.0, 8.0]


async def test_429_waits_for_retry_after(fake, client_for, collect, sleep):
    """A 429 waits exactly the Retry-After the server gave."""
    session = await client_for(fake).get_streaming_session([TWEET])
    got = collect(session)
    fake.fail_next(429, headers={"Retry-After": "7"})
    fake.drop_connections()
    await fake.wait_for(lambda: got.of("config"))
    assert sleep.delays == [1.0, 7.0]


@pytest.mark.parametrize(
    "retry_after", ["0", "Thu, 01 Jan 1970 00:00:00 GMT", "soon", "-5"], ids=["zero", "past-date", "garbage", "negative"]
)
async def test_429_without_a_real_wait_backs_off_normally(fake, client_for, collect, sleep, retry_after):
    """A 429 whose Retry-After asks for no wait (0, a past date, garbage) still waits the normal backoff."""
    session = await client_for(fake).get_streaming_session([TWEET])
    got = collect(session)
    fake.fail_next(429, times=3, headers={"Retry-After": retry_after})
    fake.drop_connections()
    await fake.wait_for(lambda: got.of("config"))
    assert sleep.delays == [1.0, 2.0, 4.0, 8.0]
    assert (fake.connect_attempts, fake.connections) == (5, 2)


async def test_retry_at_and_connected_while_backing_off(fake, client_for, collect):
    """While waiting to reconnect, stats say disconnected and when the next attempt is due."""
    release = asyncio.Event()

    async def held_sleep(delay):
        await release.wait()

    session = await client_for(fake, sleep=held_sleep).get_streaming_session([TWEET])
    got = collect(session)
    fake.drop_connections()
    await fake.wait_for(lambda: session.stats.retry_at is not None)
    assert session.stats.connected is False
    release.set()
    await fake.wait_for(lambda: got.of("config"))
    assert session.stats.connected is True and session.stats.retry_at is None


@pytest.mark.parametrize("status", [401, 403])
async def test_refused_mid_session_stops_without_retrying(fake, client_for, collect, sleep, status):
    """401/403 on a reconnect end the session with AuthenticationError at once; no retry loop."""
    session = await client_for(fake).get_streaming_session([TWEET])
    got = collect(session)
    fake.fail_next(status, times=5)
    fake.drop_connections()
    await fake.wait_for(lambda: got.finished)
    assert isinstance(got.error, AuthenticationError) and got.error.status_code == status
    assert "auth_token" in str(got.error)
    await asyncio.sleep(0.2)  # retries would come every ~10 ms with the recorded sleep
    assert fake.connect_attempts == 2 and sleep.delays == [1.0]
    with pytest.raises(AuthenticationError):
        async for _ in session:
            pass


@pytest.mark.parametrize(("cookie", "status", "detail"), [("auth_token", 401, "X error 32"), ("ct0", 403, "X error 353")])
async def test_refused_at_start(fake, client_for, sleep, cookie, status, detail):
    """Wrong cookies fail get_streaming_session at once, even with auto_reconnect, quoting X's error."""
    client = client_for(fake, cookies={**fake.cookies, cookie: "stale"})
    with pytest.raises(AuthenticationError, match=detail) as info:
        await client.get_streaming_session([TWEET])
    assert info.value.status_code == status
    assert fake.connect_attempts == 1 and sleep.delays == []


async def test_392_on_refresh_reopens_the_stream(live, client_for, collect, sleep):
    """When a refresh is answered 392 (session gone) the stream is reopened and its config yielded."""
    fake = live(ttl_millis=1000, heartbeat_millis=200)
    session = await client_for(fake).get_streaming_session([TWEET])
    got = collect(session)
    fake.forget_sessions()
    await fake.wait_for(lambda: got.of("config"))
    assert any(r["status"] == 400 for r in fake.update_requests)
    assert fake.connections == 2 and session.id == "fake-session-2" and sleep.delays == [1.0]
    assert fake.sessions == {"fake-session-2": {TWEET}}


async def test_392_on_update_reopens_and_applies_it(fake, client_for, collect):
    """update_subscriptions answered 392 reopens the stream and applies the update to the new session."""
    session = await client_for(fake).get_streaming_session([TWEET])
    got = collect(session)
    fake.forget_sessions()
    payload = await session.update_subscriptions(subscribe=[OTHER])
    assert payload.subscriptions is not None and payload.subscriptions.errors == ()
    assert session.id == "fake-session-2" and fake.sessions[session.id] == {TWEET, OTHER}
    fake.push_engagement(OTHER_ID, quote_count=2)
    await fake.wait_for(lambda: got.of("tweet_engagement"))
    assert got.of("config")[0].session_id == "fake-session-2"


async def test_without_auto_reconnect(fake, client_for, collect):
    """auto_reconnect=False: a clean end ends iteration, a failure raises; reconnect() resumes."""
    session = await client_for(fake).get_streaming_session([TWEET], auto_reconnect=False)
    got = collect(session)
    fake.drop_connections(clean=True)
    await fake.wait_for(lambda: got.finished)
    assert got.error is None and fake.connections == 1
    with pytest.raises(StreamError, match="not connected"):
        await session.update_subscriptions(subscribe=[OTHER])

    topic, payload = await session.reconnect()
    assert topic == "/system/config" and payload.config.session_id == session.id == "fake-session-2"
    got = collect(session)
    fake.drop_connections()
    await fake.wait_for(lambda: got.finished)
    assert isinstance(got.error, StreamError) and "broke" in str(got.error)
    assert fake.connections == 2


async def test_392_without_auto_reconnect_raises(fake, client_for):
    """Without auto_reconnect an update answered 392 raises SessionNotFoundError."""
    session = await client_for(fake).get_streaming_session([TWEET], auto_reconnect=False)
    fake.forget_sessions()
    with pytest.raises(SessionNotFoundError):
        await session.update_subscriptions(subscribe=[OTHER])


async def test_explicit_reconnect(fake, client_for, collect, sleep):
    """reconnect() opens a new connection at once and returns its config (not yielded again)."""
    session = await client_for(fake).get_streaming_session([TWEET])
    got = collect(session)
    topic, payload = await session.reconnect()
    assert (topic, payload.config.session_id, session.id) == ("/system/config", "fake-session-2", "fake-session-2")
    assert sleep.delays == []
    fake.push_engagement(TWEET_ID, like_count=1)
    await fake.wait_for(lambda: got.of("tweet_engagement"))
    assert got.of("config") == []
    await fake.wait_for(lambda: list(fake.sessions) == ["fake-session-2"])
