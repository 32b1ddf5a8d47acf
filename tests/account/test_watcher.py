"""The account watcher against the fake X web API: posts found, messages once, limits kept."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import pytest

from notifier.account import XWebClient
from notifier.account.inbox import DirectMessage, Sender
from notifier.account.timeline import Post
from notifier.account.posts import Followed
from notifier.account.watcher import AccountWatcher, InboxMemory, WatchPlan
from notifier.stream.auth import Cookies
from tests.fakes.x_web import FakeXWeb

DAY = 86400.0


class Sink:
    """Keeps what the watcher hands on."""

    def __init__(self) -> None:
        self.posts: dict[str, list[Post]] = {}
        self.new: dict[str, set[str]] = {}
        self.messages: list[tuple[str, str, str | None]] = []
        self.requests: list[bool] = []
        self.known: tuple[str, ...] = ()

    def posts_found(self, account: str, posts: Sequence[Post], new: frozenset[str] = frozenset()) -> None:
        self.posts[account] = list(posts)
        self.new[account] = set(new)

    def message(self, message: DirectMessage, sender: Sender | None, *, request: bool = False) -> None:
        self.messages.append((message.id, message.text, sender.screen_name if sender else None))
        self.requests.append(request)

    def conversations(self, ids: Sequence[str]) -> None:
        self.known = tuple(ids)


def watcher(client: XWebClient, sink: Sink, plan: WatchPlan, memory: InboxMemory | None = None,
            own: str | None = "1000") -> AccountWatcher:
    return AccountWatcher(client, plan, sink, own_user_id=own, memory=memory)


def ops(fake: FakeXWeb) -> list[str]:
    return [r["op"] or r["path"] for r in fake.requests]


async def test_own_posts_inside_the_window_are_found_newest_first(x_web: FakeXWeb, client: XWebClient) -> None:
    """Reposts, others' posts, replies (unless asked) and posts older than the window are left out."""
    me = x_web.own_user_id
    x_web.add_user("7", "bob")
    old = x_web.add_post(me, "old", created_at=time.time() - 5 * DAY)
    mine = x_web.add_post(me, "launching today", likes=3)
    x_web.add_post(me, "RT", repost_of=old)
    reply = x_web.add_post(me, "thanks!", reply_to=mine)
    x_web.add_tombstone()
    x_web.add_promoted()
    pinned = x_web.add_post(me, "pinned", pinned=True)
    sink = Sink()
    await watcher(client, sink, WatchPlan((Followed("me", 3 * DAY, 50, False),))).poll_once()
    assert [p.id for p in sink.posts["me"]] == [pinned, mine]
    assert sink.posts["me"][1].likes == 3 and reply not in [p.id for p in sink.posts["me"]]


async def test_a_post_made_later_is_found_at_the_next_poll(x_web: FakeXWeb, client: XWebClient) -> None:
    """Each poll reads the newest page: a post made during the run joins the list."""
    first = x_web.add_post(x_web.own_user_id, "first")
    sink = Sink()
    watch = AccountWatcher(client, WatchPlan((Followed("me", DAY, 50, False),), poll=0.0), sink, own_user_id="1000")
    await watch.poll_once()
    second = x_web.add_post(x_web.own_user_id, "second")
    await watch.poll_once()
    assert [p.id for p in sink.posts["me"]] == [second, first]


async def test_the_window_is_read_at_start_then_one_page_a_poll(x_web: FakeXWeb, client: XWebClient) -> None:
    """At start the pages of the window are read; each later poll asks for the newest page once."""
    x_web.page_size = 2
    ids = [x_web.add_post(x_web.own_user_id, f"post {n}") for n in range(5)]
    sink = Sink()
    watch = AccountWatcher(client, WatchPlan((Followed("me", DAY, 50, False),), poll=0.0), sink, own_user_id="1000")
    await watch.poll_once()
    assert [p.id for p in sink.posts["me"]] == ids[::-1]
    started = ops(x_web).count("UserTweets")
    assert started == 4  # three pages of posts, and X's empty page past the end
    for polls in range(1, 3):
        await watch.poll_once()
        assert ops(x_web).count("UserTweets") == started + polls


async def test_a_handle_is_looked_up_once(x_web: FakeXWeb, client: XWebClient) -> None:
    """@brand becomes a user id with one UserByScreenName; its posts follow."""
    x_web.add_user("55", "brand")
    post = x_web.add_post("55", "brand news")
    sink = Sink()
    watch = AccountWatcher(client, WatchPlan((Followed("@brand", DAY, 50, False),), poll=0.0), sink, own_user_id="1000")
    await watch.poll_once()
    await watch.poll_once()
    assert [p.id for p in sink.posts["@brand"]] == [post]
    assert ops(x_web).count("UserByScreenName") == 1


async def test_messages_before_the_first_start_never_alert_and_new_ones_alert_once(
    x_web: FakeXWeb, client: XWebClient
) -> None:
    """The initial inbox is the past; each later message from someone else alerts once, own ones never."""
    x_web.add_user("7", "alice", "Alice")
    x_web.add_message("7-1000", "7", "from before")
    sink = Sink()
    memory = InboxMemory()
    watch = AccountWatcher(client, WatchPlan(dms=True, poll=0.0), sink, own_user_id="1000", memory=memory)
    await watch.poll_once()
    assert sink.messages == [] and sink.known == ("7-1000",)
    new = x_web.add_message("7-1000", "7", "are you free tomorrow?")
    x_web.add_message("7-1000", "1000", "yes")
    group = x_web.add_message("42", "8", "hello group", group=True)
    await watch.poll_once()
    await watch.poll_once()
    assert sink.messages == [(new, "are you free tomorrow?", "alice"), (group, "hello group", "user8")]
    assert sink.known == ("42", "7-1000")  # the most recently active first


async def test_a_restart_repeats_nothing(x_web: FakeXWeb, client: XWebClient) -> None:
    """The cursor and the ids announced come back from the saved entry."""
    x_web.add_message("7-1000", "7", "old")
    saved: list[dict] = []
    first = AccountWatcher(client, WatchPlan(dms=True, poll=0.0), Sink(), own_user_id="1000", save=saved.append)
    await first.poll_once()
    x_web.add_message("7-1000", "7", "while we ran")
    await first.poll_once()
    sink = Sink()
    again = AccountWatcher(client, WatchPlan(dms=True, poll=0.0), sink, own_user_id="1000",
                           memory=InboxMemory.from_entry(saved[-1]))
    later = x_web.add_message("7-1000", "7", "after the restart")
    await again.poll_once()
    assert [m[0] for m in sink.messages] == [later]


async def test_requests_can_be_left_out(x_web: FakeXWeb, client: XWebClient) -> None:
    """requests: false skips conversations X marks as not trusted (message requests)."""
    sink = Sink()
    watch = AccountWatcher(client, WatchPlan(dms=True, requests=False, poll=0.0), sink, own_user_id="1000")
    await watch.poll_once()
    x_web.add_message("9-1000", "9", "buy my course", trusted=False)
    friend = x_web.add_message("7-1000", "7", "hi")
    await watch.poll_once()
    assert [m[0] for m in sink.messages] == [friend]


async def test_a_message_request_is_handed_on_as_one(x_web: FakeXWeb, client: XWebClient) -> None:
    """With requests wanted, a message in an untrusted conversation is marked a request."""
    sink = Sink()
    watch = AccountWatcher(client, WatchPlan(dms=True, poll=0.0), sink, own_user_id="1000")
    await watch.poll_once()
    x_web.add_message("9-1000", "9", "buy my course", trusted=False)
    x_web.add_message("7-1000", "7", "hi")
    await watch.poll_once()
    assert sink.requests == [True, False]


async def test_a_rate_limit_waits_for_the_reset(x_web: FakeXWeb) -> None:
    """429 with a reset: no request to that endpoint before it; the poll interval is the least wait."""
    x_web.add_post(x_web.own_user_id, "hi")
    clock = [time.time()]
    client = XWebClient(Cookies.from_mapping(x_web.cookies), api_base=x_web.url, clock=lambda: clock[0])
    sink = Sink()
    watch = AccountWatcher(client, WatchPlan((Followed("me", DAY, 50, False),), poll=1.0), sink,
                           own_user_id="1000", clock=lambda: clock[0])
    x_web.fail_next("UserTweets", 429, {"x-rate-limit-reset": str(int(clock[0] + 300))})
    await watch.poll_once()
    for _ in range(3):
        clock[0] += 60
        await watch.poll_once()
    assert ops(x_web).count("UserTweets") == 1
    clock[0] += 300
    await watch.poll_once()
    assert ops(x_web).count("UserTweets") > 1 and sink.posts["me"]
    await client.aclose()


async def test_a_stale_query_id_is_logged_once_and_known_posts_stay(
    x_web: FakeXWeb, client: XWebClient, caplog: pytest.LogCaptureFixture
) -> None:
    """X rotates UserTweets' id: one clear error naming the setting; the last list is not withdrawn."""
    post = x_web.add_post(x_web.own_user_id, "hi")
    sink = Sink()
    watch = AccountWatcher(client, WatchPlan((Followed("me", DAY, 50, False),), poll=0.0), sink, own_user_id="1000")
    await watch.poll_once()
    x_web.front_end = "none"  # x.com's web app offers no new id either
    x_web.stale("UserTweets")
    with caplog.at_level(logging.ERROR, logger="notifier.account.watcher"):
        await watch.poll_once()
        await watch.poll_once()
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "account.graphql.UserTweets" in errors[0]
    assert [p.id for p in sink.posts["me"]] == [post]


async def test_failing_polls_say_since_when_until_one_succeeds(x_web: FakeXWeb) -> None:
    """A 503 starts failing() at that poll's time; it stays through more failures and clears on success."""
    x_web.add_post(x_web.own_user_id, "hi")
    clock = [time.time()]
    client = XWebClient(Cookies.from_mapping(x_web.cookies), api_base=x_web.url, clock=lambda: clock[0])
    watch = AccountWatcher(client, WatchPlan((Followed("me", DAY, 50, False),), poll=1.0), Sink(),
                           own_user_id="1000", clock=lambda: clock[0])
    started = clock[0]
    assert watch.failing() is None
    x_web.fail_next("UserTweets", 503, times=2)
    await watch.poll_once()
    clock[0] += 60
    await watch.poll_once()
    since, detail = watch.failing()
    assert since == started and "posts me" in detail
    clock[0] += 60
    await watch.poll_once()
    assert watch.failing() is None
    await client.aclose()


def inbox_asks(fake: FakeXWeb) -> int:
    return sum(1 for r in fake.requests if r["path"].endswith("/user_updates.json"))


async def test_a_doorbell_reads_the_inbox_before_its_interval_at_most_once_a_second(
    x_web: FakeXWeb, client: XWebClient
) -> None:
    """ring() makes the inbox due one second after the last read, not at the next interval; a second ring waits."""
    now = [1000.0]
    watch = AccountWatcher(client, WatchPlan(dms=True, poll=120.0, inbox_poll=10.0), Sink(), own_user_id="1000",
                           clock=lambda: now[0])
    await watch.poll_once()  # the first start: the inbox's initial state
    now[0] += 0.2
    watch.ring()
    await watch.poll_once()
    assert inbox_asks(x_web) == 0  # not a second after the last read yet
    now[0] += 0.8
    await watch.poll_once()
    assert inbox_asks(x_web) == 1
    for _ in range(5):  # a burst: one more read, a second later
        watch.ring()
    await watch.poll_once()
    now[0] += 1.0
    await watch.poll_once()
    await watch.poll_once()
    assert inbox_asks(x_web) == 2
    now[0] += 5.0
    await watch.poll_once()
    assert inbox_asks(x_web) == 2  # no doorbell: the inbox's own interval (10 s) is not over
    now[0] += 5.0
    await watch.poll_once()
    assert inbox_asks(x_web) == 3


async def test_a_doorbell_does_not_jump_x_rate_limit(x_web: FakeXWeb, client: XWebClient) -> None:
    """After a 429 the inbox waits for X's reset, however often the stream rings."""
    now = [time.time()]
    watch = AccountWatcher(client, WatchPlan(dms=True, poll=120.0, inbox_poll=10.0), Sink(), own_user_id="1000",
                           clock=lambda: now[0])
    await watch.poll_once()
    x_web.rate_limit("/1.1/dm/user_updates.json", remaining=0, reset=now[0] + 300)
    now[0] += 10.0
    await watch.poll_once()  # answered 429
    asked = inbox_asks(x_web)
    for _ in range(3):
        now[0] += 2.0
        watch.ring()
        await watch.poll_once()
    assert inbox_asks(x_web) == asked


async def test_a_post_made_after_the_follow_began_is_handed_on_as_new(x_web: FakeXWeb, client: XWebClient) -> None:
    """Posts there at start are old; one created later is new, and stays new while it is watched."""
    me = x_web.own_user_id
    old = x_web.add_post(me, "old", created_at=time.time() - 3600)
    sink = Sink()
    now = [time.time()]
    watch = AccountWatcher(client, WatchPlan((Followed("me", DAY, 50, False),), poll=0.0), sink, own_user_id=me,
                           clock=lambda: now[0])
    await watch.poll_once()
    assert sink.new["me"] == set()
    later = x_web.add_post(me, "later", created_at=now[0] + 5)
    now[0] += 10
    await watch.poll_once()
    await watch.poll_once()
    assert sink.new["me"] == {later} and old not in sink.new["me"]
