"""Quiet windows and budgets on a fake clock: midnight, DST changes, sliding windows."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.delivery.policy import (
    Budget,
    PolicyError,
    QuietWindow,
    TargetPolicy,
    parse_budget,
    parse_quiet,
    zone,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def at(tz: ZoneInfo | timezone, *fields: int, fold: int = 0) -> float:
    """The epoch of a wall-clock time in ``tz`` (the fake clock's reading)."""
    return datetime(*fields, tzinfo=tz, fold=fold).timestamp()


def utc(*fields: int) -> float:
    return datetime(*fields, tzinfo=timezone.utc).timestamp()


def quiet(window: str, tz: str | None = "UTC") -> TargetPolicy:
    return TargetPolicy(quiet=parse_quiet(window), tz=tz)


# ------------------------------------------------------------------ parsing


def test_parse_quiet_reads_windows_crossing_midnight_and_not():
    """HH:MM-HH:MM (or HH:MM:SS) becomes seconds of the day; end before start crosses midnight; 24:00 is midnight."""
    night = parse_quiet("22:00-07:00")
    assert (night.start, night.end, night.crosses_midnight) == (22 * 3600, 7 * 3600, True)
    lunch = parse_quiet(" 9:30 - 17:00 ")
    assert (lunch.start, lunch.end, lunch.crosses_midnight) == (9 * 3600 + 1800, 17 * 3600, False)
    assert parse_quiet("22:00-24:00").end == 0
    assert str(night) == "22:00-07:00"
    precise = parse_quiet("21:59:30-07:00:15")
    assert (precise.start, precise.end, str(precise)) == (79170, 25215, "21:59:30-07:00:15")


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("10pm-7am", "quiet '10pm-7am' is not a time window"),
        ("25:00-07:00", "quiet '25:00-07:00': 25:00 is not a time of day"),
        ("22:00-07:60", "quiet '22:00-07:60': 07:60 is not a time of day"),
        ("22:00-07:00:61", "quiet '22:00-07:00:61': 07:00:61 is not a time of day"),
        ("22:00-24:00:01", "quiet '22:00-24:00:01': 24:00:01 is not a time of day"),
        ("07:00-07:00", "quiet '07:00-07:00' starts when it ends, so it is empty"),
        (1320, "quiet '1320' is not a time window"),
    ],
)
def test_parse_quiet_says_what_is_wrong_and_how_to_write_it(text, what):
    """A bad window is a PolicyError naming the text, with an example of a good one."""
    with pytest.raises(PolicyError) as caught:
        parse_quiet(text)
    assert caught.value.what == what
    assert "22:00-07:00" in caught.value.fix


def test_parse_budget_reads_counts_per_period():
    """N/h, N/m, N/d and N/30m are budgets over that sliding period; they print back the same."""
    assert parse_budget("5/h") == Budget(5, 3600.0)
    assert parse_budget("10 / m") == Budget(10, 60.0)
    assert parse_budget("100/d") == Budget(100, 86400.0)
    assert parse_budget("3/30m") == Budget(3, 1800.0)
    assert [str(parse_budget(text)) for text in ("5/h", "10/m", "3/30m")] == ["5/h", "10/m", "3/30m"]


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("5 per hour", "budget '5 per hour' is not a rate"),
        (5, "budget 5 has no period"),
        ("0/h", "budget '0/h' lets nothing through"),
        ("5/0m", "budget '5/0m' has an empty period"),
    ],
)
def test_parse_budget_says_what_is_wrong(text, what):
    """A bad budget is a PolicyError naming it, with a fix."""
    with pytest.raises(PolicyError) as caught:
        parse_budget(text)
    assert caught.value.what == what
    assert "/h" in caught.value.fix


def test_unknown_zone_suggests_the_closest_name():
    """A misspelt zone is refused with the likely intended name; a policy cannot hold it."""
    with pytest.raises(PolicyError) as caught:
        zone("Europe/Berln")
    assert caught.value.what == "unknown time zone 'Europe/Berln'"
    assert "Europe/Berlin" in caught.value.fix
    with pytest.raises(PolicyError):
        TargetPolicy(quiet=parse_quiet("22:00-07:00"), tz="Mars/Olympus")


# --------------------------------------------------------------- quiet hours


def test_window_crossing_midnight_is_quiet_from_start_to_end():
    """22:00-07:00: quiet from 22:00 inclusive to 07:00 exclusive, across midnight."""
    policy = quiet("22:00-07:00")
    assert not policy.in_quiet(utc(2024, 6, 1, 21, 59, 59))
    assert policy.in_quiet(utc(2024, 6, 1, 22, 0))
    assert policy.in_quiet(utc(2024, 6, 2, 0, 0))
    assert policy.in_quiet(utc(2024, 6, 2, 6, 59, 59))
    assert not policy.in_quiet(utc(2024, 6, 2, 7, 0))
    assert not policy.in_quiet(utc(2024, 6, 2, 12, 0))


def test_quiet_ends_next_morning_from_the_evening_and_this_morning_after_midnight():
    """The end is tomorrow 07:00 before midnight, today 07:00 after it; outside the window it is now."""
    policy = quiet("22:00-07:00")
    assert policy.quiet_ends(utc(2024, 6, 1, 23, 30)) == utc(2024, 6, 2, 7, 0)
    assert policy.quiet_ends(utc(2024, 6, 2, 3, 15)) == utc(2024, 6, 2, 7, 0)
    noon = utc(2024, 6, 2, 12, 0)
    assert policy.quiet_ends(noon) == noon


def test_window_within_one_day():
    """13:00-14:00 is quiet only over lunch and ends at 14:00 the same day."""
    policy = quiet("13:00-14:00")
    assert not policy.in_quiet(utc(2024, 6, 1, 12, 59))
    assert policy.in_quiet(utc(2024, 6, 1, 13, 30))
    assert policy.quiet_ends(utc(2024, 6, 1, 13, 30)) == utc(2024, 6, 1, 14, 0)
    assert not policy.in_quiet(utc(2024, 6, 1, 23, 0))


def test_window_is_read_on_the_targets_wall_clock():
    """quiet 22:00-07:00 in Berlin (UTC+2 in June) starts at 20:00 UTC."""
    policy = quiet("22:00-07:00", "Europe/Berlin")
    assert not policy.in_quiet(utc(2024, 6, 1, 19, 59))
    assert policy.in_quiet(utc(2024, 6, 1, 20, 0))
    assert policy.quiet_ends(utc(2024, 6, 1, 20, 0)) == utc(2024, 6, 2, 5, 0)


def test_spring_forward_night_is_an_hour_shorter_and_still_ends_at_seven():
    """Berlin, 31 March 2024: 22:00 CET to 07:00 CEST is 8 hours, not 9."""
    policy = quiet("22:00-07:00", "Europe/Berlin")
    start = at(BERLIN, 2024, 3, 30, 22, 0)
    end = policy.quiet_ends(start)
    assert end == at(BERLIN, 2024, 3, 31, 7, 0) == utc(2024, 3, 31, 5, 0)
    assert end - start == 8 * 3600
    # Asked after the change, the answer is the same moment.
    assert policy.quiet_ends(at(BERLIN, 2024, 3, 31, 4, 0)) == end
    assert not policy.in_quiet(end) and policy.in_quiet(end - 1)


def test_fall_back_night_is_an_hour_longer_and_still_ends_at_seven():
    """Berlin, 27 October 2024: 22:00 CEST to 07:00 CET is 10 hours."""
    policy = quiet("22:00-07:00", "Europe/Berlin")
    start = at(BERLIN, 2024, 10, 26, 22, 0)
    end = policy.quiet_ends(start)
    assert end == utc(2024, 10, 27, 6, 0)
    assert end - start == 10 * 3600


def test_window_ending_inside_the_skipped_hour_ends_when_the_clock_jumps():
    """22:00-02:30 on the night 02:00 becomes 03:00: the window ends at the jump (01:00 UTC)."""
    policy = quiet("22:00-02:30", "Europe/Berlin")
    end = policy.quiet_ends(at(BERLIN, 2024, 3, 30, 23, 0))
    assert end == utc(2024, 3, 31, 1, 0)
    assert policy.in_quiet(end - 1) and not policy.in_quiet(end)


def test_window_ending_inside_the_repeated_hour_ends_each_time_the_clock_shows_it():
    """22:00-02:30 when 02:00-03:00 happens twice: quiet until the first 02:30, then again until the second."""
    policy = quiet("22:00-02:30", "Europe/Berlin")
    first = policy.quiet_ends(at(BERLIN, 2024, 10, 26, 23, 0))
    assert first == at(BERLIN, 2024, 10, 27, 2, 30, fold=0) == utc(2024, 10, 27, 0, 30)
    assert not policy.in_quiet(first)
    # 02:10 the second time round (CET) is inside the window by the wall clock again.
    again = at(BERLIN, 2024, 10, 27, 2, 10, fold=1)
    assert policy.in_quiet(again)
    assert policy.quiet_ends(again) == utc(2024, 10, 27, 1, 30)


def test_new_york_spring_forward():
    """America/New_York, 10 March 2024: 23:00-06:30 ends at 06:30 EDT (10:30 UTC)."""
    policy = quiet("23:00-06:30", "America/New_York")
    assert policy.quiet_ends(at(NEW_YORK, 2024, 3, 9, 23, 30)) == utc(2024, 3, 10, 10, 30)


_ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago"]


@settings(max_examples=300, deadline=None)
@given(
    start=st.integers(0, 24 * 60 - 1),
    end=st.integers(0, 24 * 60 - 1),
    tz=st.sampled_from(_ZONES),
    now=st.floats(utc(2023, 1, 1), utc(2026, 1, 1)),
    fraction=st.floats(0, 1, exclude_max=True),
)
def test_quiet_ends_is_the_first_moment_outside_the_window(start, end, tz, now, fraction):
    """For any window, zone and moment: the end is later, not quiet, and everything before it is."""
    if start == end:
        return
    policy = TargetPolicy(quiet=QuietWindow(start * 60, end * 60), tz=tz)
    ends = policy.quiet_ends(now)
    if not policy.in_quiet(now):
        assert ends == now
        return
    assert now < ends <= now + 25 * 3600
    assert not policy.in_quiet(ends)
    # A millisecond short of the end, so float rounding cannot land on the end itself.
    assert policy.in_quiet(now + (ends - now - 0.001) * fraction)


# -------------------------------------------------------------------- budget


def test_budget_counts_sends_in_a_sliding_window():
    """3/h: three sends fill it; it frees when the oldest is an hour old, not at the top of the hour."""
    budget = Budget(3, 3600.0)
    sent = [1000.0, 1010.0, 1020.0]
    assert budget.left(sent[:2], 1030.0) == 1
    assert budget.left(sent, 1030.0) == 0
    assert budget.frees_at(sent, 1030.0) == 4600.0
    assert budget.left(sent, 4600.0) == 1  # the first send ages out exactly then
    assert budget.left(sent, 4599.9) == 0
    assert budget.frees_at(sent, 5000.0) == 5000.0


def test_budget_frees_when_enough_old_sends_have_aged_out():
    """With more sends than the budget in the window, it frees when only count - 1 remain."""
    budget = Budget(3, 3600.0)
    sent = [40.0, 0.0, 30.0, 10.0, 20.0]  # any order
    frees = budget.frees_at(sent, 50.0)
    assert frees == 3620.0
    assert budget.left(sent, frees) == 1 and budget.left(sent, frees - 0.1) == 0


def test_describe_names_the_window_zone_and_budget():
    """describe() is what check and logs show."""
    policy = TargetPolicy(quiet=parse_quiet("22:00-07:00"), tz="Europe/Berlin", budget=parse_budget("5/h"))
    assert policy.describe() == "quiet 22:00-07:00 Europe/Berlin, budget 5/h"
    assert TargetPolicy(quiet=parse_quiet("22:00-07:00")).describe() == "quiet 22:00-07:00 local time"
