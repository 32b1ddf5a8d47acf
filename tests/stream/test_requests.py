"""Request shapes and the translation of X's answers, checked with respx (no socket)."""

import asyncio
import json
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from notifier import AuthenticationError, SessionNotFoundError, StreamError
from notifier.stream import Backoff, Payload, StreamClient, SubscriptionError, Topic
from notifier.stream.auth import BEARER_TOKEN

API = "https://api.test"
EVENTS = f"{API}/live_pipeline/events"
UPDATE = f"{API}/1.1/live_pipeline/update_subscriptions"
COOKIES = {"auth_token": "secret-auth-value", "ct0": "secret-csrf-value", "twid": "u%3D77"}
TOPICS = [Topic.tweet_engagement(n) for n in range(1, 4)]


def config_line(session_id="s1"):
    message = {
        "topic": "/system/config",
        "payload": {"config": {"session_id": session_id, "subscription_ttl_millis": 120000, "heartbeat_millis": 25000}},
    }
    return (json.dumps(message) + "\n").encode()


class OpenStream(httpx.AsyncByteStream):
    """A response body that sends its chunks, then stays open like a live stream."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    async def __aiter__(self):
        for chunk in self.chunks:
            yield chunk
        await asyncio.Event().wait()


def streaming(session_id="s1"):
    return httpx.Response(200, stream=OpenStream(config_line(session_id)))


def form(request):
    return {key: values[0] for key, values in parse_qs(request.content.decode(), keep_blank_values=True).items()}


def url_topics(request):
    return request.url.params["topic"].split(",")


@pytest.fixture
async def client():
    client = StreamClient(COOKIES, api_base=API, backoff=Backoff(0, 0), timeout=5)
    yield client
    await client.aclose()


@respx.mock
async def test_stream_request_shape(client):
    """The stream is a GET of /live_pipeline/events?topic=a,b with the cookie session headers."""
    route = respx.get(EVENTS).mock(return_value=httpx.Response(200, content=config_line()))
    session = await client.get_streaming_session(TOPICS, auto_reconnect=False)
    request = route.calls.last.request
    assert sorted(url_topics(request)) == sorted(TOPICS)
    assert request.headers["authorization"] == f"Bearer {BEARER_TOKEN}"
    assert request.headers["x-csrf-token"] == "secret-csrf-value"
    assert "auth_token=secret-auth-value" in request.headers["cookie"]
    assert "ct0=secret-csrf-value" in request.headers["cookie"]
    assert request.headers["x-twitter-auth-type"] == "OAuth2Session"
    assert request.headers["x-twitter-active-user"] == "yes"
    assert request.headers["referer"] == "https://x.com/"
    assert "Mozilla" in request.headers["user-agent"]
    assert session.id == "s1" and session.topics == set(TOPICS) and session.auto_reconnect is False
    assert client.user_id == "77"


@respx.mock
async def test_update_request_shape(client):
    """update_subscriptions POSTs sub_topics/unsub_topics with LivePipeline-Session and returns the confirmation."""
    respx.get(EVENTS).mock(return_value=streaming("s9"))
    errors = {"errors": [{"topic": TOPICS[2], "code": 7, "message": "no such tweet"}]}
    route = respx.post(UPDATE).mock(return_value=httpx.Response(200, json={"subscriptions": errors}))
    session = await client.get_streaming_session(TOPICS[:2], auto_reconnect=False)
    payload = await session.update_subscriptions(subscribe=[TOPICS[2]], unsubscribe=[TOPICS[0]])
    request = route.calls.last.request
    assert request.headers["livepipeline-session"] == "s9"
    assert request.headers["x-csrf-token"] == "secret-csrf-value"
    assert form(request) == {"sub_topics": TOPICS[2], "unsub_topics": TOPICS[0]}
    assert payload == Payload(subscriptions=payload.subscriptions)
    assert payload.subscriptions.errors == (SubscriptionError(TOPICS[2], 7, "no such tweet"),)
    assert session.topics == {TOPICS[1], TOPICS[2]}


@respx.mock
async def test_more_than_twenty_topics(client):
    """With 25 topics, 20 go in the URL (DM topics first) and the other 5 in an update POST."""
    dm = Topic.dm_update("1-2")
    tweets = [Topic.tweet_engagement(n) for n in range(100, 124)]
    stream = respx.get(EVENTS).mock(return_value=httpx.Response(200, content=config_line()))
    update = respx.post(UPDATE).mock(return_value=httpx.Response(200, json={"subscriptions": {"errors": []}}))
    await client.get_streaming_session([*tweets, dm], auto_reconnect=False)
    in_url = url_topics(stream.calls.last.request)
    posted = form(update.calls.last.request)["sub_topics"].split(",")
    assert len(in_url) == 20 and in_url[0] == dm
    assert len(posted) == 5
    assert sorted(in_url + posted) == sorted([*tweets, dm])


@respx.mock
async def test_dm_subscribe_refused_before_sending(client):
    """Subscribing a DM topic on a running session raises ValueError and sends nothing."""
    respx.get(EVENTS).mock(return_value=streaming())
    update = respx.post(UPDATE).mock(return_value=httpx.Response(200, json={}))
    session = await client.get_streaming_session(TOPICS, auto_reconnect=False)
    for topic in (Topic.dm_update("5"), Topic.dm_typing("5-6")):
        with pytest.raises(ValueError, match="new session"):
            await session.update_subscriptions(subscribe=[TOPICS[0], topic])
    assert update.call_count == 0
    assert session.topics == set(TOPICS)


@respx.mock
async def test_bad_topics_refused(client):
    """Malformed topics, and a single string instead of a list, are refused before any request."""
    route = respx.get(EVENTS).mock(return_value=httpx.Response(200, content=config_line()))
    with pytest.raises(ValueError, match="invalid tweet id"):
        await client.get_streaming_session(["/tweet_engagement/abc"])
    with pytest.raises(TypeError, match="not a single string"):
        await client.get_streaming_session(TOPICS[0])
    with pytest.raises(ValueError, match="at most 20"):
        await client.get_streaming_session([Topic.dm_update(n) for n in range(21)])
    assert route.call_count == 0


@respx.mock
async def test_update_392_is_session_not_found(client):
    """An update answered with error 392 raises SessionNotFoundError (without auto_reconnect)."""
    respx.get(EVENTS).mock(return_value=streaming())
    respx.post(UPDATE).mock(
        return_value=httpx.Response(400, json={"errors": [{"code": 392, "message": "Session not found."}]})
    )
    session = await client.get_streaming_session(TOPICS, auto_reconnect=False)
    with pytest.raises(SessionNotFoundError, match="392"):
        await session.update_subscriptions(subscribe=[Topic.tweet_engagement(9)])


@respx.mock
@pytest.mark.parametrize("status", [401, 403])
async def test_refused_cookies(client, status):
    """401/403 raise AuthenticationError telling the user to run notifier login, without values."""
    route = respx.get(EVENTS).mock(
        return_value=httpx.Response(status, text="<html><title>Just a moment...</title></html>")
    )
    with pytest.raises(AuthenticationError) as info:
        await client.get_streaming_session(TOPICS)
    message = str(info.value)
    assert "notifier login" in message and "auth_token" in message and "ct0" in message and "Cloudflare" in message
    assert "secret-auth-value" not in message and "secret-csrf-value" not in message
    assert route.call_count == 1


@respx.mock
async def test_csrf_error_detail(client):
    """X's error 353 (CSRF mismatch) is quoted in the AuthenticationError."""
    body = {"errors": [{"code": 353, "message": "This request requires a matching csrf cookie and header."}]}
    respx.get(EVENTS).mock(return_value=httpx.Response(403, json=body))
    with pytest.raises(AuthenticationError, match="X error 353: This request requires a matching csrf"):
        await client.get_streaming_session(TOPICS)


@respx.mock
async def test_transport_error_translated(client):
    """A connection failure surfaces as StreamError (auto_reconnect=False), httpx kept as the cause."""
    respx.get(EVENTS).mock(side_effect=httpx.ConnectError("connection refused"))
    with pytest.raises(StreamError, match="cannot open the stream at https://api.test") as info:
        await client.get_streaming_session(TOPICS, auto_reconnect=False)
    assert isinstance(info.value.__cause__, httpx.ConnectError)


@respx.mock
async def test_5xx_translated(client):
    """A 503 on connect is a StreamError naming the status (auto_reconnect=False)."""
    respx.get(EVENTS).mock(return_value=httpx.Response(503))
    with pytest.raises(StreamError, match="503 Service Unavailable"):
        await client.get_streaming_session(TOPICS, auto_reconnect=False)


@respx.mock
async def test_stream_ending_before_config(client):
    """A 200 stream that ends before its config event is a StreamError."""
    respx.get(EVENTS).mock(return_value=httpx.Response(200, content=b"\n\n"))
    with pytest.raises(StreamError, match="before sending its config"):
        await client.get_streaming_session(TOPICS, auto_reconnect=False)


def test_api_base_from_environment(monkeypatch):
    """api_base defaults to NOTIFIER_API_BASE, else https://api.x.com; junk is refused."""
    monkeypatch.delenv("NOTIFIER_API_BASE", raising=False)
    assert StreamClient(COOKIES).api_base == "https://api.x.com"
    monkeypatch.setenv("NOTIFIER_API_BASE", "http://127.0.0.1:9/")
    assert StreamClient(COOKIES).api_base == "http://127.0.0.1:9"
    assert StreamClient(COOKIES, api_base="https://other.test").api_base == "https://other.test"
    with pytest.raises(ValueError, match="http"):
        StreamClient(COOKIES, api_base="ftp://x")


def test_client_repr_hides_cookies():
    """The client's repr shows the API base and user id only."""
    text = repr(StreamClient(COOKIES, api_base=API))
    assert text == "StreamClient(api_base='https://api.test', user_id='77')"


@respx.mock
async def test_no_config_within_timeout():
    """A stream that stays silent after connecting fails within the client's timeout."""
    client = StreamClient(COOKIES, api_base=API, timeout=0.2)
    respx.get(EVENTS).mock(return_value=httpx.Response(200, stream=OpenStream()))
    try:
        with pytest.raises(StreamError, match="did not send its config within 0.2 s"):
            await client.get_streaming_session(TOPICS, auto_reconnect=False)
    finally:
        await client.aclose()


@respx.mock
async def test_any_chunking_and_overlong_lines(client):
    """Lines split anywhere (even inside a UTF-8 character), CRLF endings and a >1 MiB line are handled."""
    message = {"topic": TOPICS[0], "payload": {"tweet_engagement": {"like_count": "5", "note": "é"}}}
    config, junk = config_line(), b"x" * (1 << 21) + b"\r\n"
    engagement = json.dumps(message, ensure_ascii=False).encode() + b"\r\n"
    pieces = [bytes([byte]) for byte in config] + [junk[i : i + (1 << 18)] for i in range(0, len(junk), 1 << 18)] + [bytes([byte]) for byte in engagement]
    respx.get(EVENTS).mock(return_value=httpx.Response(200, stream=OpenStream(*pieces)))
    session = await client.get_streaming_session(TOPICS, auto_reconnect=False)
    async with asyncio.timeout(5):
        topic, payload = await anext(aiter(session))
    assert topic == TOPICS[0] and payload.tweet_engagement.like_count == 5
    assert session.stats.malformed == 1
