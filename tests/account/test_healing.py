"""The web client heals itself when X rotates query ids or wants new feature flags (fake x.com on 127.0.0.1)."""

from __future__ import annotations

import json
import time

import pytest

from notifier.account import XWebClient
from notifier.account.healing import IDS_MAX_AGE
from notifier.exceptions import QueryRejectedError
from notifier.stream.auth import Cookies
from tests.fakes.x_web import FakeXWeb

NOW = {"found_at": time.time()}


def client_for(fake: FakeXWeb, saved: list | None = None, **kwargs) -> XWebClient:
    kwargs.setdefault("learned", NOW)
    return XWebClient(
        Cookies.from_mapping(fake.cookies), api_base=fake.url,
        save_learned=(saved.append if saved is not None else lambda entry: None), **kwargs,
    )


@pytest.mark.parametrize("front_end", ["main", "x-web"])
async def test_a_rotated_id_is_read_from_the_web_app_and_asked_again(x_web: FakeXWeb, front_end: str) -> None:
    """UserTweets answers 404: the client reads the logged-in page and its scripts, finds the new id, asks once more."""
    x_web.front_end = front_end
    post = x_web.add_post(x_web.own_user_id, "hello")
    saved: list = []
    async with client_for(x_web, saved) as client:
        new = x_web.stale("UserTweets")
        page = await client.user_tweets(x_web.own_user_id)
        assert [p.id for p in page.posts] == [post]
        assert client.query_ids["UserTweets"] == new
    tweets = [r["path"] for r in x_web.requests if r["op"] == "UserTweets"]
    assert tweets[-1] == f"/graphql/{new}/UserTweets" and len(tweets) == 2
    home = [r for r in x_web.page_requests() if r["path"] == "/home"]
    assert len(home) == 1 and f"auth_token={x_web.auth_token}" in home[0]["headers"]["cookie"]
    assert saved[-1]["query_ids"]["UserTweets"] == new and saved[-1]["found_at"] > NOW["found_at"] - 1


async def test_ids_rotating_twice_during_a_run_heal_twice(x_web: FakeXWeb) -> None:
    """Ids rotate, then rotate again after the web app may be read again: both heal."""
    clock = [time.time()]
    x_web.add_post(x_web.own_user_id, "hello")
    async with client_for(x_web, clock=lambda: clock[0]) as client:
        first = x_web.stale("UserTweets")
        await client.user_tweets(x_web.own_user_id)
        clock[0] += 3600
        second = x_web.stale("UserTweets")
        await client.user_tweets(x_web.own_user_id)
        assert client.query_ids["UserTweets"] == second != first


async def test_the_web_app_is_read_at_most_every_ten_minutes(x_web: FakeXWeb) -> None:
    """A 404 the web app cannot cure does not fetch x.com's page at every poll."""
    x_web.front_end = "none"
    x_web.stale("UserTweets")
    async with client_for(x_web) as client:
        for _ in range(3):
            with pytest.raises(QueryRejectedError) as caught:
                await client.user_tweets(x_web.own_user_id)
    assert len([r for r in x_web.page_requests() if r["path"] == "/home"]) == 1
    message = str(caught.value)
    assert "Tried:" in message and "names no script" in message and "account.graphql.UserTweets" in message


async def test_the_rule_files_id_wins_over_the_web_app(x_web: FakeXWeb) -> None:
    """account.graphql's id is used even when it is stale; the error says it was kept."""
    async with client_for(x_web, query_ids={"UserTweets": "StaleFromTheRuleFile"}) as client:
        with pytest.raises(QueryRejectedError) as caught:
            await client.user_tweets(x_web.own_user_id)
    assert "kept the id account.graphql.UserTweets" in str(caught.value)
    assert {r["path"] for r in x_web.requests if r["op"]} == {"/graphql/StaleFromTheRuleFile/UserTweets"}


async def test_ids_older_than_a_week_are_read_again_at_start(x_web: FakeXWeb) -> None:
    """Learned ids eight days old: the first query of a run reads the web app first; fresh ids do not."""
    old = {"found_at": time.time() - IDS_MAX_AGE - 86400, "query_ids": {"UserTweets": "OldButWorking1"}}
    new = x_web.query_id("UserTweets")
    async with client_for(x_web, learned=old) as client:
        await client.user_tweets(x_web.own_user_id)
        assert client.query_ids["UserTweets"] == new
    assert [r["path"] for r in x_web.requests if r["op"] == "UserTweets"] == [f"/graphql/{new}/UserTweets"]
    pages = len(x_web.page_requests())
    async with client_for(x_web) as client:
        await client.user_tweets(x_web.own_user_id)
    assert len(x_web.page_requests()) == pages


async def test_what_was_learned_survives_a_restart(x_web: FakeXWeb) -> None:
    """The saved entry gives the next client the found id: no 404, no page read."""
    saved: list = []
    async with client_for(x_web, saved) as client:
        new = x_web.stale("UserTweets")
        await client.user_tweets(x_web.own_user_id)
    before = len(x_web.requests)
    async with client_for(x_web, learned=json.loads(json.dumps(saved[-1]))) as client:
        await client.user_tweets(x_web.own_user_id)
    assert [r["path"] for r in x_web.requests[before:]] == [f"/graphql/{new}/UserTweets"]


async def test_features_x_says_cannot_be_null_are_added_and_kept(x_web: FakeXWeb) -> None:
    """A 400 naming a feature flag adds it and asks once more; the next call sends it at once."""
    x_web.require_feature("responsive_web_brand_new_enabled")
    saved: list = []
    async with client_for(x_web, saved) as client:
        await client.user_tweets(x_web.own_user_id)
        await client.user_by_screen_name("me")
    statuses = [r["status"] for r in x_web.requests if r["op"]]
    assert statuses == [400, 200, 200]
    assert saved[-1]["features"] == {"responsive_web_brand_new_enabled": False}
    features = json.loads(x_web.requests[-1]["query"]["features"])
    assert features["responsive_web_brand_new_enabled"] is False


async def test_a_features_400_that_persists_is_asked_once_more_only(x_web: FakeXWeb) -> None:
    """X keeps refusing after the flags were added: one retry, then the error says what was tried."""
    x_web.fail_next("UserTweets", 400, body={"errors": [{"code": 336, "message":
                    "The following features cannot be null: some_flag_enabled"}]}, times=5)
    async with client_for(x_web) as client:
        with pytest.raises(QueryRejectedError) as caught:
            await client.user_tweets(x_web.own_user_id)
    assert "added the feature flags X named (some_flag_enabled)" in str(caught.value)
    assert len([r for r in x_web.requests if r["op"] == "UserTweets"]) == 2


async def test_an_operation_that_demands_the_transaction_header_gets_it(x_web: FakeXWeb) -> None:
    """UserTweetsAndReplies answers 404 to a current id: asked again with x-client-transaction-id, remembered."""
    x_web.demand_transaction("UserTweetsAndReplies")
    post = x_web.add_post(x_web.own_user_id, "hello")
    saved: list = []
    async with client_for(x_web, saved) as client:
        page = await client.user_tweets(x_web.own_user_id, replies=True)
        assert [p.id for p in page.posts] == [post]
        await client.user_tweets(x_web.own_user_id, replies=True)
        await client.user_tweets(x_web.own_user_id)
    calls = [r for r in x_web.requests if r["op"] in ("UserTweetsAndReplies", "UserTweets")]
    assert [(r["op"], r["status"], "x-client-transaction-id" in r["headers"]) for r in calls] == [
        ("UserTweetsAndReplies", 404, False),
        ("UserTweetsAndReplies", 200, True),
        ("UserTweetsAndReplies", 200, True),
        ("UserTweets", 200, False),  # only where X demands it
    ]
    assert saved[-1]["transaction"] == ["UserTweetsAndReplies"]
    assert any(r["path"].startswith("/responsive-web/client-web/ondemand.s.") for r in x_web.page_requests())


async def test_the_transaction_header_is_sent_from_the_start_when_remembered(x_web: FakeXWeb) -> None:
    """A restart with the operation remembered sends the header at the first request: no 404."""
    x_web.demand_transaction("UserTweetsAndReplies")
    async with client_for(x_web, learned={"found_at": time.time(), "transaction": ["UserTweetsAndReplies"]}) as client:
        await client.user_tweets(x_web.own_user_id, replies=True)
    assert [r["status"] for r in x_web.requests if r["op"]] == [200]


async def test_without_the_pages_material_the_404_says_so(x_web: FakeXWeb) -> None:
    """A page without scripts: no header can be made, and the error says what was tried."""
    x_web.demand_transaction("UserTweetsAndReplies")
    x_web.front_end = "none"
    async with client_for(x_web) as client:
        with pytest.raises(QueryRejectedError) as caught:
            await client.user_tweets(x_web.own_user_id, replies=True)
    assert "x-client-transaction-id" in str(caught.value)


async def test_a_rotation_right_after_the_start_of_run_read_still_heals(x_web: FakeXWeb) -> None:
    """The web app was read at start (old ids); X rotates a minute later: the new 404 reads it again at once."""
    clock = [time.time()]
    async with client_for(x_web, learned={}, clock=lambda: clock[0]) as client:
        await client.user_tweets(x_web.own_user_id)
        clock[0] += 60
        new = x_web.stale("UserTweets")
        await client.user_tweets(x_web.own_user_id)
        assert client.query_ids["UserTweets"] == new
    assert len([r for r in x_web.page_requests() if r["path"] == "/home"]) == 2


def test_the_web_apps_base_url_is_an_environment_setting(monkeypatch) -> None:
    """NOTIFIER_WEB_BASE names the web app; without it, the origin of the web API base (https://x.com)."""
    cookies = Cookies.from_mapping({"auth_token": "a" * 20, "ct0": "b" * 20})
    monkeypatch.delenv("NOTIFIER_WEB_BASE", raising=False)
    monkeypatch.delenv("NOTIFIER_WEB_API_BASE", raising=False)
    assert XWebClient(cookies).web_base == "https://x.com"
    assert XWebClient(cookies, api_base="http://127.0.0.1:8081/i/api").web_base == "http://127.0.0.1:8081"
    monkeypatch.setenv("NOTIFIER_WEB_BASE", "http://127.0.0.1:9090/")
    assert XWebClient(cookies).web_base == "http://127.0.0.1:9090"
    monkeypatch.setenv("NOTIFIER_WEB_BASE", "not a url")
    with pytest.raises(ValueError, match="http"):
        XWebClient(cookies)
