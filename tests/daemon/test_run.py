"""`notifier run` end to end: fake stream → subprocess → real SMTP and HTTP receivers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

from tests.fakes.live_pipeline import FakeLivePipeline
from tests.fakes.receiver import Receiver
from tests.fakes.smtp import FakeSMTP

from .conftest import AUTH_TOKEN, CONVERSATION, CT0, OTHER_TWEET, PARTNER, TWEET, StartNotifier, WriteRules
from .process import NotifierProcess, wait_until

REPO = Path(__file__).resolve().parents[2]

TWEET_TOPIC = f"/tweet_engagement/{TWEET}"
MAIL_PASSWORD = "mail-pass-8c1f2e7a"
OTHER_TOPIC = f"/tweet_engagement/{OTHER_TWEET}"

THRESHOLD_AND_MILESTONES = f"""
- name: Threshold
  tweets: ["{TWEET}"]
  when: likes > 1000
  title: "Threshold {{likes}}"
- name: Every thousand
  tweets: ["{TWEET}"]
  every: {{likes: 1000}}
  title: "Every {{milestone}}"
"""


def subscribed(fake: FakeLivePipeline, *topics: str, timeout: float = 10.0) -> None:
    """Wait until one live session of the fake is subscribed to every topic."""
    fake.wait_for(lambda f: any(set(topics) <= live for live in f.sessions.values()), timeout=timeout)


def received(receiver: Receiver, count: int, timeout: float = 10.0) -> list[str | None]:
    assert receiver.wait_for(lambda r: len(r.received) >= count, timeout=timeout), receiver.titles
    return receiver.titles


def cross_1000(fake: FakeLivePipeline, *, view_count: int | None = None) -> None:
    """Likes 10, then 1,500: THRESHOLD_AND_MILESTONES fires 'Threshold 1500' and 'Every 1000'."""
    fake.push_engagement(TWEET, like_count=10)
    if view_count is None:
        fake.push_engagement(TWEET, like_count=1500)
    else:
        fake.push_engagement(TWEET, like_count=1500, view_count=view_count)


def stop(child: NotifierProcess) -> None:
    """SIGTERM, then expect a clean exit."""
    child.send_signal(signal.SIGTERM)
    assert child.wait() == 0, child.stderr


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_each_trigger_kind_reaches_a_real_receiver(
    fake: FakeLivePipeline, receiver: Receiver, smtp: FakeSMTP, write_rules: WriteRules,
    start_notifier: StartNotifier,
) -> None:
    """when, every, milestones and gain arrive over HTTP, DM and typing by mail; own DMs never alert; no secret logged."""
    rules = write_rules(
        THRESHOLD_AND_MILESTONES + f"""
- name: Reposts
  tweets: ["{TWEET}"]
  milestones: {{retweets: [100, 500]}}
  title: "Reposts {{milestone}}"
- name: Surge
  tweets: ["{TWEET}"]
  gain: {{likes: 500, within: 10m}}
  title: "Surge"
- name: New DM
  dms: ["{CONVERSATION}"]
  on: message
  notify: [mail]
  title: "DM from {{user_id}}"
- name: Typing
  dms: ["{CONVERSATION}"]
  on: typing
  notify: [mail]
  title: "Typing {{user_id}}"
""",
        {"hook": receiver.json_url(), "mail": smtp.url(to="me@example.com", user="bob", password=MAIL_PASSWORD)},
    )
    # -vv: debug lines of every library too, and still no secret.
    child = start_notifier(str(rules), "--state", "state.db", "-vv")
    subscribed(fake, TWEET_TOPIC, f"/dm_update/{CONVERSATION}", f"/dm_typing/{CONVERSATION}")

    fake.push_engagement(TWEET, like_count=10, retweet_count=5)  # first sight: state only
    fake.push_engagement(TWEET, like_count=1500, retweet_count=120)
    fake.push_dm(CONVERSATION, fake.own_user_id)  # the account's own message
    fake.push_dm(CONVERSATION, PARTNER)
    fake.push_dm(CONVERSATION, PARTNER, typing=True)

    assert sorted(received(receiver, 4)) == ["Every 1000", "Reposts 100", "Surge", "Threshold 1500"]
    assert smtp.wait_for(lambda s: len(s.mails) >= 2, timeout=10)
    assert sorted(mail.subject for mail in smtp.mails) == [f"DM from {PARTNER}", f"Typing {PARTNER}"]
    stop(child)
    # Exactly these six: nothing for the first observation or the account's own DM.
    assert len(child.events("alert")) == 6
    assert len(receiver.received) == 4 and len(smtp.mails) == 2
    output = child.stderr + child.stdout
    for secret in (AUTH_TOKEN, CT0, MAIL_PASSWORD):
        assert secret not in output


def test_restart_repeats_nothing_and_announces_a_milestone_crossed_while_down(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """State persists across restarts: no repeat of a met threshold, the milestone passed meanwhile once."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    first = start_notifier(str(rules), "--state", "state.db")
    subscribed(fake, TWEET_TOPIC)
    cross_1000(fake)
    assert sorted(received(receiver, 2)) == ["Every 1000", "Threshold 1500"]
    stop(first)

    # While notifier was down the tweet went from 1,500 to 3,200 likes.
    second = start_notifier(str(rules), "--state", "state.db")
    subscribed(fake, TWEET_TOPIC)
    fake.push_engagement(TWEET, like_count=3200)
    fake.push_engagement(TWEET, like_count=3300)
    second.wait_for_event("alert", rule="Every thousand")
    stop(second)
    assert sorted(receiver.titles) == ["Every 1000", "Every 3000", "Threshold 1500"]
    assert [entry["title"] for entry in second.events("alert")] == ["Every 3000"]


def test_alert_pending_at_a_kill_is_delivered_after_restart(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """An alert fired but not yet delivered when the process is SIGKILLed arrives after restart, once."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    first = start_notifier(str(rules), "--state", "state.db")
    subscribed(fake, TWEET_TOPIC)
    receiver.hang()
    cross_1000(fake)
    first.wait_for_event("alert", count=2)
    first.kill()
    receiver.recover()
    assert receiver.received == []

    second = start_notifier(str(rules), "--state", "state.db")
    assert sorted(received(receiver, 2)) == ["Every 1000", "Threshold 1500"]
    subscribed(fake, TWEET_TOPIC)
    fake.push_engagement(TWEET, like_count=1600)  # already announced: nothing new
    fake.push_engagement(TWEET, like_count=2000)
    second.wait_for_event("alert", rule="Every thousand")
    stop(second)
    assert sorted(receiver.titles) == ["Every 1000", "Every 2000", "Threshold 1500"]


def test_sigterm_drains_deliveries_then_exits_zero(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """SIGTERM while a delivery is under way waits for it, then exits 0."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    child = start_notifier(str(rules), "--state", "state.db")
    subscribed(fake, TWEET_TOPIC)
    receiver.slow(1.0)
    cross_1000(fake)
    child.wait_for_event("alert", count=2)
    child.send_signal(signal.SIGTERM)
    assert child.wait() == 0
    assert sorted(receiver.titles) == ["Every 1000", "Threshold 1500"]
    assert child.events("stopped") and not child.events("undrained")


def test_second_signal_exits_at_once(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """A second SIGINT during the drain exits at once instead of waiting up to 10 s."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    child = start_notifier(str(rules), "--state", "state.db")
    subscribed(fake, TWEET_TOPIC)
    receiver.hang()
    cross_1000(fake)
    child.wait_for_event("alert", count=2)
    child.send_signal(signal.SIGINT)
    child.wait_for_event("stopping")
    started = time.monotonic()
    child.send_signal(signal.SIGINT)
    assert child.wait(timeout=5) == 1
    assert time.monotonic() - started < 3
    assert child.events("exit_now")


def test_for_duration_runs_then_exits_zero(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """--for runs that long, delivers what fired, and exits 0 by itself."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    started = time.monotonic()
    child = start_notifier(str(rules), "--state", "state.db", "--for", "2s")
    subscribed(fake, TWEET_TOPIC)
    cross_1000(fake)
    assert child.wait(timeout=15) == 0
    assert time.monotonic() - started >= 2
    assert sorted(receiver.titles) == ["Every 1000", "Threshold 1500"]
    assert "--for 2 s elapsed" in child.events("stopping")[-1]["message"]


def test_dropped_and_stalled_stream_lose_and_double_nothing(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """A dropped and then a stalled stream are reopened; every alert arrives exactly once."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    child = start_notifier(str(rules), "--state", "state.db", "--metrics-port", "0")
    subscribed(fake, TWEET_TOPIC)
    cross_1000(fake)
    received(receiver, 2)

    fake.drop_connections()
    fake.wait_for(lambda f: f.connections == 2, timeout=10)
    subscribed(fake, TWEET_TOPIC)
    fake.push_engagement(TWEET, like_count=2100)
    received(receiver, 3)

    fake.stall(None)  # no byte, not even keep-alives: the watchdog must notice
    fake.wait_for(lambda f: f.connections == 3, timeout=10)
    subscribed(fake, TWEET_TOPIC)
    fake.push_engagement(TWEET, like_count=3100)
    fake.push_engagement(TWEET, like_count=3150)
    child.wait_for_event("alert", count=4)

    port = child.wait_for_event("metrics")[0]["port"]
    status, body = http_get(f"http://127.0.0.1:{port}/metrics")
    assert status == 200 and "notifier_reconnects_total 2.0" in body
    # JSON logs name each connection and interruption, so a log pipeline can count them.
    assert len(child.events("stream_connected", topics=1)) == 3
    assert len(child.events("stream_interrupted")) == 2
    stop(child)
    assert Counter(receiver.titles) == Counter(["Threshold 1500", "Every 1000", "Every 2000", "Every 3000"])


def test_sighup_reload_subscribes_an_added_tweet(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """SIGHUP rereads the rules and subscribes a newly watched tweet on the running session."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    child = start_notifier(str(rules), "--state", "state.db")
    subscribed(fake, TWEET_TOPIC)
    before = rules.stat().st_mtime_ns
    write_rules(
        THRESHOLD_AND_MILESTONES + f"""
- name: Other tweet
  tweets: ["{OTHER_TWEET}"]
  when: likes >= 100
  title: "Other {{likes}}"
""",
        {"hook": receiver.json_url()},
    )
    # Keep the old mtime: this test is about the signal, not the file watch.
    os.utime(rules, ns=(before, before))
    child.send_signal(signal.SIGHUP)
    child.wait_for_event("subscriptions_updated")
    assert [request["sub"] for request in fake.update_requests if request["sub"] == [OTHER_TOPIC]]
    subscribed(fake, TWEET_TOPIC, OTHER_TOPIC)
    assert fake.connections == 1  # no new stream for a tweet
    fake.push_engagement(OTHER_TWEET, like_count=5)
    fake.push_engagement(OTHER_TWEET, like_count=150)
    assert received(receiver, 1) == ["Other 150"]
    stop(child)


def test_rule_file_change_reloads_and_a_bad_file_keeps_the_old_rules(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """Saving the file reloads it; a file that does not load is reported and the old rules stay."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    child = start_notifier(str(rules), "--state", "state.db")
    subscribed(fake, TWEET_TOPIC)
    rules.write_text(rules.read_text() + "  - name: Broken\n    tweets: [\"1\"]\n    when: likes >>> 3\n")
    failed = child.wait_for_event("reload_failed")
    assert "rules.yaml:" in failed[0]["message"]
    cross_1000(fake)
    assert sorted(received(receiver, 2)) == ["Every 1000", "Threshold 1500"]
    stop(child)


def test_a_new_dm_topic_opens_a_new_session(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """Adding a DM conversation opens a new session with it (DM topics cannot be added live)."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    child = start_notifier(str(rules), "--state", "state.db")
    subscribed(fake, TWEET_TOPIC)
    write_rules(
        THRESHOLD_AND_MILESTONES + f"""
- name: New DM
  dms: ["{CONVERSATION}"]
  on: message
  title: "DM"
""",
        {"hook": receiver.json_url()},
    )
    child.send_signal(signal.SIGHUP)
    subscribed(fake, TWEET_TOPIC, f"/dm_update/{CONVERSATION}")
    fake.wait_for(lambda f: f.connections == 2 and len(f.sessions) == 1, timeout=10)
    fake.push_dm(CONVERSATION, PARTNER)
    assert received(receiver, 1) == ["DM"]
    stop(child)


def test_rejected_cookies_exit_3_with_a_clear_message(
    fake: FakeLivePipeline, write_rules: WriteRules, workdir: Path, start_notifier: StartNotifier,
) -> None:
    """A 401 from X ends the run with exit code 3 and tells how to fix it, showing no cookie."""
    bad = workdir / "stale-cookies.json"
    bad.write_text(json.dumps({"auth_token": "expired-token-0123456789", "ct0": fake.ct0}))
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": "json://127.0.0.1:9/"})
    child = start_notifier(str(rules), "--state", "state.db", "--cookies", str(bad))
    assert child.wait() == 3
    assert fake.connect_attempts == 1  # never retried
    assert "rejected" in child.stderr and "auth_token" in child.stderr
    assert "expired-token-0123456789" not in child.stderr + child.stdout


def test_malformed_rule_file_exits_2_before_any_connection(
    fake: FakeLivePipeline, workdir: Path, start_notifier: StartNotifier,
) -> None:
    """A rule file that does not load exits 2 with file:line:col problems, never touching the stream."""
    rules = workdir / "rules.yaml"
    rules.write_text(
        "version: 1\ntargets:\n  hook: json://127.0.0.1:9/\nrules:\n"
        "  - name: Bad\n    tweets: [\"1\"]\n    whne: likes > 10\n"
    )
    child = start_notifier(str(rules), "--state", "state.db")
    assert child.wait() == 2
    assert "rules.yaml:7:" in child.stderr
    assert fake.connect_attempts == 0


def test_healthz_and_metrics_over_http(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """/healthz is 200 while connected and while retrying; /metrics counts events, alerts, deliveries."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    child = start_notifier(str(rules), "--state", "state.db", "--metrics-port", "0")
    base = f"http://127.0.0.1:{child.wait_for_event('metrics')[0]['port']}"
    subscribed(fake, TWEET_TOPIC)
    assert wait_until(lambda: http_get(base + "/healthz") == (200, "connected\n"), what="healthy")
    cross_1000(fake)
    fake.push_raw(TWEET_TOPIC, "{not json")
    received(receiver, 2)

    def scraped() -> str | None:
        status, body = http_get(base + "/metrics")
        done = 'notifier_deliveries_total{outcome="sent",target="hook"} 2.0' in body
        return body if status == 200 and done else None

    body = wait_until(scraped, what="deliveries in /metrics")
    for line in (
        'notifier_events_total{kind="tweet_engagement"} 2.0',
        'notifier_alerts_total{rule="Threshold"} 1.0',
        'notifier_alerts_total{rule="Every thousand"} 1.0',
        "notifier_malformed_lines_total 1.0",
        "notifier_outbox_depth 0.0",
        "notifier_stream_connected 1.0",
    ):
        assert line in body
    assert "notifier_seconds_since_last_event" in body

    # The server goes away: while the client backs off, the daemon is still healthy.
    fake.fail_next(503, times=50)
    fake.drop_connections()
    status, text = wait_until(
        lambda: (lambda r: r if r[1].startswith("reconnecting") else None)(http_get(base + "/healthz")),
        what="healthz while reconnecting",
    )
    assert status == 200
    stop(child)


def test_record_then_replay_through_the_same_pipeline(
    fake: FakeLivePipeline, write_rules: WriteRules, workdir: Path, start_notifier: StartNotifier,
) -> None:
    """`notifier record` writes stream lines with ts; `run --replay --dry-run` prints their alerts."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": "json://127.0.0.1:9/"})
    recorder = start_notifier(str(rules), "--for", "3s", "-o", "events.jsonl", command="record")
    subscribed(fake, TWEET_TOPIC)
    cross_1000(fake, view_count=20000)
    assert recorder.wait(timeout=15) == 0
    lines = [json.loads(line) for line in (workdir / "events.jsonl").read_text().splitlines()]
    assert lines[0]["topic"] == "/system/config"
    assert all(isinstance(line["ts"], float) for line in lines)
    assert lines[-1]["payload"]["tweet_engagement"]["like_count"] == "1500"

    replay = start_notifier(str(rules), "--replay", "events.jsonl", "--dry-run")
    assert replay.wait() == 0
    assert "Threshold 1500" in replay.stdout and "Every 1000" in replay.stdout
    assert not (workdir / "state.db").exists()  # a dry run saves nothing


def test_readme_quickstart_prints_a_launch_day() -> None:
    """The README's first command prints a threshold, milestones, a surge and a DM alert."""
    result = subprocess.run(
        [sys.executable, "-m", "notifier", "run", "rules.example.yaml", "--replay",
         "examples/launch-day.jsonl", "--dry-run"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Launch tweet passed 1,001 likes" in out  # the threshold
    assert "Tweet passed 1,000 likes" in out and "Tweet passed 5,000 likes" in out  # milestones
    assert "Tweet gained" in out  # the surge
    assert "DM from Alice (@alice)" in out and "\n  Congrats on the launch!" in out  # a DM, as real ones read


def test_stops_cleanly_while_the_first_connection_is_retried(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """With X answering 503, the daemon backs off, reports healthy while retrying, and stops on SIGTERM."""
    fake.fail_next(503, times=1000)
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    child = start_notifier(str(rules), "--state", "state.db", "--metrics-port", "0")
    base = f"http://127.0.0.1:{child.wait_for_event('metrics')[0]['port']}"
    fake.wait_for(lambda f: f.connect_attempts >= 2, timeout=10)
    status, reason = http_get(base + "/healthz")
    assert status == 200 and reason.startswith("connecting")
    started = time.monotonic()
    stop(child)
    assert time.monotonic() - started < 5
    assert fake.connections == 0
