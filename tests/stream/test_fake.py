"""The fake live_pipeline server behaves like the real one, so tests against it mean something.

These talk to it with plain httpx, without notifier's client.
"""

import json
import httpx
import pytest

from notifier.stream.auth import auth_headers, load_cookies

TOPIC = "/tweet_engagement/42"


def headers_for(fake, **override):
    cookies = {**fake.cookies, **override}
    return auth_headers(load_cookies(cookies))


def lines_until(response, count):
    """The next ``count`` lines of a streaming response (keep-alives included)."""
    if not hasattr(response, "test_lines"):
        response.test_lines = response.iter_lines()  # one iterator per response, resumable
    return [next(response.test_lines) for _ in range(count)]


def messages(lines):
    return [json.loads(line.removeprefix("data: ")) for line in lines if line.strip() and not line.startswith(":")]


def stream(fake, topics=(TOPIC,), headers=None, timeout=5.0):
    return httpx.stream(
        "GET",
        f"{fake.url}/live_pipeline/events",
        params={"topic": ",".join(topics)},
        headers=headers if headers is not None else headers_for(fake),
        timeout=timeout,
    )


def update(fake, session, sub=(), unsub=(), headers=None):
    return httpx.post(
        f"{fake.url}/1.1/live_pipeline/update_subscriptions",
        data={"sub_topics": ",".join(sub), "unsub_topics": ",".join(unsub)},
        headers={**(headers if headers is not None else headers_for(fake)), "LivePipeline-Session": session},
        timeout=5,
    )


def test_config_first_then_partial_string_counts(live):
    """The first message is the config; engagement counts are strings, only those pushed."""
    fake = live(ttl_millis=60000, heartbeat_millis=25000)
    with stream(fake) as response:
        assert response.status_code == 200
        first = messages(lines_until(response, 1))[0]
        assert first["topic"] == "/system/config"
        config = first["payload"]["config"]
        assert config["subscription_ttl_millis"] == 60000 and config["heartbeat_millis"] == 25000
        fake.push_engagement(42, like_count=1200, view_count=5000)
        message = messages(lines_until(response, 1))[0]
    assert message == {
        "topic": TOPIC,
        "payload": {
            "tweet_engagement": {
                "like_count": "1200",
                "view_count_info": {"state": "EnabledWithCount", "count": "5000"},
            }
        },
    }


def test_keep_alive_lines(live):
    """Without traffic the fake writes an empty keep-alive line every heartbeat."""
    fake = live(heartbeat_millis=50)
    with stream(fake) as response:
        lines = lines_until(response, 4)
    assert lines[1:] == ["", "", ""]


@pytest.mark.parametrize("trigger", ["accept", "flag"])
def test_sse_framing(live, trigger):
    """With Accept: text/event-stream (or sse=True) messages are data: frames, keep-alives comments."""
    fake = live(heartbeat_millis=50, sse=trigger == "flag")
    headers = headers_for(fake)
    if trigger == "accept":
        headers["Accept"] = "text/event-stream"
    with stream(fake, headers=headers) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = lines_until(response, 6)
    assert lines[0].startswith('data: {"topic": "/system/config"')
    assert ":" in lines


def test_wrong_auth_token_is_401(live):
    """A wrong auth_token cookie gets 401."""
    fake = live()
    with stream(fake, headers=headers_for(fake, auth_token="wrong")) as response:
        assert response.status_code == 401


def test_csrf_mismatch_is_353(live):
    """X-Csrf-Token differing from the ct0 cookie gets 403 with error 353."""
    fake = live()
    headers = headers_for(fake)
    headers["X-Csrf-Token"] = "other"
    with stream(fake, headers=headers) as response:
        response.read()
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == 353
    assert update(fake, "any", headers=headers).status_code == 403


def test_unknown_session_is_392(live):
    """An update for a session the fake does not know answers error 392."""
    fake = live()
    response = update(fake, "no-such-session", sub=[TOPIC])
    assert response.json()["errors"][0]["code"] == 392


def test_subscriptions_expire_without_refresh(live):
    """A topic not re-posted within the TTL stops receiving events; re-posting revives it."""
    fake = live(ttl_millis=300, heartbeat_millis=25000)
    with stream(fake) as response:
        session = messages(lines_until(response, 1))[0]["payload"]["config"]["session_id"]
        fake.wait_for(lambda: not fake.sessions[session], timeout=2)
        assert fake.deliveries == [] and fake.push_engagement(42, like_count=1) > 0
        assert fake.deliveries[-1]["sessions"] == []
        assert update(fake, session, sub=[TOPIC]).json() == {"subscriptions": {"errors": []}}
        fake.push_engagement(42, like_count=2)
        assert fake.deliveries[-1]["sessions"] == [session]


def test_dm_topics_only_at_stream_open(live):
    """A DM topic not given in the URL is refused on update; one in the URL can be refreshed."""
    fake = live()
    with stream(fake, topics=["/dm_update/1-2"]) as response:
        session = messages(lines_until(response, 1))[0]["payload"]["config"]["session_id"]
        refused = update(fake, session, sub=["/dm_update/1-2", "/dm_typing/3"]).json()
    assert [error["topic"] for error in refused["subscriptions"]["errors"]] == ["/dm_typing/3"]


def test_session_gone_with_its_stream(live):
    """When the stream closes, its session is forgotten and updates get 392."""
    fake = live()
    with stream(fake) as response:
        session = messages(lines_until(response, 1))[0]["payload"]["config"]["session_id"]
    fake.wait_for(lambda: session not in fake.sessions)
    assert update(fake, session, sub=[TOPIC]).json()["errors"][0]["code"] == 392


def test_drop_and_stall(live):
    """drop_connections breaks the body; stall stops even keep-alives."""
    fake = live(heartbeat_millis=50)
    with stream(fake) as response:
        lines_until(response, 1)
        fake.drop_connections()
        with pytest.raises(httpx.RemoteProtocolError):
            lines_until(response, 1000)
    with stream(fake, timeout=httpx.Timeout(5.0, read=0.5)) as response:
        lines_until(response, 2)
        fake.stall(None)
        with pytest.raises(httpx.ReadTimeout):
            lines_until(response, 1000)


def test_clean_end(live):
    """drop_connections(clean=True) ends the body properly."""
    fake = live(heartbeat_millis=25000)
    with stream(fake) as response:
        lines_until(response, 1)
        fake.drop_connections(clean=True)
        with pytest.raises(StopIteration):
            lines_until(response, 1)


def test_fail_next(live):
    """fail_next answers the next connects with the status and headers asked for, then recovers."""
    fake = live()
    fake.fail_next(429, times=2, headers={"Retry-After": "7"})
    for _ in range(2):
        with stream(fake) as response:
            assert response.status_code == 429 and response.headers["retry-after"] == "7"
    with stream(fake) as response:
        assert response.status_code == 200
    assert (fake.connect_attempts, fake.connections) == (3, 1)
