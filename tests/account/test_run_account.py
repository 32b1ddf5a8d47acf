"""`notifier run` following an account end to end: fake stream + fake X web API → subprocess → receiver."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from tests.account.runs import ME, Run
from tests.daemon.process import NotifierProcess
from tests.fakes.live_pipeline import FakeLivePipeline
from tests.fakes.receiver import Receiver
from tests.fakes.x_web import FakeXWeb

MY_POSTS = """\
  - name: My posts
    tweets: {from: me, within: 3d}
    every: {likes: 1000}
    title: "{text} passed {milestone:,} likes"
"""

ANY_DM = """\
  - name: Any new DM
    dms: any
    on: message
    title: "New DM"
    message: "{sender}: {text}"
"""


def test_a_post_made_during_the_run_alerts_at_its_first_milestone(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """A new post is found by the next poll, subscribed on the stream, and its 1,000 likes alert once."""
    old = web.add_post(ME, "Old news", likes=5000)
    run.rules(MY_POSTS)
    child = run.start()
    child.wait_for_event("account_followed", timeout=15)
    post = web.add_post(ME, "Launching today", likes=10)
    stream.wait_for(lambda f: any(f"/tweet_engagement/{post}" in live for live in f.sessions.values()), timeout=15)
    stream.push_engagement(post, like_count=1200)
    assert receiver.wait_for(lambda r: len(r.received) >= 1, timeout=15), child.stderr
    assert receiver.titles == ["Launching today passed 1,000 likes"]
    assert f"/tweet_engagement/{old}" in next(iter(stream.sessions.values()))  # watched, already past: silent
    run.stop(child)
    assert receiver.titles == ["Launching today passed 1,000 likes"]


def test_a_dm_from_someone_new_alerts_once_through_stream_and_inbox_and_never_again(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """The inbox is the truth: one alert with sender and text, the stream's doorbell adds none, a restart none."""
    web.add_user("7", "alice", "Alice")
    web.add_message(f"7-{ME}", "7", "sent before notifier ever ran")
    run.rules(ANY_DM)
    child = run.start("-v")
    child.wait_for_event("inbox_seeded", timeout=15)
    web.add_user("8", "bob", "Bob")
    web.add_message(f"8-{ME}", "8", "are you free tomorrow?")
    assert receiver.wait_for(lambda r: len(r.received) >= 1, timeout=15), child.stderr
    # The same message rung on the stream (its conversation is a topic now): the inbox has nothing new.
    stream.wait_for(lambda f: any(f"/dm_update/8-{ME}" in live for live in f.sessions.values()), timeout=15)
    polls = len(child.events("inbox_polled"))
    stream.push_dm(f"8-{ME}", "8")
    child.wait_for_event("inbox_polled", count=polls + 2, timeout=15)
    assert [d.message for d in receiver.received] == ["@bob: are you free tomorrow?"]
    run.stop(child)

    web.add_message(f"7-{ME}", "7", "while you were away")
    again = run.start("-v")
    assert receiver.wait_for(lambda r: len(r.received) >= 2, timeout=15), again.stderr
    polls = len(again.events("inbox_polled"))
    again.wait_for_event("inbox_polled", count=polls + 2, timeout=15)
    assert [d.message for d in receiver.received] == ["@bob: are you free tomorrow?", "@alice: while you were away"]
    run.stop(again)


def test_a_stale_query_id_keeps_the_daemon_alive_with_a_clear_log_line(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """X rotates UserTweets: the daemon logs which setting to override and keeps serving the stream."""
    post = web.add_post(ME, "Launching today", likes=10)
    run.rules(MY_POSTS)
    child = run.start()
    stream.wait_for(lambda f: any(f"/tweet_engagement/{post}" in live for live in f.sessions.values()), timeout=15)
    web.front_end = "none"  # x.com's web app offers no new id either
    web.stale("UserTweets")
    (error,) = child.wait_for_event("account_query_rejected", timeout=15)
    assert "account.graphql.UserTweets" in error["message"]
    stream.push_engagement(post, like_count=1500)
    assert receiver.wait_for(lambda r: len(r.received) >= 1, timeout=15), child.stderr
    assert child.running
    run.stop(child)


def test_a_recording_keeps_what_account_watching_found_and_replays_the_same_alerts(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, tmp_path: Path
) -> None:
    """record writes discoveries and inbox messages as lines; replay of the file fires the post's and the DM's alerts."""
    run.rules(MY_POSTS + ANY_DM)
    recording = tmp_path / "recording.jsonl"
    child = NotifierProcess(
        ["rules.yaml", "-o", str(recording), "-v"], env=run.env, cwd=run.folder, command="record"
    )
    run.children.append(child)
    child.wait_for_event("inbox_seeded", timeout=15)
    post = web.add_post(ME, "Launching today", likes=10)
    stream.wait_for(lambda f: any(f"/tweet_engagement/{post}" in live for live in f.sessions.values()), timeout=15)
    stream.push_engagement(post, like_count=1200)
    web.add_user("8", "bob", "Bob")
    web.add_message(f"8-{ME}", "8", "congrats on the launch")
    child.wait_for_event("inbox_polled", count=len(child.events("inbox_polled")) + 2, timeout=15)
    child.send_signal(signal.SIGTERM)
    assert child.wait() == 0, child.stderr

    replay = NotifierProcess(
        ["rules.yaml", str(recording), "--format", "json"], env=run.env, cwd=run.folder, command="replay",
        json_logs=False,
    )
    run.children.append(replay)
    assert replay.wait() == 0, replay.stderr
    alerts = [json.loads(line) for line in replay.stdout.splitlines()]
    assert [(a["rule"], a["title"]) for a in alerts] == [
        ("My posts", "Launching today passed 1,000 likes"), ("Any new DM", "New DM"),
    ]
    assert alerts[1]["message"] == "@bob: congrats on the launch"
