"""Keeping one connection alive: subscription refresh and the heartbeat watchdog, over a real socket."""

import asyncio
import logging
import time

from notifier.stream import Topic

TWEET_ID = "1850000000000000001"
TWEET = Topic.tweet_engagement(TWEET_ID)


async def test_three_second_ttl_still_delivers_after_ten_seconds(live, client_for, collect):
    """With a 3 s subscription TTL, events still arrive 10 s later on the same stream: topics are refreshed."""
    fake = live(ttl_millis=3000, heartbeat_millis=500)
    session = await client_for(fake).get_streaming_session([TWEET])
    got = collect(session)
    await asyncio.sleep(10)  # the premise: more than three TTLs pass
    fake.push_engagement(TWEET_ID, like_count=10)
    await fake.wait_for(lambda: got.of("tweet_engagement"))
    assert got.of("tweet_engagement")[-1].like_count == 10
    assert fake.connections == 1
    refreshes = fake.update_requests
    assert len(refreshes) >= 5
    assert all(r["sub"] == [TWEET] and r["session"] == session.id and r["status"] == 200 for r in refreshes)


async def test_refresh_reposts_every_topic_before_expiry(live, client_for):
    """Every refresh re-posts all topics (URL ones included), at least half a TTL apart, keeping all alive."""
    fake = live(ttl_millis=1000, heartbeat_millis=200)
    topics = [Topic.tweet_engagement(n) for n in range(1, 23)]
    session = await client_for(fake).get_streaming_session(topics)
    await fake.wait_for(lambda: len(fake.update_requests) >= 4)  # 1 for topics 21-22, then refreshes
    first, *refreshes = fake.update_requests
    assert len(first["sub"]) == 2
    for refresh in refreshes:
        assert sorted(refresh["sub"]) == sorted(topics) and refresh["session"] == session.id
    gaps = [b["at"] - a["at"] for a, b in zip(refreshes, refreshes[1:])]
    assert all(gap >= 0.4 for gap in gaps)
    assert fake.sessions[session.id] == set(topics)


async def test_heartbeats_keep_a_quiet_connection(fake, client_for, collect):
    """Keep-alive lines alone keep the watchdog satisfied: a quiet stream is not reopened."""
    session = await client_for(fake).get_streaming_session([TWEET])
    collect(session)
    await asyncio.sleep(1.2)  # the premise: three watchdog periods (2 x 200 ms) without a message
    assert fake.connections == 1 and session.stats.connected


async def test_silent_connection_is_reopened(fake, client_for, collect, caplog):
    """No byte for 2 x heartbeat_millis: the connection is dead, reopened, and the new config yielded."""
    caplog.set_level(logging.WARNING, logger="notifier.stream")
    session = await client_for(fake).get_streaming_session([TWEET])
    first_id = session.id
    got = collect(session)
    stalled_at = time.monotonic()
    fake.stall(None)
    await fake.wait_for(lambda: fake.connections == 2)
    assert time.monotonic() - stalled_at >= 0.1  # not at once: only after 2 x 200 ms of silence
    await fake.wait_for(lambda: got.of("config"))
    assert got.of("config")[0].session_id == session.id != first_id
    assert "no data for 0.4 s (twice the 200 ms heartbeat)" in caplog.text
    fake.push_engagement(TWEET_ID, reply_count=3)
    await fake.wait_for(lambda: got.of("tweet_engagement"))
    assert got.of("tweet_engagement")[0].reply_count == 3
