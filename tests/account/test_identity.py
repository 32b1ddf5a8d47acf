"""Who am I: twid cookie, then account/settings.json, then GraphQL Viewer (fake X on 127.0.0.1)."""

from __future__ import annotations

import time

import pytest

from notifier.account import XWebClient
from notifier.account.identity import who_am_i
from notifier.exceptions import AuthenticationError, WebAPIError
from notifier.stream.auth import Cookies
from tests.fakes.x_web import SETTINGS, FakeXWeb


def client_for(fake: FakeXWeb, *, twid: bool) -> XWebClient:
    cookies = dict(fake.cookies)
    if not twid:
        del cookies["twid"]
    return XWebClient(Cookies.from_mapping(cookies), api_base=fake.url, learned={"found_at": time.time()})


def asked(fake: FakeXWeb) -> list[str]:
    return [r["op"] or r["path"] for r in fake.requests]


async def test_twid_gives_the_id_and_settings_the_handle(x_web: FakeXWeb) -> None:
    """With twid, one settings request gives the handle; the id is the cookie's."""
    async with client_for(x_web, twid=True) as client:
        me = await who_am_i(client)
    assert (me.user_id, me.handle, me.source) == (x_web.own_user_id, "me", "the twid cookie")
    assert asked(x_web) == [SETTINGS]


async def test_without_twid_settings_then_the_handle_gives_the_id(x_web: FakeXWeb) -> None:
    """Without twid, settings.json's handle is looked up for the id."""
    async with client_for(x_web, twid=False) as client:
        me = await who_am_i(client)
    assert (me.user_id, me.handle, me.source) == (x_web.own_user_id, "me", "account/settings.json")
    assert asked(x_web) == [SETTINGS, "UserByScreenName"]


async def test_settings_404_falls_back_to_graphql_viewer(x_web: FakeXWeb) -> None:
    """settings.json answers 404 (as for some sessions in 2026): GraphQL Viewer says who is signed in."""
    x_web.fail_next(SETTINGS, 404, times=5)
    async with client_for(x_web, twid=False) as client:
        me = await who_am_i(client)
    assert (me.user_id, me.handle, me.source) == (x_web.own_user_id, "me", "GraphQL Viewer")
    assert asked(x_web) == [SETTINGS, "Viewer"]


async def test_with_twid_and_nothing_answering_the_id_is_enough(x_web: FakeXWeb) -> None:
    """twid present, settings 404 and Viewer 503: the id from the cookie, no handle, no error."""
    x_web.fail_next(SETTINGS, 404)
    x_web.fail_next("Viewer", 503)
    async with client_for(x_web, twid=True) as client:
        me = await who_am_i(client)
    assert (me.user_id, me.handle) == (x_web.own_user_id, None)


async def test_nothing_answering_without_twid_says_what_each_way_said(x_web: FakeXWeb) -> None:
    """No twid and no answer: one WebAPIError naming each way tried and the twid cookie that helps."""
    x_web.fail_next(SETTINGS, 404)
    x_web.fail_next("Viewer", 503)
    async with client_for(x_web, twid=False) as client:
        with pytest.raises(WebAPIError) as caught:
            await who_am_i(client)
    message = str(caught.value)
    assert "account/settings.json" in message and "Viewer" in message and "twid" in message


async def test_rejected_cookies_are_not_retried_another_way(x_web: FakeXWeb) -> None:
    """A 401 from settings.json is raised at once: another way would be rejected too."""
    x_web.fail_next(SETTINGS, 401)
    async with client_for(x_web, twid=False) as client:
        with pytest.raises(AuthenticationError):
            await who_am_i(client)
    assert asked(x_web) == [SETTINGS]
