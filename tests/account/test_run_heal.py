"""`notifier run` as a process while X changes and misbehaves: watching goes on, one alert per condition, one recovery."""

from __future__ import annotations

import json

from tests.account.runs import CT0, ME, Run
from tests.daemon.process import wait_until
from tests.fakes.live_pipeline import FakeLivePipeline
from tests.fakes.receiver import Receiver
from tests.fakes.x_web import SETTINGS, FakeXWeb

MY_POSTS = """\
  - name: My posts
    tweets: {from: me, within: 3d}
    every: {likes: 1000}
    title: "{text} passed {milestone:,} likes"
"""
# Account watching failing for 2 s is a health condition here (10 minutes by default).
HEALTH = "health:\n  notify: [hook]\n  stream_down: 2s\n"
DEEP = b'{"a":' + b"[" * 5000
YEAR_3000 = "32503680000"


def subscribed(stream: FakeLivePipeline, post: str) -> None:
    stream.wait_for(lambda f: any(f"/tweet_engagement/{post}" in live for live in f.sessions.values()), timeout=20)


def health_titles(receiver: Receiver) -> list[str]:
    return [t for t in receiver.titles if t and t.startswith("notifier")]


def test_ids_rotating_during_the_run_heal_without_an_alert(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """X rotates UserTweets' id (x-web front end): the run reads the new one, finds a new post, alerts on it."""
    web.front_end = "x-web"
    run.rules(MY_POSTS + HEALTH)
    child = run.start()
    child.wait_for_event("account_followed", timeout=20)
    new_id = web.stale("UserTweets")
    post = web.add_post(ME, "Launching today", likes=10)
    subscribed(stream, post)
    stream.push_engagement(post, like_count=1200)
    assert receiver.wait_for(lambda r: len(r.received) >= 1, timeout=15), child.stderr
    assert receiver.titles == ["Launching today passed 1,000 likes"]
    assert not child.events("account_query_rejected") and not health_titles(receiver)
    assert any(r["path"] == f"/graphql/{new_id}/UserTweets" and r["status"] == 200 for r in web.requests)
    run.stop(child)
    saved = run.folder / "state.db"
    assert new_id.encode() in saved.read_bytes()  # kept in the state file for the next start


def test_deep_answers_alert_once_and_recover_once(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """UserTweets answers 5 KB of nesting for a while: no crash, one log line, one health alert, one recovery."""
    run.rules(MY_POSTS + HEALTH)
    child = run.start()
    child.wait_for_event("account_followed", timeout=20)
    web.fail_next("UserTweets", 200, body=DEEP, times=3)
    assert receiver.wait_for(lambda r: len(health_titles(r)) >= 2, timeout=30), child.stderr
    post = web.add_post(ME, "Still watching", likes=10)
    subscribed(stream, post)
    assert child.running
    titles = health_titles(receiver)
    assert titles[0].startswith("notifier: account watching has failed") and "recovered" in titles[1]
    assert len(titles) == 2 and len(child.events("account_unreadable")) == 1
    run.stop(child)


def test_a_rate_limit_reset_in_the_year_3000_waits_an_hour_and_alerts(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """A 429 naming the year 3000: asked again in an hour, not in 30,706,997,933 s; health says so once."""
    run.rules(MY_POSTS + HEALTH)
    child = run.start()
    child.wait_for_event("account_followed", timeout=20)
    web.fail_next("UserTweets", 429, {"x-rate-limit-reset": YEAR_3000})
    (limited,) = child.wait_for_event("account_rate_limited", timeout=20)
    assert limited["retry_in"] == 3600
    assert receiver.wait_for(lambda r: len(health_titles(r)) >= 1, timeout=20), child.stderr
    assert "rate limit" in receiver.received[-1].message
    assert len(child.events("health_alert")) == 1 and child.running
    run.stop(child)


def test_a_rotated_ct0_reaches_the_stream_and_the_cookie_file(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """X rotates ct0 on a web API answer: the stream reconnects with it (no exit 3), and cookies.json holds it."""
    post = web.add_post(ME, "Launching today", likes=10)
    run.rules(MY_POSTS + HEALTH)
    child = run.start()
    subscribed(stream, post)
    new = web.rotate_ct0()
    child.wait_for_event("ct0_saved", timeout=20)
    stream.ct0 = new  # from now on X takes only the new value, on the stream too
    before = stream.connections
    stream.drop_connections()
    wait_until(lambda: stream.connections > before, 20, what="a reconnect with the new ct0")
    subscribed(stream, post)
    stream.push_engagement(post, like_count=1200)
    assert receiver.wait_for(lambda r: len(r.received) >= 1, timeout=20), child.stderr
    assert child.running
    assert json.loads((run.folder / "cookies.json").read_text())["ct0"] == new != CT0
    assert (run.folder / "cookies.json").stat().st_mode & 0o777 == 0o600
    run.stop(child)


def test_me_is_followed_without_twid_when_settings_answers_404(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """No twid cookie and account/settings.json 404: GraphQL Viewer says who is signed in; posts are followed."""
    cookies = json.loads((run.folder / "cookies.json").read_text())
    del cookies["twid"]
    (run.folder / "cookies.json").write_text(json.dumps(cookies))
    web.fail_next(SETTINGS, 404, times=100)
    post = web.add_post(ME, "Launching today", likes=10)
    run.rules(MY_POSTS + HEALTH)
    child = run.start()
    subscribed(stream, post)
    child.wait_for_event("identity_from_viewer", timeout=10)
    stream.push_engagement(post, like_count=1200)
    assert receiver.wait_for(lambda r: len(r.received) >= 1, timeout=20), child.stderr
    assert receiver.titles == ["Launching today passed 1,000 likes"]
    run.stop(child)


MY_POSTS_AND_REPLIES = """\
  - name: My posts
    tweets: {from: me, within: 3d, replies: true}
    every: {likes: 1000}
    title: "{text} passed {milestone:,} likes"
"""


def test_a_features_400_and_a_demanded_transaction_header_heal_in_a_run(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """X wants a new feature flag and the transaction header for UserTweetsAndReplies: the run adapts, no alert."""
    web.require_feature("responsive_web_brand_new_enabled")
    web.demand_transaction("UserTweetsAndReplies")
    post = web.add_post(ME, "Launching today", likes=10)
    run.rules(MY_POSTS_AND_REPLIES + HEALTH)
    child = run.start()
    subscribed(stream, post)
    child.wait_for_event("graphql_features_learned", timeout=10)
    child.wait_for_event("transaction_id_needed", timeout=10)
    later = web.add_post(ME, "And a second one", likes=10)
    subscribed(stream, later)
    stream.push_engagement(later, like_count=1200)
    assert receiver.wait_for(lambda r: len(r.received) >= 1, timeout=20), child.stderr
    assert receiver.titles == ["And a second one passed 1,000 likes"]
    assert len(child.events("transaction_id_needed")) == 1 and not health_titles(receiver)
    run.stop(child)


def test_an_absurd_polled_count_fires_nothing(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """A polled favorite_count of 10**29 is not believed: no absurd alert, no poisoned mark; real milestones alert."""
    post = web.add_post(ME, "Launching today", likes=10**29)
    run.rules(MY_POSTS + HEALTH)
    child = run.start()
    subscribed(stream, post)
    stream.push_engagement(post, like_count=1200)  # the first real count: already past 1,000, silent at start
    child.wait_for_event("initial_met", timeout=10)
    stream.push_engagement(post, like_count=2100)
    assert receiver.wait_for(lambda r: len(r.received) >= 1, timeout=20), child.stderr
    assert receiver.titles == ["Launching today passed 2,000 likes"]
    run.stop(child)


def test_a_cookie_file_of_brackets_exits_2_without_a_traceback(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """200,000 '[' as the cookie file: a clear message and exit 2, not a traceback and exit 1."""
    (run.folder / "cookies.json").write_text("[" * 200_000)
    run.rules(MY_POSTS)
    child = run.start()
    assert child.wait() == 2
    assert "Traceback" not in child.stderr and "nests JSON" in child.stderr


def test_a_web_base_that_is_no_url_exits_2_naming_the_setting(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """NOTIFIER_WEB_BASE=nonsense: exit 2 with the setting named, not a traceback."""
    from tests.daemon.process import NotifierProcess

    run.rules(MY_POSTS)
    child = NotifierProcess(["rules.yaml", "--state", "state.db"], env={**run.env, "NOTIFIER_WEB_BASE": "nonsense"},
                            cwd=run.folder)
    run.children.append(child)
    assert child.wait() == 2
    assert "NOTIFIER_WEB_BASE" in child.stderr and "Traceback" not in child.stderr
