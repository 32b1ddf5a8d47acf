"""The Daemon in-process: startup errors, at-least-once ordering, health, topic changes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from notifier.run.config import Config
from notifier.run.daemon import EXIT_OK, EXIT_USAGE, Daemon
from notifier.exceptions import DeliveryError
from notifier.run.pipeline import payload_kind
from notifier.state import StateStore
from notifier.stream.events import DMUpdateEvent, Payload

from .inprocess import THRESHOLD, TOPIC, console_rules, engagement

RULES = console_rules(THRESHOLD, cookies="missing-cookies.json")


def likes(count: int) -> Payload:
    return engagement(like_count=count)


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    return path


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    return path


def make(rules: Path, tmp_path: Path, clock: list[float] | None = None, **overrides: Any) -> Daemon:
    config = Config(rules=rules, state=tmp_path / "state.db", watch_interval=0, **overrides)
    ticks = clock if clock is not None else [1000.0]
    return Daemon(config, env={}, clock=lambda: ticks[0], install_signals=False)


async def test_missing_cookies_is_a_usage_error(rules: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A live run without any cookies exits 2 naming what is missing, before connecting."""
    daemon = make(rules, tmp_path)
    assert await daemon.run() == EXIT_USAGE
    assert "auth_token" in caplog.text and daemon.parts is None


async def test_missing_recording_is_a_usage_error(rules: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """--replay of a file that does not exist exits 2 and says what file is expected."""
    daemon = make(rules, tmp_path, replay=tmp_path / "nope.jsonl")
    assert await daemon.run() == EXIT_USAGE
    assert "notifier record" in caplog.text


async def test_unloadable_rules_are_a_usage_error(tmp_path: Path, recording: Path) -> None:
    """A missing rule file exits 2."""
    daemon = make(tmp_path / "absent.yaml", tmp_path, replay=recording)
    assert await daemon.run() == EXIT_USAGE


def _broken_outbox(alerts: Iterable[Any], state: Any = None) -> None:
    """An outbox that cannot be written (a full disk)."""
    raise DeliveryError("cannot write the outbox database: disk I/O error")


async def test_state_is_not_saved_when_alerts_could_not_be_enqueued(
    rules: Path, tmp_path: Path, recording: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alerts and state in one commit: if the outbox write fails the alert fires again after restart."""
    first = make(rules, tmp_path, replay=recording)
    assert await first.startup() == EXIT_OK
    handle = first.parts.pipeline.handle
    handle(TOPIC, likes(10), 1000.0)
    with monkeypatch.context() as patch:
        patch.setattr(first.parts.deliverer, "enqueue", _broken_outbox)
        with pytest.raises(DeliveryError):
            handle(TOPIC, likes(1500), 1001.0)
    await first.shutdown()

    second = make(rules, tmp_path, replay=recording)
    assert await second.startup() == EXIT_OK
    try:
        alerts = second.parts.pipeline.handle(TOPIC, likes(1500), 1002.0).alerts
    finally:
        await second.shutdown()
    assert [alert.rule for alert in alerts] == ["Threshold"]


async def test_state_is_saved_after_each_event(rules: Path, tmp_path: Path, recording: Path) -> None:
    """Each event that changed rule state is in SQLite as soon as it was handled."""
    daemon = make(rules, tmp_path, replay=recording)
    assert await daemon.startup() == EXIT_OK
    try:
        handle = daemon.parts.pipeline.handle
        handle(TOPIC, likes(10), 1000.0)
        assert handle(TOPIC, likes(1500), 1001.0).alerts
        with StateStore(tmp_path / "state.db") as store:
            saved = store.load()
        assert saved == daemon.parts.engine.state.entries()
        assert any(value.get("likes") == 1500 for value in saved.values())
    finally:
        await daemon.shutdown()


async def test_rule_met_at_start_is_logged_not_announced(
    rules: Path, tmp_path: Path, recording: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A threshold already true at the first observation logs 'already met' and fires nothing."""
    daemon = make(rules, tmp_path, replay=recording)
    assert await daemon.startup() == EXIT_OK
    try:
        with caplog.at_level(logging.INFO, logger="notifier.run.pipeline"):
            assert daemon.parts.pipeline.handle(TOPIC, likes(5000), 1000.0).alerts == []
    finally:
        await daemon.shutdown()
    met = [record for record in caplog.records if getattr(record, "event", None) == "initial_met"]
    assert len(met) == 1 and "Threshold" in met[0].getMessage()


def test_payload_kind_names_the_event() -> None:
    """Events are counted under the name of the payload field they came in."""
    assert payload_kind(likes(1)) == "tweet_engagement"
    assert payload_kind(Payload(dm_update=DMUpdateEvent("1-2", "2"))) == "dm_update"
    assert payload_kind(Payload()) == "empty"


async def test_health_says_stopping_and_not_open(rules: Path, tmp_path: Path) -> None:
    """Unhealthy before the stream is open and once a stop was asked for."""
    daemon = make(rules, tmp_path)
    assert not daemon.health().ok  # nothing open yet
    daemon.stop("test")
    assert not daemon.health().ok and "stopping" in daemon.health().reason


async def test_shutdown_cancels_again_a_task_that_swallowed_its_cancel(rules: Path, tmp_path: Path) -> None:
    """A task that drops its first cancel (asyncio.wait_for in Python 3.11 can) does not hold the stop for ever."""
    daemon = make(rules, tmp_path)

    async def stubborn() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass  # swallowed, as a cancel racing an inner future's completion is
        await asyncio.sleep(3600)

    daemon._spawn(stubborn(), "stubborn")
    await asyncio.sleep(0)
    async with asyncio.timeout(15):
        await daemon.shutdown()
    assert not daemon._tasks
