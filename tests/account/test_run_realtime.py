"""`notifier run` following an account in real time, end to end: the doorbell, new posts, one post under two follows.

Each test reproduces one fault of issue 20 through real sockets (fake stream,
fake X web API, a receiver) with `notifier run` as a child process.
"""

from __future__ import annotations

import json
import math
import signal
import time
from pathlib import Path

from notifier.account.watcher import MIN_SPACING
from tests.account.runs import ME, Run
from tests.daemon.process import NotifierProcess, wait_until
from tests.fakes.live_pipeline import FakeLivePipeline
from tests.fakes.receiver import Receiver
from tests.fakes.x_web import USER_UPDATES, FakeXWeb

ANY_DM = """\
  - name: Any new DM
    dms: any
    on: message
    title: "New DM"
    message: "{sender}: {text}"
"""

NEW_POSTS = """\
  - name: Past 100
    tweets: {from: me, within: 3d}
    when: likes > 100
    title: "{text}: over 100 likes"
  - name: Milestones
    tweets: {from: me, within: 3d}
    milestones: {likes: [10, 50, 100, 1000]}
    title: "{text}: {milestone:,} likes"
  - name: Every 25
    tweets: {from: me, within: 3d}
    every: {likes: 25}
    title: "{text}: every 25, at {milestone:,}"
  - name: Surge
    tweets: {from: me, within: 3d}
    gain: {likes: 50, within: 10m}
    title: "{text}: surge"
"""

# Posts are polled every 2 minutes: the DM tests show the inbox does not wait for that.
SLOW_POSTS = "  poll: 2m\n"


def inbox_reads(web: FakeXWeb) -> int:
    return sum(1 for request in web.requests if request["path"] == USER_UPDATES)


def next_second() -> None:
    """Wait for the next whole second: X dates posts in whole seconds, so one of the second the follow began is old."""
    second = math.floor(time.time())
    wait_until(lambda: time.time() >= second + 1, timeout=3)


def polled(web: FakeXWeb, times: int) -> None:
    """Wait until the timeline was read ``times`` times (each poll reads each follow once)."""
    wait_until(lambda: sum(1 for r in web.requests if r["op"] == "UserTweets" and r["status"] == 200) >= times,
               timeout=15, what=f"{times} timeline reads")


def subscribed(stream: FakeLivePipeline, topic: str) -> None:
    stream.wait_for(lambda f: any(topic in live for live in f.sessions.values()), timeout=15)


def _regular_read_after(logs: list[dict], event: str, count: int) -> bool:
    """Whether an inbox read logged after the ``count``-th ``event`` planned its next read further than a doorbell's."""
    seen = 0
    for entry in logs:
        if entry.get("event") == event:
            seen += 1
        elif seen >= count and entry.get("event") == "inbox_polled" and entry.get("next_in", 0) > 2 * MIN_SPACING:
            return True
    return False


def test_a_doorbell_reads_the_inbox_within_seconds_and_a_burst_reads_it_once_or_twice(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """A dm_update for a known conversation brings its message in about a second, not at the next poll."""
    web.add_user("7", "alice", "Alice")
    conversation = f"7-{ME}"
    web.add_message(conversation, "7", "sent before notifier ever ran")
    run.rules(ANY_DM, account=SLOW_POSTS)
    child = run.start("-v")
    child.wait_for_event("inbox_seeded", timeout=15)
    subscribed(stream, f"/dm_update/{conversation}")
    # Right after a scheduled read, the next one is many seconds away: only the doorbell can be quick.
    child.wait_for_event("inbox_polled", timeout=15)
    web.add_message(conversation, "7", "are you free tomorrow?")
    rung = stream.push_dm(conversation, "7")
    assert receiver.wait_for(lambda r: len(r.received) >= 1, timeout=5), child.stderr
    assert receiver.received[0].at - rung < 3.0
    assert [d.message for d in receiver.received] == ["@alice: are you free tomorrow?"]

    # Ten doorbells at once: one read now, at most one more a second later; not ten.
    child.wait_for_event("inbox_polled", count=len(child.events("inbox_polled")) + 1, timeout=15)
    before = inbox_reads(web)
    rung = len(child.events("inbox_rung"))
    web.add_message(conversation, "7", "hello?")
    for _ in range(10):
        stream.push_dm(conversation, "7")
    assert receiver.wait_for(lambda r: len(r.received) >= 2, timeout=5), child.stderr
    # Every doorbell heard, then a read whose next one is the inbox's own poll: no rung read can follow.
    child.wait_for_event("inbox_rung", count=rung + 10, timeout=15)
    wait_until(lambda: _regular_read_after(child.logs, "inbox_rung", rung + 10), timeout=15,
               what="a read after the burst with only the regular poll ahead")
    assert inbox_reads(web) - before <= 2
    run.stop(child)
    assert [d.message for d in receiver.received] == ["@alice: are you free tomorrow?", "@alice: hello?"]


def test_a_first_dm_from_someone_new_alerts_within_15_seconds_whatever_the_posts_poll(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """A new conversation cannot be rung: the inbox's own poll (10 s) finds it, not the posts' 2 minutes."""
    run.rules(ANY_DM, account=SLOW_POSTS)
    child = run.start("-v")
    child.wait_for_event("inbox_seeded", timeout=15)
    web.add_user("8", "bob", "Bob")
    sent = time.time()
    web.add_message(f"8-{ME}", "8", "hi, we have not met")
    assert receiver.wait_for(lambda r: len(r.received) >= 1, timeout=15), child.stderr
    assert receiver.received[0].at - sent <= 15.0
    run.stop(child)


def test_a_post_made_during_the_run_is_counted_from_zero_and_a_restart_makes_no_old_post_new(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """130 likes at first sight: over 100, the 100 milestone and the 125 step fire once each; a surge stays quiet."""
    web.add_post(ME, "Old news", likes=5000)
    run.rules(NEW_POSTS)
    child = run.start()
    polled(web, 1)
    next_second()
    post = web.add_post(ME, "Launching today", likes=130)
    assert receiver.wait_for(lambda r: len(r.received) >= 3, timeout=15), child.stderr
    subscribed(stream, f"/tweet_engagement/{post}")
    stream.push_engagement(post, like_count=140)  # no new step: nothing more
    child.wait_for_event("alert", count=3, timeout=5)
    run.stop(child)
    assert sorted(receiver.titles) == sorted([
        "Launching today: over 100 likes", "Launching today: 100 likes", "Launching today: every 25, at 125",
    ])

    # Made while notifier was stopped: after the restart it is an old post, quiet under the start-up rule.
    web.add_post(ME, "Made while away", likes=130)
    again = run.start()
    again.wait_for_event("initial_met", timeout=15)
    run.stop(again)
    assert len(receiver.received) == 3
    assert not any("counted from zero" in line["message"] for line in again.events("post_watched"))


def test_a_post_starts_and_stops_being_watched_in_the_log_with_its_first_words_only(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """The log names the post, its first words (bounded, no terminal codes), its age and the follow; and when it goes."""
    rules = "  - name: Mine\n    tweets: {from: me, max_posts: 1}\n    when: likes > 1000\n"
    run.rules(rules)
    child = run.start()
    child.wait_for_event("posts_watched", timeout=15)
    next_second()
    first = web.add_post(ME, "\x1b[31mRed alert\x1b[0m " + "word " * 100, likes=1)
    (line,) = child.wait_for_event("post_watched", timeout=15, post=first)
    assert "\x1b" not in line["message"] and "Red alert" in line["message"] and len(line["message"]) < 200
    assert line["account"] == "me" and " old), found under me" in line["message"]
    second = web.add_post(ME, "The next one", likes=1)
    child.wait_for_event("post_watched", timeout=15, post=second)
    (gone,) = child.wait_for_event("post_unwatched", timeout=15, post=first)
    assert "1 newer posts are watched" in gone["message"]
    run.stop(child)


def test_a_post_under_two_follows_gives_each_rule_its_own_start_and_both_fire_on_a_crossing(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """from: me and "@me" find the same post: 5,569 → 5,570 likes fires both rules' likes > 5569."""
    post = web.add_post(ME, "Big one", likes=5569)
    rules = (
        '  - name: Mine\n    tweets: {from: me}\n    when: likes > 5569\n    title: "mine {likes}"\n'
        '  - name: By handle\n    tweets: {from: "@me"}\n    when: likes > 5569\n    title: "handle {likes}"\n'
    )
    run.rules(rules)
    child = run.start()
    polled(web, 3)  # both follows' first discoveries are handled: the second poll has begun
    subscribed(stream, f"/tweet_engagement/{post}")
    stream.push_engagement(post, like_count=5570)
    assert receiver.wait_for(lambda r: len(r.received) >= 2, timeout=15), child.stderr
    run.stop(child)
    assert sorted(receiver.titles) == ["handle 5570", "mine 5570"]
    assert not child.events("initial_met")


def test_a_recording_replays_a_new_post_counted_from_zero_and_explains_it(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, tmp_path: Path
) -> None:
    """record keeps the new-post mark; replay and run --replay fire what run fired; --explain says "counted from zero"."""
    run.rules("  - name: Past 100\n    tweets: {from: me}\n    when: likes > 100\n    title: \"{text} over 100\"\n")
    recording = tmp_path / "recording.jsonl"
    child = NotifierProcess(["rules.yaml", "-o", str(recording), "-v"], env=run.env, cwd=run.folder, command="record")
    run.children.append(child)
    polled(web, 1)
    next_second()
    post = web.add_post(ME, "Launching today", likes=130)
    wait_until(lambda: recording.exists() and post in recording.read_text(), timeout=15, what="the post recorded")
    child.send_signal(signal.SIGTERM)
    assert child.wait() == 0, child.stderr
    assert any(json.loads(line)["payload"]["discovery"]["posts"][0].get("new") is True
               for line in recording.read_text().splitlines() if "/notifier/discovery" in line and post in line)

    def replay(*flags: str) -> NotifierProcess:
        process = NotifierProcess(["rules.yaml", str(recording), *flags], env=run.env, cwd=run.folder,
                                  command="replay", json_logs=False)
        run.children.append(process)
        assert process.wait() == 0, process.stderr
        return process

    alerts = [json.loads(line) for line in replay("--format", "json").stdout.splitlines()]
    assert [(a["rule"], a["title"]) for a in alerts] == [("Past 100", "Launching today over 100")]
    explained = replay("--explain").stdout
    assert f"post {post}" in explained and "a new post, counted from zero" in explained
    assert "Past 100: FIRED" in explained
    dry = NotifierProcess(["rules.yaml", "--replay", str(recording), "--dry-run", "--state", "replayed.db"],
                          env=run.env, cwd=run.folder, json_logs=False)
    run.children.append(dry)
    assert dry.wait() == 0, dry.stderr
    assert dry.stdout.count("Launching today over 100") == 1
