"""Quiet hours end to end: held through a SIGKILL and a restart, one digest when the window ends; dry runs."""

from __future__ import annotations

import json
import math
import textwrap
import time
from pathlib import Path

import pytest

from notifier.run.config import Config
from notifier.run.daemon import EXIT_OK, Daemon
from notifier.times import format_time
from tests.fakes.live_pipeline import FakeLivePipeline
from tests.fakes.receiver import Receiver

from .conftest import CONVERSATION, PARTNER, TWEET, StartNotifier, WriteRules
from .test_run import THRESHOLD_AND_MILESTONES, cross_1000, stop, subscribed

TWEET_TOPIC = f"/tweet_engagement/{TWEET}"

RULES = THRESHOLD_AND_MILESTONES


def clock_text(ts: float) -> str:
    """HH:MM:SS of an epoch in UTC: quiet windows with second precision keep this test short."""
    return time.strftime("%H:%M:%S", time.gmtime(ts))


def quiet_target(url: str, start: float, end: float) -> dict[str, str]:
    return {"url": url, "quiet": f"{clock_text(start)}-{clock_text(end)}", "tz": "UTC"}


def test_quiet_hours_digest_survives_a_sigkill_and_goes_out_when_the_window_ends(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """Alerts inside the quiet window wait in the outbox through a SIGKILL; the next run sends one digest
    with all of them when the window ends, and nothing else."""
    now = time.time()
    # First run: quiet for the next hour, so the alerts are certainly held.
    rules = write_rules(RULES, {"hook": quiet_target(receiver.json_url(), now - 60, now + 3600)})
    first = start_notifier(str(rules), "--state", "state.db")
    subscribed(fake, TWEET_TOPIC)
    cross_1000(fake)
    fake.push_engagement(TWEET, like_count=2500)
    held = first.wait_for_event("held", count=3)
    assert {entry["target"] for entry in held} == {"hook"}
    assert receiver.received == []
    first.kill()  # SIGKILL: no drain, no goodbye

    # The window now ends a few seconds from now; the second run must hold, then send, at that moment.
    ends = math.floor(time.time()) + 3
    write_rules(RULES, {"hook": quiet_target(receiver.json_url(), now - 60, ends)})
    second = start_notifier(str(rules), "--state", "state.db")
    assert receiver.wait_for(lambda r: len(r.received) == 1, timeout=20), second.stderr
    (digest,) = receiver.received
    assert digest.at >= ends
    assert digest.title == "3 alerts during quiet hours"
    lines = digest.message.splitlines()
    assert lines[0] == "**Every thousand** (2)" and "Every 2000" in lines[1] and "Every 1000" in lines[2]
    assert lines[3] == "**Threshold** (1)" and "Threshold 1500" in lines[4]
    second.wait_for_event("delivered", target="hook")
    stop(second)
    assert len(receiver.received) == 1  # no alert repeated by the restart, none sent on its own
    assert not second.events("alert")  # the engine's state survived the SIGKILL too


def test_urgent_rule_reaches_a_quiet_target_at_once(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """urgent: true in the rule file goes through quiet hours; the rule beside it waits."""
    now = time.time()
    rules = write_rules(
        RULES.replace('  title: "Threshold {likes}"', '  title: "Threshold {likes}"\n  urgent: true'),
        {"hook": quiet_target(receiver.json_url(), now - 60, now + 3600)},
    )
    child = start_notifier(str(rules), "--state", "state.db")
    subscribed(fake, TWEET_TOPIC)
    cross_1000(fake)
    assert receiver.wait_for(lambda r: len(r.received) == 1), child.stderr
    assert receiver.titles == ["Threshold 1500"]
    child.wait_for_event("held", rule="Every thousand")
    stop(child)
    assert receiver.titles == ["Threshold 1500"]


def test_group_wait_sends_one_alert_for_a_burst_of_messages(
    fake: FakeLivePipeline, receiver: Receiver, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """Three DMs within group_wait: one '3 new messages from user …' alert over a real socket."""
    rules = write_rules(f"""
- name: DMs
  dms: ["{CONVERSATION}"]
  on: message
  group_wait: 1s
""", {"hook": receiver.json_url()})
    child = start_notifier(str(rules), "--state", "state.db")
    subscribed(fake, f"/dm_update/{CONVERSATION}")
    for _ in range(3):
        fake.push_dm(CONVERSATION, PARTNER)
    child.wait_for_event("alert", count=3)
    assert receiver.wait_for(lambda r: len(r.received) == 1, timeout=10), child.stderr
    assert receiver.titles == [f"3 new messages from user {PARTNER}"]
    child.wait_for_event("grouped")
    stop(child)
    assert len(receiver.received) == 1


# --------------------------------------------------------------- dry runs

NIGHT = 1717279200.0  # 2024-06-01 22:00:00 UTC


def recording(path: Path, *likes_at: tuple[float, int]) -> Path:
    lines = [
        json.dumps({"ts": ts, "topic": TWEET_TOPIC, "payload": {"tweet_engagement": {"like_count": str(likes)}}})
        for ts, likes in likes_at
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def night_rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(f"""\
version: 1
targets:
  screen: console://
  phone: {{url: console://, quiet: "23:00-07:00", tz: UTC}}
defaults:
  notify: [screen, phone]
rules:
{textwrap.indent(textwrap.dedent(RULES).strip(), "  ")}
""")
    return path


async def test_dry_run_of_a_recording_defers_and_digests_on_the_recordings_clock(
    tmp_path: Path, night_rules: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """--replay --dry-run: the quiet target's night alerts print as one digest at 07:00 of the recording;
    the target without a policy prints each at once."""
    events = recording(
        tmp_path / "night.jsonl",
        (NIGHT, 10), (NIGHT + 3600, 1500), (NIGHT + 5 * 3600, 2500), (NIGHT + 10 * 3600, 2600),
    )
    config = Config(rules=night_rules, state=tmp_path / "state.db", replay=events, dry_run=True, watch_interval=0)
    daemon = Daemon(config, env={}, install_signals=False)
    assert await daemon.run() == EXIT_OK
    out = capsys.readouterr().out
    heads = [line[1:].split("] ", 1) for line in out.splitlines() if line.startswith("[")]
    stamps = [stamp for stamp, _ in heads]
    titles = [rest for _, rest in heads]
    # console:// shows the recording's time, in this machine's zone.
    expected = [format_time(ts) for ts in (NIGHT + 3600, NIGHT + 3600, NIGHT + 5 * 3600, NIGHT + 9 * 3600)]
    assert stamps == expected
    assert titles == ["Threshold 1500", "Every 1000", "Every 2000", "[phone] 3 alerts during quiet hours"]
    assert out.endswith("  phone: 3 alerts held by quiet hours, sent as 1 digest\n")
    assert not (tmp_path / "state.db").exists()
