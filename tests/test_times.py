"""Times as notifier prints them: every one with its zone, in one format."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from notifier.logs import JSONFormatter, TextFormatter
from notifier.times import format_time, iso_utc, local_zone

# 2025-06-03 13:12:03.574 UTC: summer time in Berlin.
TS = datetime(2025, 6, 3, 13, 12, 3, 574000, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("UTC", "2025-06-03 13:12:03 UTC"),
        ("Europe/Berlin", "2025-06-03 15:12:03 CEST"),
        ("America/New_York", "2025-06-03 09:12:03 EDT"),
        ("America/Sao_Paulo", "2025-06-03 10:12:03 -03:00"),  # its abbreviation is "-03"
        ("Etc/GMT-14", "2025-06-04 03:12:03 +14:00"),
        ("Asia/Kathmandu", "2025-06-03 18:57:03 +05:45"),
    ],
)
def test_a_time_always_names_its_zone(zone: str, shown: str) -> None:
    """A zone's letters where it has them, else its offset: never a bare wall-clock time."""
    assert format_time(TS, ZoneInfo(zone)) == shown


def test_the_day_and_the_seconds_can_be_left_out() -> None:
    """date=False and seconds=False shorten the time, never the zone."""
    berlin = ZoneInfo("Europe/Berlin")
    assert format_time(TS, berlin, date=False) == "15:12:03 CEST"
    assert format_time(TS, berlin, date=False, seconds=False) == "15:12 CEST"
    assert format_time(TS, UTC, seconds=False) == "2025-06-03 13:12 UTC"


def test_without_a_zone_the_machines_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """TZ names the machine's zone, and a time without a zone given is shown in it."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    local_zone.cache_clear()
    try:
        assert format_time(TS) == "2025-06-03 15:12:03 CEST"
    finally:
        monkeypatch.undo()
        local_zone.cache_clear()


def test_times_for_programs_are_utc_with_a_z() -> None:
    """JSON gets ISO 8601 in UTC with a Z, to the millisecond or to the second."""
    assert iso_utc(TS) == "2025-06-03T13:12:03.574Z"
    assert iso_utc(TS, millis=False) == "2025-06-03T13:12:03Z"


def test_log_lines_carry_the_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A text log line's time names its zone; a JSON one is UTC with a Z."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    local_zone.cache_clear()
    try:
        record = logging.LogRecord("notifier", logging.INFO, __file__, 1, "replaying %s", ("x.jsonl",), None)
        record.created = TS
        assert TextFormatter().format(record) == "2025-06-03 15:12:03 CEST INFO replaying x.jsonl"
        assert '"ts": "2025-06-03T13:12:03.574Z"' in JSONFormatter().format(record)
    finally:
        monkeypatch.undo()
        local_zone.cache_clear()
