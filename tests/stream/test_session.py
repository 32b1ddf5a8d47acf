"""A StreamingSession against the fake server: events, subscriptions, stats, closing, secrets."""

import asyncio
import json
import logging

import pytest

from notifier import AuthenticationError
from notifier.stream import DMTypingEvent, DMUpdateEvent, Payload, StreamClient, Topic, TweetEngagementEvent

TWEET_ID = "1850000000000000001"
TWEET = Topic.tweet_engagement(TWEET_ID)
OTHER_ID = "1850000000000000002"
OTHER = Topic.tweet_engagement(OTHER_ID)


async def test_partial_string_counts_become_ints(fake, client_for, collect):
    """Counts sent as strings, only those that changed, arrive as ints with None for the rest."""
    session = await client_for(fake).get_streaming_session([TWEET])
    got = collect(session)
    fake.push_engagement(TWEET_ID, like_count=1200)
    fake.push_engagement(TWEET_ID, view_count=50000, retweet_count=7, surprise="ignored")
    await fake.wait_for(lambda: len(got.items) == 2)
    assert got.topics() == [TWEET, TWEET]
    assert got.of("tweet_engagement") == [
        TweetEngagementEvent(like_count=1200),
        TweetEngagementEvent(retweet_count=7, view_count=50000, view_count_state="EnabledWithCount"),
    ]


async def test_iteration_yields_topic_and_payload(fake, client_for):
    """async for over the session yields (topic, Payload) pairs."""
    session = await client_for(fake).get_streaming_session([TWEET])
    fake.push_engagement(TWEET_ID, like_count=1)
    async with asyncio.timeout(5):
        async for topic, payload in session:
            assert (topic, payload) == (TWEET, Payload(tweet_engagement=TweetEngagementEvent(like_count=1)))
            break


async def test_dm_events(fake, client_for, collect):
    """DM update and typing topics given at open deliver DMUpdateEvent and DMTypingEvent."""
    update, typing = Topic.dm_update("10-20"), Topic.dm_typing("10-20")
    session = await client_for(fake).get_streaming_session([update, typing])
    got = collect(session)
    fake.push_dm("10-20", "20")
    fake.push_dm("10-20", "20", typing=True)
    await fake.wait_for(lambda: len(got.items) == 2)
    assert got.of("dm_update") == [DMUpdateEvent("10-20", "20")]
    assert got.of("dm_typing") == [DMTypingEvent("10-20", "20")]


async def test_sse_stream(live, client_for, collect):
    """An SSE-framed stream (data: frames, ':' keep-alives) works the same; keep-alives are not malformed."""
    fake = live(sse=True, heartbeat_millis=50)
    session = await client_for(fake).get_streaming_session([TWEET])
    got = collect(session)
    await asyncio.sleep(0.3)  # the premise: several SSE keep-alives arrive first
    fake.push_engagement(TWEET_ID, like_count=3)
    await fake.wait_for(lambda: got.items)
    assert got.of("tweet_engagement") == [TweetEngagementEvent(like_count=3)]
    assert session.stats.malformed == 0


async def test_messages_carry_raw_json(fake, client_for, collect, sleep):
    """messages() yields (raw, topic, payload); raw is the JSON text, also for a reconnect's config."""
    session = await client_for(fake).get_streaming_session([TWEET])
    got = collect(session)
    fake.push_engagement(TWEET_ID, like_count=9)
    fake.drop_connections()
    await fake.wait_for(lambda: len(got.items) == 2)
    (raw, topic, payload), (config_raw, config_topic, config_payload) = got.items
    assert json.loads(raw) == {"topic": TWEET, "payload": {"tweet_engagement": {"like_count": "9"}}}
    assert json.loads(config_raw)["payload"]["config"]["session_id"] == config_payload.config.session_id
    assert config_topic == "/system/config"


async def test_stats(fake, client_for, collect):
    """stats count malformed lines (not keep-alives) and record connection state and last message time."""
    session = await client_for(fake).get_streaming_session([TWEET])
    assert session.stats.connected and session.stats.reconnects == 0
    got = collect(session)
    fake.push_raw(None, "not json {")
    fake.push_raw(None, '{"topic": "/x/1", "payload": {"brand_new_event": {}}}')
    at = fake.push_engagement(TWEET_ID, like_count=1)
    await fake.wait_for(lambda: got.items)
    await asyncio.sleep(0.5)  # the premise: a few keep-alives pass
    assert session.stats.malformed == 2
    assert session.stats.last_message_at >= at


async def test_more_than_twenty_topics(fake, client_for, collect):
    """25 topics: 20 in the URL, 5 in an update POST, and events flow for the last ones too."""
    ids = [str(1850000000000000100 + n) for n in range(25)]
    session = await client_for(fake).get_streaming_session([Topic.tweet_engagement(i) for i in ids])
    got = collect(session)
    assert len(fake.stream_requests[0]["topics"]) == 20
    assert len(fake.update_requests[0]["sub"]) == 5
    assert len(fake.sessions[session.id]) == 25
    fake.push_engagement(ids[-1], like_count=1)
    await fake.wait_for(lambda: got.items)


async def test_subscribe_and_unsubscribe(fake, client_for, collect):
    """update_subscriptions adds and removes topics on the live session and returns the confirmation."""
    session = await client_for(fake).get_streaming_session([TWEET])
    got = collect(session)
    payload = await session.update_subscriptions(subscribe=[OTHER], unsubscribe=[TWEET])
    assert payload.subscriptions.errors == ()
    assert session.topics == {OTHER} and fake.sessions[session.id] == {OTHER}
    fake.push_engagement(TWEET_ID, like_count=1)
    fake.push_engagement(OTHER_ID, like_count=2)
    await fake.wait_for(lambda: got.items)
    assert got.topics() == [OTHER]


async def test_dm_topic_change_needs_new_session(fake, client_for):
    """Adding a DM topic to a running session raises ValueError and sends nothing; a new session works."""
    client = client_for(fake)
    session = await client.get_streaming_session([TWEET])
    with pytest.raises(ValueError, match="get_streaming_session"):
        await session.update_subscriptions(subscribe=[Topic.dm_update("1-2")])
    assert fake.update_requests == [] and session.topics == {TWEET}
    replacement = await client.get_streaming_session([*session.topics, Topic.dm_update("1-2")])
    await session.aclose()
    await fake.wait_for(lambda: fake.sessions == {replacement.id: {TWEET, Topic.dm_update("1-2")}})


async def test_stream_request_headers(fake, client_for):
    """Over the socket, the stream request carries the cookies, CSRF header and web-app headers."""
    await client_for(fake).get_streaming_session([TWEET])
    headers = fake.stream_requests[0]["headers"]
    assert headers["x-csrf-token"] == fake.ct0
    assert headers["authorization"].startswith("Bearer AAAA")
    assert headers["x-twitter-auth-type"] == "OAuth2Session"
    assert fake.stream_requests[0]["query"] == {"topic": [TWEET]}


async def test_aclose_stops_everything(fake, client_for, collect):
    """aclose() ends iteration, closes the stream and leaves no task of the session running."""
    session = await client_for(fake).get_streaming_session([TWEET])
    got = collect(session)
    await fake.wait_for(lambda: session.stats.connected)
    before = asyncio.all_tasks()
    await session.aclose()
    await fake.wait_for(lambda: got.finished and fake.sessions == {})
    assert got.error is None and not session.stats.connected
    leftovers = [t for t in before if t.get_name().startswith("notifier-stream") and not t.done()]
    assert leftovers == []
    assert "closed" in repr(session)


async def test_client_aclose_closes_sessions(fake, sleep):
    """Leaving the client's context closes the sessions it opened."""
    async with StreamClient(fake.cookies, api_base=fake.url, sleep=sleep) as client:
        session = await client.get_streaming_session([TWEET])
        await client.get_streaming_session([OTHER])
        assert len(fake.sessions) == 2
    await fake.wait_for(lambda: fake.sessions == {})
    assert not session.stats.connected


async def test_cookie_values_never_shown(live, client_for, collect, caplog):
    """Across connects, reconnects, refusals and reprs, no cookie value reaches logs, reprs or errors."""
    caplog.set_level(logging.DEBUG)
    fake = live(auth_token="Tk3y-auth-zz91", ct0="c5rf-zz42", heartbeat_millis=200)
    client = client_for(fake)
    session = await client.get_streaming_session([TWEET])
    got = collect(session)
    fake.drop_connections()
    await fake.wait_for(lambda: got.of("config"))
    fake.fail_next(403)
    fake.drop_connections()
    await fake.wait_for(lambda: got.finished)
    bad = client_for(fake, cookies={**fake.cookies, "auth_token": "stale-token-value"})
    with pytest.raises(AuthenticationError) as refused:
        await bad.get_streaming_session([TWEET])
    shown = "\n".join(
        [caplog.text, repr(client), repr(bad), repr(session), repr(session.stats), str(got.error), str(refused.value)]
    )
    for secret in (fake.auth_token, fake.ct0, "stale-token-value"):
        assert secret not in shown
