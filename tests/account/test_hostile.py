"""Hostile and absurd answers from X's web API: bounded, counted, never a crash."""

from __future__ import annotations

import logging
import time

import pytest

from notifier.account import XWebClient, parse_timeline
from notifier.account.posts import Followed
from notifier.account.watcher import AccountWatcher, WatchPlan
from notifier.account.web import MAX_RATE_LIMIT_WAIT
from notifier.exceptions import CredentialsError, RateLimitedError, UnreadableAnswerError
from notifier.stream.auth import Cookies, load_cookies
from notifier.stream.http import parse_json
from notifier.stream.parse import parse_message
from tests.fakes.x_web import USER_UPDATES, FakeXWeb

DEEP = b'{"a":' + b"[" * 5000
YEAR_3000 = "32503680000"
DAY = 86400.0


class Sink:
    def __init__(self) -> None:
        self.posts: dict[str, list] = {}

    def posts_found(self, account, posts, new=frozenset()) -> None:
        self.posts[account] = list(posts)

    def message(self, message, sender, *, request=False) -> None:
        pass

    def conversations(self, ids) -> None:
        pass


def test_deep_json_is_no_json_and_no_recursion_error():
    """parse_json refuses 5 KB of nesting (the stream's 503 page) instead of raising RecursionError."""
    assert parse_json(DEEP) is None
    assert parse_json(b"[" * 200_000) is None
    assert parse_json(b'{"a":"[[[[[["}') == {"a": "[[[[[["}


def test_deep_stream_line_is_skipped():
    """A stream line nested thousands deep parses as nothing."""
    line = b'{"topic":"/tweet_engagement/1","payload":{"tweet_engagement":' + b"[" * 5000 + b"]" * 5000 + b"}}"
    assert parse_message(line) is None


def test_cookie_file_of_brackets_is_a_credentials_error(tmp_path):
    """A cookie file of 200,000 '[' is a clear CredentialsError (exit 2), not a traceback."""
    path = tmp_path / "cookies.json"
    path.write_text("[" * 200_000)
    with pytest.raises(CredentialsError, match="nests JSON"):
        load_cookies(path)


@pytest.mark.parametrize(
    ("endpoint", "status"), [("UserTweets", 503), ("UserTweets", 200), ("TweetResultByRestId", 200), (USER_UPDATES, 200)]
)
async def test_deep_answers_are_unreadable_not_a_crash(x_web, client, endpoint, status):
    """5 KB of nesting from any endpoint is an UnreadableAnswerError of kind too_deep."""
    x_web.fail_next(endpoint, status, body=DEEP)
    with pytest.raises(UnreadableAnswerError) as caught:
        if endpoint == "UserTweets":
            await client.user_tweets(x_web.own_user_id)
        elif endpoint == "TweetResultByRestId":
            await client.tweet_result("1850000000000000001")
        else:
            await client.user_updates("fake-dm-cursor-0")
    assert caught.value.kind == "too_deep"


async def test_html_and_truncated_answers_are_unreadable(x_web, client):
    """An HTML error page and JSON cut short are unreadable answers of their own kinds."""
    x_web.fail_next("UserTweets", 200, body=b"<!DOCTYPE html><html><body>Something went wrong</body></html>")
    with pytest.raises(UnreadableAnswerError) as html:
        await client.user_tweets(x_web.own_user_id)
    x_web.fail_next("UserTweets", 200, body=b'{"data":{"user":')
    with pytest.raises(UnreadableAnswerError) as cut:
        await client.user_tweets(x_web.own_user_id)
    assert (html.value.kind, cut.value.kind) == ("html", "not_json")


async def test_each_kind_is_logged_once_and_counted_every_time(x_web, caplog):
    """Three deep answers: one log line, three counts."""
    kinds: list[str] = []
    client = XWebClient(Cookies.from_mapping(x_web.cookies), api_base=x_web.url, on_unreadable=kinds.append)
    x_web.fail_next("UserTweets", 200, body=DEEP, times=3)
    with caplog.at_level(logging.WARNING, logger="notifier.account.web"):
        for _ in range(3):
            with pytest.raises(UnreadableAnswerError):
                await client.user_tweets(x_web.own_user_id)
    await client.aclose()
    assert kinds == ["too_deep"] * 3
    assert len([r for r in caplog.records if getattr(r, "event", "") == "account_unreadable"]) == 1


async def test_a_dripping_answer_meets_a_total_deadline(x_web):
    """One byte every 0.3 s never trips a per-read timeout; the total deadline of 1 s ends it."""
    client = XWebClient(Cookies.from_mapping(x_web.cookies), api_base=x_web.url, timeout=1.0)
    x_web.drip_next("UserTweets", every=0.3, size=64)
    started = time.monotonic()
    with pytest.raises(UnreadableAnswerError) as caught:
        await client.user_tweets(x_web.own_user_id)
    await client.aclose()
    assert caught.value.kind == "timeout" and time.monotonic() - started < 5


async def test_a_429_reset_in_the_year_3000_waits_an_hour_at_most(x_web, client):
    """X names a reset centuries away: notifier waits one hour, X's windows being 15 minutes."""
    x_web.fail_next("UserTweets", 429, {"x-rate-limit-reset": YEAR_3000})
    with pytest.raises(RateLimitedError) as caught:
        await client.user_tweets(x_web.own_user_id)
    assert 0 < caught.value.retry_after <= MAX_RATE_LIMIT_WAIT
    with pytest.raises(RateLimitedError) as again:
        await client.user_tweets(x_web.own_user_id)
    assert again.value.retry_after <= MAX_RATE_LIMIT_WAIT


async def test_remaining_zero_with_a_far_reset_waits_an_hour_at_most(x_web, client):
    """A 200 saying remaining 0 until the year 3000 holds the inbox one hour at most."""
    x_web.fail_next(USER_UPDATES, 200, {"x-rate-limit-remaining": "0", "x-rate-limit-reset": YEAR_3000}, body={})
    await client.user_updates("fake-dm-cursor-0")
    with pytest.raises(RateLimitedError) as caught:
        await client.user_updates("fake-dm-cursor-0")
    assert caught.value.retry_after <= MAX_RATE_LIMIT_WAIT


async def test_rate_limited_polls_are_failing_until_x_answers(x_web: FakeXWeb) -> None:
    """A rate limit makes failing() say since when, for the health threshold; an answer clears it."""
    x_web.add_post(x_web.own_user_id, "hi")
    clock = [time.time()]
    client = XWebClient(Cookies.from_mapping(x_web.cookies), api_base=x_web.url, clock=lambda: clock[0])
    watch = AccountWatcher(client, WatchPlan((Followed("me", DAY, 50, False),), poll=1.0), Sink(),
                           own_user_id=x_web.own_user_id, clock=lambda: clock[0])
    started = clock[0]
    x_web.fail_next("UserTweets", 429, {"x-rate-limit-reset": YEAR_3000})
    await watch.poll_once()
    since, detail = watch.failing()
    assert since == started and "rate limit" in detail
    clock[0] += MAX_RATE_LIMIT_WAIT - 1
    await watch.poll_once()
    assert watch.failing() is not None
    clock[0] += 2
    await watch.poll_once()
    assert watch.failing() is None
    await client.aclose()


async def test_unreadable_answers_back_off_then_recover(x_web: FakeXWeb) -> None:
    """Deep answers are retried with the shared backoff (growing waits), and a good answer clears failing()."""
    x_web.add_post(x_web.own_user_id, "hi")
    clock = [time.time()]
    client = XWebClient(Cookies.from_mapping(x_web.cookies), api_base=x_web.url, clock=lambda: clock[0])
    sink = Sink()
    watch = AccountWatcher(client, WatchPlan((Followed("me", DAY, 50, False),), poll=60.0), sink,
                           own_user_id=x_web.own_user_id, clock=lambda: clock[0])
    x_web.fail_next("UserTweets", 503, body=DEEP, times=3)
    waits = []
    for _ in range(3):
        await watch.poll_once()
        waits.append(min(watch._next.values()) - clock[0])
        clock[0] += waits[-1]
    assert watch.failing() is not None and waits[0] < waits[2] <= 900
    await watch.poll_once()
    assert watch.failing() is None and sink.posts["me"]
    await client.aclose()


def test_an_absurd_polled_count_is_no_count():
    """favorite_count 10**29 makes the post's counts unknown, as the stream and a replay read it."""
    result = {"__typename": "Tweet", "rest_id": "400",
              "legacy": {"favorite_count": 10**29, "retweet_count": 2, "full_text": "hi"}}
    body = {"data": {"user": {"result": {"timeline": {"timeline": {"instructions": [
        {"type": "TimelineAddEntries", "entries": [
            {"entryId": "tweet-400", "content": {"itemContent": {"tweet_results": {"result": result}}}}]}]}}}}}}
    post = parse_timeline(body).posts[0]
    assert (post.likes, post.retweets) == (None, None)
    line = ('{"topic":"discovery","payload":{"discovery":{"account":"me","posts":'
            '[{"id":"400","likes":"100000000000000000000000000000","retweets":"2"}]}}}')
    parsed = parse_message(line)
    if parsed is not None:
        ref = parsed[1].discovery.posts[0]
        assert (ref.likes, ref.retweets) == (None, None)
