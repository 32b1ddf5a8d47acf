"""The daemon's --replay and `notifier replay` agree; 'already met at start' is logged whenever it happens."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from notifier.alert import Alert
from notifier.run.config import Config
from notifier.run.daemon import EXIT_OK, Daemon
from notifier.run.pipeline import Step
from notifier.rules.expect import compare, load_expected
from notifier.stream.events import Payload

from .conftest import TWEET
from .inprocess import THRESHOLD, TOPIC, console_rules, engagement

ROOT = Path(__file__).resolve().parents[2]

RULES = console_rules(THRESHOLD + f"""\
  - name: Reposts
    tweets: ["{TWEET}"]
    when: retweets > 5
""")


class Recorder(Daemon):
    """A daemon that keeps the alerts its pipeline handed to delivery."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fired: list[Alert] = []

    async def startup(self) -> int:
        code = await super().startup()
        if code == EXIT_OK:
            pipeline = self.parts.pipeline
            handle = pipeline.handle

            def keep(topic: str, payload: Payload, now: float, **options: Any) -> Step:
                step = handle(topic, payload, now, **options)
                self.fired += step.alerts
                return step

            pipeline.handle = keep  # type: ignore[method-assign]
        return code

    def handle(self, topic: str, payload: Payload, now: float) -> list[Alert]:
        """One event through the daemon's pipeline, as the source would feed it."""
        return self.parts.pipeline.handle(topic, payload, now).alerts

    def settled(self, topic: str) -> bool:
        return self.parts.pipeline.settled(topic)


def make(tmp_path: Path, rules: Path, replay: Path, **overrides: Any) -> Recorder:
    config = Config(rules=rules, state=tmp_path / "state.db", replay=replay, watch_interval=0, **overrides)
    # A clock far from any recorded time: a replay must never read it for an event.
    return Recorder(config, env={}, clock=lambda: 5_000_000_000.0, install_signals=False)


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    return path


async def test_daemon_replay_fires_the_golden_launch_day(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """notifier run --replay --dry-run fires exactly examples/launch-day.expected.yaml, at the same times."""
    daemon = make(tmp_path, ROOT / "rules.example.yaml", ROOT / "examples" / "launch-day.jsonl", dry_run=True)
    assert await daemon.run() == EXIT_OK
    expected = load_expected(ROOT / "examples" / "launch-day.expected.yaml")
    assert compare(expected, daemon.fired) == []


async def test_lines_without_ts_keep_the_previous_time(tmp_path: Path, rules: Path) -> None:
    """As in notifier replay: a line without ts takes the previous line's time, never the wall clock."""
    def line(likes: int, ts: float | None) -> str:
        message: dict[str, Any] = {"topic": TOPIC, "payload": {"tweet_engagement": {"like_count": str(likes)}}}
        if ts is not None:
            message["ts"] = ts
        return json.dumps(message)

    recording = tmp_path / "events.jsonl"
    recording.write_text("\n".join([line(10, None), line(1500, None), line(10, 1000.5), line(2000, None)]) + "\n")
    daemon = make(tmp_path, rules, recording)
    assert await daemon.run() == EXIT_OK
    assert [(alert.rule, alert.ts) for alert in daemon.fired] == [("Threshold", 0.0), ("Threshold", 1000.5)]


@pytest.fixture
async def started(tmp_path: Path, rules: Path) -> AsyncIterator[Recorder]:
    """A daemon past startup() on an empty recording, fed by hand; shut down afterwards."""
    recording = tmp_path / "empty.jsonl"
    recording.write_text("")
    daemon = make(tmp_path, rules, recording)
    assert await daemon.startup() == EXIT_OK
    try:
        yield daemon
    finally:
        await daemon.shutdown()


async def test_rule_met_on_a_later_event_is_logged(started: Recorder, caplog: pytest.LogCaptureFixture) -> None:
    """A rule whose field the first message did not carry logs 'already met' when the field comes."""
    daemon = started
    with caplog.at_level(logging.INFO, logger="notifier.run.pipeline"):
        assert daemon.handle(TOPIC, engagement(like_count=5000), 1.0) == []
        assert not daemon.settled(TOPIC)  # Reposts has not seen a value yet
        assert daemon.handle(TOPIC, engagement(retweet_count=10), 2.0) == []
        assert daemon.settled(TOPIC)  # every rule has state: no more explaining
    met = [r.getMessage() for r in caplog.records if getattr(r, "event", None) == "initial_met"]
    assert len(met) == 2 and "Threshold" in met[0] and "Reposts" in met[1]


async def test_rule_added_by_reload_logs_already_met(
    started: Recorder, rules: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """After a reload adds a rule that already holds, its first observation logs 'already met'."""
    daemon = started
    daemon.handle(TOPIC, engagement(like_count=5000, retweet_count=1), 1.0)
    assert daemon.settled(TOPIC)
    rules.write_text(RULES + f'  - name: Big\n    tweets: ["{TWEET}"]\n    when: likes > 2000\n')
    assert await daemon.parts.reloader.reload()
    caplog.clear()  # only what the event after the reload logs
    with caplog.at_level(logging.INFO, logger="notifier.run.pipeline"):
        assert daemon.handle(TOPIC, engagement(like_count=5001), 2.0) == []
    met = [r.getMessage() for r in caplog.records if getattr(r, "event", None) == "initial_met"]
    assert len(met) == 1 and "Big" in met[0]
