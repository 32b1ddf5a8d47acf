"""The Daemon in-process: startup errors, at-least-once ordering, health, topic changes."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from notifier.config import Config
from notifier.daemon import EXIT_OK, EXIT_USAGE, Daemon, payload_kind
from notifier.exceptions import DeliveryError, StreamError
from notifier.state import StateStore
from notifier.stream.events import DMUpdateEvent, Payload
from notifier.stream.session import StreamStats

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
    assert "auth_token" in caplog.text and daemon.client is None


async def test_missing_recording_is_a_usage_error(rules: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """--replay of a file that does not exist exits 2 and says what file is expected."""
    daemon = make(rules, tmp_path, replay=tmp_path / "nope.jsonl")
    assert await daemon.run() == EXIT_USAGE
    assert "notifier record" in caplog.text


async def test_unloadable_rules_are_a_usage_error(tmp_path: Path, recording: Path) -> None:
    """A missing rule file exits 2."""
    daemon = make(tmp_path / "absent.yaml", tmp_path, replay=recording)
    assert await daemon.run() == EXIT_USAGE


class _BrokenOutbox:
    """A deliverer whose outbox cannot be written (a full disk)."""

    def enqueue(self, alerts: Iterable[Any]) -> None:
        raise DeliveryError("cannot write the outbox database: disk I/O error")


async def test_state_is_not_saved_when_alerts_could_not_be_enqueued(
    rules: Path, tmp_path: Path, recording: Path
) -> None:
    """Alerts first, state second: if the outbox write fails the alert fires again after restart."""
    first = make(rules, tmp_path, replay=recording)
    assert await first.startup() == EXIT_OK
    first.handle(TOPIC, likes(10), 1000.0)
    working, first.deliverer = first.deliverer, _BrokenOutbox()
    with pytest.raises(DeliveryError):
        first.handle(TOPIC, likes(1500), 1001.0)
    first.deliverer = working
    await first.shutdown()

    second = make(rules, tmp_path, replay=recording)
    assert await second.startup() == EXIT_OK
    try:
        alerts = second.handle(TOPIC, likes(1500), 1002.0)
    finally:
        await second.shutdown()
    assert [alert.rule for alert in alerts] == ["Threshold"]


async def test_state_is_saved_after_each_event(rules: Path, tmp_path: Path, recording: Path) -> None:
    """Each event that changed rule state is in SQLite as soon as it was handled."""
    daemon = make(rules, tmp_path, replay=recording)
    assert await daemon.startup() == EXIT_OK
    try:
        daemon.handle(TOPIC, likes(10), 1000.0)
        assert daemon.handle(TOPIC, likes(1500), 1001.0)
        with StateStore(tmp_path / "state.db") as store:
            saved = store.load()
        assert saved == daemon.engine.state.entries()
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
        with caplog.at_level(logging.INFO, logger="notifier.daemon"):
            assert daemon.handle(TOPIC, likes(5000), 1000.0) == []
    finally:
        await daemon.shutdown()
    met = [record for record in caplog.records if getattr(record, "event", None) == "initial_met"]
    assert len(met) == 1 and "Threshold" in met[0].getMessage()


def test_payload_kind_names_the_event() -> None:
    """Events are counted under the name of the payload field they came in."""
    assert payload_kind(likes(1)) == "tweet_engagement"
    assert payload_kind(Payload(dm_update=DMUpdateEvent("1-2", "2"))) == "dm_update"
    assert payload_kind(Payload()) == "empty"


class _Session:
    """Stands in for a StreamingSession: topics, stats, update and close."""

    def __init__(self, topics: Iterable[str], fail_updates: bool = False) -> None:
        self.topics = set(topics)
        self.stats = StreamStats(connected=True)
        self.updates: list[tuple[list[str] | None, list[str] | None]] = []
        self.closed = False
        self._fail = fail_updates

    async def update_subscriptions(self, subscribe=None, unsubscribe=None) -> Payload:
        self.updates.append((subscribe, unsubscribe))
        if self._fail:
            raise StreamError("the update failed twice")
        self.topics.difference_update(unsubscribe or ())
        self.topics.update(subscribe or ())
        return Payload()

    def __aiter__(self):
        return self

    async def __anext__(self):
        raise StopAsyncIteration

    async def aclose(self) -> None:
        self.closed = True


class _Client:
    def __init__(self) -> None:
        self.opened: list[_Session] = []

    async def get_streaming_session(self, topics: Iterable[str], auto_reconnect: bool = True) -> _Session:
        session = _Session(topics)
        self.opened.append(session)
        return session


async def _with_session(daemon: Daemon, topics: set[str], *, fail_updates: bool = False) -> _Session:
    daemon.client = _Client()
    daemon.session = _Session(topics, fail_updates)
    return daemon.session


async def test_tweet_topic_changes_update_the_running_session(rules: Path, tmp_path: Path) -> None:
    """Added and removed tweets go through update_subscriptions; no new session."""
    daemon = make(rules, tmp_path)
    session = await _with_session(daemon, {"/tweet_engagement/1", "/dm_update/1-2"})
    await daemon._apply_topics({"/tweet_engagement/2", "/dm_update/1-2"})
    assert session.updates == [(["/tweet_engagement/2"], ["/tweet_engagement/1"])]
    assert daemon.client.opened == [] and daemon.session is session


async def test_dm_topic_change_opens_a_new_session(rules: Path, tmp_path: Path) -> None:
    """A different DM topic set replaces the session and closes the old one."""
    daemon = make(rules, tmp_path)
    old = await _with_session(daemon, {"/tweet_engagement/1"})
    await daemon._apply_topics({"/tweet_engagement/1", "/dm_typing/1-2"})
    (new,) = daemon.client.opened
    assert new.topics == {"/tweet_engagement/1", "/dm_typing/1-2"}
    assert daemon.session is new and old.closed and old.updates == []
    await daemon.shutdown()


async def test_failed_update_falls_back_to_a_new_session(rules: Path, tmp_path: Path) -> None:
    """If the subscription update fails, a new session with the full topic set is opened."""
    daemon = make(rules, tmp_path)
    old = await _with_session(daemon, {"/tweet_engagement/1"}, fail_updates=True)
    await daemon._apply_topics({"/tweet_engagement/1", "/tweet_engagement/2"})
    (new,) = daemon.client.opened
    assert new.topics == {"/tweet_engagement/1", "/tweet_engagement/2"} and old.closed
    await daemon.shutdown()


async def test_health_follows_the_stream(rules: Path, tmp_path: Path) -> None:
    """Healthy while connected or within the backoff; unhealthy when overdue, closed or stopping."""
    clock = [1000.0]
    daemon = make(rules, tmp_path, clock)
    assert not daemon.health().ok  # nothing open yet

    daemon._opening_since = 990.0
    assert daemon.health().ok  # the first connect is being retried
    clock[0] = 990.0 + 121
    assert not daemon.health().ok
    daemon._opening_since = None

    session = await _with_session(daemon, {"/tweet_engagement/1"})
    assert daemon.health().ok
    session.stats.connected = False
    session.stats.retry_at = clock[0] + 30
    assert daemon.health().ok and "reconnecting" in daemon.health().reason
    session.stats.retry_at = clock[0] - 60
    assert not daemon.health().ok
    session.stats.connected = True
    daemon.stop("test")
    assert not daemon.health().ok
