"""XWebClient against the fake X web API over a real socket on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import time

import pytest

from notifier.account import FEATURES, XWebClient
from notifier.exceptions import AuthenticationError, QueryRejectedError, RateLimitedError, WebAPIError
from notifier.logs import secret_filter
from notifier.stream.auth import BEARER_TOKEN, Cookies
from tests.fakes.x_web import INBOX_INITIAL_STATE, USER_UPDATES


async def all_pages(client: XWebClient, user_id: str, **kwargs) -> list[list[str]]:
    """The post ids of every page, following Bottom cursors until a page holds no post."""
    pages, cursor = [], None
    for _ in range(20):
        page = await client.user_tweets(user_id, cursor=cursor, **kwargs)
        if not page.posts:
            return pages
        pages.append([post.id for post in page.posts])
        cursor = page.cursor
    raise AssertionError("the timeline never ended")


async def test_user_lookup(x_web, client):
    """UserByScreenName turns a @handle into the user's id, handle and name."""
    x_web.add_user("7", "brand", "The Brand")
    user = await client.user_by_screen_name("@Brand")
    assert (user.id, user.screen_name, user.name) == ("7", "brand", "The Brand")
    assert x_web.requests[-1]["op"] == "UserByScreenName"


async def test_graphql_request_shape(x_web, client):
    """A GraphQL call sends the web app's headers and JSON variables and features."""
    await client.user_tweets(x_web.own_user_id, cursor="fake-bottom-0")
    request = x_web.requests[-1]
    headers = request["headers"]
    assert headers["authorization"] == f"Bearer {BEARER_TOKEN}"
    assert headers["x-csrf-token"] == x_web.ct0 and f"ct0={x_web.ct0}" in headers["cookie"]
    assert f"auth_token={x_web.auth_token}" in headers["cookie"]
    assert (headers["x-twitter-auth-type"], headers["x-twitter-active-user"]) == ("OAuth2Session", "yes")
    assert headers["referer"] == "https://x.com/" and headers["user-agent"].startswith("Mozilla/5.0")
    variables = json.loads(request["query"]["variables"])
    assert variables["userId"] == x_web.own_user_id and variables["cursor"] == "fake-bottom-0"
    assert variables["withV2Timeline"] is True
    assert json.loads(request["query"]["features"]) == dict(FEATURES)


async def test_unknown_user_is_an_error(client):
    """A handle X knows nothing about raises WebAPIError naming it."""
    with pytest.raises(WebAPIError, match="@nobody"):
        await client.user_by_screen_name("nobody")


async def test_settings_gives_the_signed_in_handle(client):
    """account/settings.json names the signed-in account."""
    assert await client.settings() == "me"


async def test_user_tweets_pages_follow_the_bottom_cursor(x_web, client):
    """Pages of UserTweets come newest first, the pinned post on the first page only."""
    me = x_web.own_user_id
    posts = [x_web.add_post(me, text=f"post {n}", likes=n) for n in range(7)]
    x_web.set_counts(posts[0], views=99)
    x_web.add_post(me, text="pinned", pinned=True)
    pages = await all_pages(client, me)
    newest_first = list(reversed(posts))
    assert pages[0][1:] == newest_first[:3] and pages[1] == newest_first[3:6] and pages[2] == newest_first[6:]
    assert len(pages) == 3
    first = await client.user_tweets(me)
    assert first.posts[0].pinned and first.posts[0].text == "pinned"
    oldest = (await client.user_tweets(me, cursor="fake-bottom-6")).posts[0]
    assert (oldest.id, oldest.views, oldest.author_id) == (posts[0], 99, me)
    cursors = [r["query"].get("variables") for r in x_web.requests if r["op"] == "UserTweets"]
    assert '"cursor"' not in cursors[0] and '"cursor":"fake-bottom-3"' in cursors[1]


async def test_timeline_kinds(x_web, client):
    """Replies, reposts, tombstones, ads and wrapped posts come through flagged or skipped."""
    me = x_web.own_user_id
    x_web.add_user("7", "bob")
    theirs = x_web.add_post("7", text="theirs")
    mine = x_web.add_post(me, text="mine")
    self_reply = x_web.add_post(me, text="thread", reply_to=mine)
    other_reply = x_web.add_post(me, text="@bob yes", reply_to=theirs)
    repost = x_web.add_post(me, repost_of=theirs)
    x_web.add_tombstone()
    x_web.add_promoted()
    wrapped = x_web.add_post(me, text="limited", wrapped=True)
    x_web.page_size = 20

    page = await client.user_tweets(me)
    kinds = {post.id: (post.reply, post.repost) for post in page.posts}
    assert kinds == {wrapped: (False, False), repost: (False, True), self_reply: (True, False), mine: (False, False)}
    assert next(p for p in page.posts if p.id == repost).text == "RT @bob: theirs"

    with_replies = await client.user_tweets(me, replies=True)
    assert x_web.requests[-1]["op"] == "UserTweetsAndReplies"
    by_me = {post.id for post in with_replies.posts if post.author_id == me}
    assert by_me == {wrapped, repost, other_reply, self_reply, mine}
    assert theirs in {post.id for post in with_replies.posts}  # the parent, by someone else


async def test_zero_post_user(x_web, client):
    """A user without posts gives an empty page."""
    x_web.add_user("8", "quiet")
    assert (await client.user_tweets("8")).posts == ()


async def test_inbox_initial_state_and_updates(x_web, client):
    """The inbox seeds a cursor; user_updates returns only what came after it, own messages included."""
    me = x_web.own_user_id
    x_web.add_user("7", "bob", "Bob")
    old = x_web.add_message(f"{me}-7", "7", "before")
    initial = await client.inbox_initial_state()
    assert [m.id for m in initial.messages] == [old]
    assert initial.users["7"].screen_name == "bob"

    nothing = await client.user_updates(initial.cursor)
    assert nothing.messages == () and nothing.cursor == initial.cursor

    reply = x_web.add_message(f"{me}-7", me, "my answer")
    group = x_web.add_message("555", "8", "hello team", group=True)
    request = x_web.add_message("9-1000", "9", "hi, can we talk?", trusted=False)
    updates = await client.user_updates(initial.cursor)
    assert [(m.id, m.sender_id) for m in updates.messages] == [(reply, me), (group, "8"), (request, "9")]
    assert updates.conversations["555"].group and not updates.conversations["9-1000"].trusted
    assert updates.conversations[f"{me}-7"].trusted
    assert updates.users["9"].screen_name == "user9"
    assert (await client.user_updates(updates.cursor)).messages == ()
    polls = [r for r in x_web.requests if r["path"] == USER_UPDATES]
    assert polls[-1]["headers"]["x-twitter-polling"] == "true"
    assert polls[-1]["query"]["filter_low_quality"] == "false"


async def test_bad_ct0_is_an_authentication_error(x_web):
    """A ct0 the server does not accept gets 403, raised as AuthenticationError."""
    cookies = Cookies.from_mapping({**x_web.cookies, "ct0": "wrong-csrf-token-value"})
    async with XWebClient(cookies, api_base=x_web.url) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.settings()
    assert caught.value.status_code == 403
    assert x_web.requests[-1]["status"] == 403


async def test_bad_auth_token_is_an_authentication_error(x_web):
    """An auth_token the server does not know gets 401, raised as AuthenticationError."""
    cookies = Cookies.from_mapping({**x_web.cookies, "auth_token": "expired-auth-token"})
    async with XWebClient(cookies, api_base=x_web.url) as client:
        with pytest.raises(AuthenticationError):
            await client.inbox_initial_state()


async def test_rotated_ct0_is_used_next(x_web, client):
    """A ct0 set by X is sent, as cookie and CSRF header, from the next request on."""
    new = x_web.rotate_ct0()
    await client.settings()
    assert await client.settings() == "me"
    assert x_web.requests[-1]["headers"]["x-csrf-token"] == new
    assert client.cookies.ct0 == new


async def test_429_waits_until_the_reset(x_web):
    """A 429 raises RateLimitedError with the seconds left until x-rate-limit-reset."""
    now = float(int(time.time()))
    reset = int(now) + 600
    x_web.rate_limit("UserTweets", remaining=0, reset=reset)
    async with XWebClient(Cookies.from_mapping(x_web.cookies), api_base=x_web.url, clock=lambda: now) as client:
        with pytest.raises(RateLimitedError) as caught:
            await client.user_tweets(x_web.own_user_id)
    assert caught.value.retry_after == reset - now


async def test_429_without_reset_waits_a_minute(x_web, client):
    """A 429 without a reset header waits 60 s, and nothing is sent meanwhile."""
    x_web.fail_next(INBOX_INITIAL_STATE, 429)
    with pytest.raises(RateLimitedError) as caught:
        await client.inbox_initial_state()
    assert caught.value.retry_after == pytest.approx(60, abs=1)
    sent = len(x_web.requests)
    with pytest.raises(RateLimitedError):
        await client.inbox_initial_state()
    assert len(x_web.requests) == sent


async def test_spent_allowance_raises_without_sending(x_web, client):
    """After x-rate-limit-remaining: 0 the next call fails at once; other endpoints still work."""
    x_web.rate_limit("UserTweets", remaining=1)
    await client.user_tweets(x_web.own_user_id)
    sent = len(x_web.requests)
    with pytest.raises(RateLimitedError) as caught:
        await client.user_tweets(x_web.own_user_id)
    assert len(x_web.requests) == sent
    assert 800 < caught.value.retry_after <= 900
    assert await client.settings() == "me"


async def test_stale_query_id_names_the_setting(x_web, client):
    """A retired id that x.com's web app cannot replace raises QueryRejectedError naming the setting and what was tried."""
    x_web.front_end = "none"
    x_web.stale("UserTweets")
    with pytest.raises(QueryRejectedError) as caught:
        await client.user_tweets(x_web.own_user_id)
    assert "account.graphql.UserTweets" in str(caught.value)
    assert caught.value.status_code == 404 and caught.value.operation == "UserTweets"
    assert "x.com's web app" in str(caught.value) and caught.value.tried


async def test_overriding_the_query_id_works_again(x_web):
    """With the new query id given as an override, UserTweets answers again."""
    x_web.add_post(x_web.own_user_id, text="hello")
    new = x_web.stale("UserTweets")
    cookies = Cookies.from_mapping(x_web.cookies)
    async with XWebClient(cookies, api_base=x_web.url, query_ids={"UserTweets": new}) as client:
        assert [p.text for p in (await client.user_tweets(x_web.own_user_id)).posts] == ["hello"]
    assert x_web.requests[-1]["path"] == f"/graphql/{new}/UserTweets"


async def test_server_error_is_a_web_api_error(x_web, client):
    """A 5xx raises WebAPIError, not a query or auth error."""
    x_web.fail_next("UserByScreenName", 503)
    with pytest.raises(WebAPIError) as caught:
        await client.user_by_screen_name("me")
    assert type(caught.value) is WebAPIError and "503" in str(caught.value)


async def test_unreachable_server_is_a_web_api_error(x_web):
    """A refused connection raises WebAPIError."""
    url = x_web.url
    x_web.stop()
    async with XWebClient(Cookies.from_mapping(x_web.cookies), api_base=url, timeout=5) as client:
        with pytest.raises(WebAPIError, match="cannot reach"):
            await client.settings()


async def test_env_base_url_is_honoured(x_web, monkeypatch):
    """Without api_base, NOTIFIER_WEB_API_BASE says where to ask."""
    monkeypatch.setenv("NOTIFIER_WEB_API_BASE", x_web.url + "/")
    async with XWebClient(Cookies.from_mapping(x_web.cookies)) as client:
        assert client.api_base == x_web.url
        assert await client.settings() == "me"


def test_default_base_url(monkeypatch):
    """Without api_base or the env variable, the client asks x.com."""
    monkeypatch.delenv("NOTIFIER_WEB_API_BASE", raising=False)
    client = XWebClient(Cookies.from_mapping({"auth_token": "a" * 20, "ct0": "b" * 20}))
    assert client.api_base == "https://x.com/i/api"


async def test_no_cookie_value_in_logs_or_errors(x_web, caplog):
    """Cookie values never appear in notifier's log records, in filtered library records or in exceptions."""
    caplog.set_level(logging.DEBUG)
    secrets = [x_web.auth_token, x_web.ct0]
    cookies = Cookies.from_mapping(x_web.cookies)
    texts = []
    async with XWebClient(cookies, api_base=x_web.url) as client:
        secrets.append(x_web.rotate_ct0())
        await client.settings()
        for fail in ("UserByScreenName", INBOX_INITIAL_STATE):
            x_web.fail_next(fail, 403)
        x_web.front_end = "none"
        x_web.stale("UserTweets")
        x_web.fail_next(USER_UPDATES, 429)
        for call in (
            client.user_by_screen_name("me"),
            client.inbox_initial_state(),
            client.user_tweets("1000"),
            client.user_updates("fake-dm-0"),
        ):
            with pytest.raises(Exception) as caught:
                await call
            texts.append(f"{caught.value!s} {caught.value!r}")
    bad = Cookies.from_mapping({**x_web.cookies, "ct0": "another-secret-ct0"})
    async with XWebClient(bad, api_base=x_web.url) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.settings()
        texts.append(str(caught.value))
    secrets.append("another-secret-ct0")
    own = [r.getMessage() for r in caplog.records if r.name.startswith("notifier")]
    # httpx/httpcore debug lines show response headers (Set-Cookie): the filter every
    # log handler carries must clean them.
    scrubbed = [secret_filter().scrub(r.getMessage()) for r in caplog.records]
    assert any("rotated the ct0" in text for text in own)
    for secret in secrets:
        assert not [text for text in texts + own + scrubbed if secret in text]


async def test_unknown_query_id_and_missing_features_are_rejected(x_web):
    """An id X never issued (404) and a features complaint (400) both raise QueryRejectedError."""
    cookies = Cookies.from_mapping(x_web.cookies)
    async with XWebClient(cookies, api_base=x_web.url, query_ids={"UserByScreenName": "NeverIssued"}) as client:
        with pytest.raises(QueryRejectedError, match="account.graphql.UserByScreenName") as caught:
            await client.user_by_screen_name("me")
        assert caught.value.query_id == "NeverIssued"
        x_web.fail_next("UserTweets", 400)
        with pytest.raises(QueryRejectedError) as caught:
            await client.user_tweets(x_web.own_user_id)
        assert caught.value.status_code == 400


async def test_v11_not_found_is_not_a_query_error(x_web, client):
    """A 404 from a v1.1 endpoint is a plain WebAPIError: there is no query id to replace."""
    x_web.fail_next(INBOX_INITIAL_STATE, 404)
    with pytest.raises(WebAPIError) as caught:
        await client.inbox_initial_state()
    assert not isinstance(caught.value, QueryRejectedError)
