"""Policy values as people write them: the refusal offers the value in the user's own numbers."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from notifier.delivery.policyfix import suggest_zone
from notifier.exceptions import RuleFileError
from notifier.rulefile import load_rules

from .helpers import HEADER, TWEET, write_rules

RULE = f"""
    - name: A
      tweets: ["{TWEET}"]
      when: likes > 1
      notify: [phone]
"""


def problem(tmp_path, key: str, value: str) -> str:
    """The one problem of a file whose target 'phone' has ``key: value``, without the path."""
    header = HEADER.replace(
        "  phone: json://localhost/phone\n", f"  phone:\n    url: json://localhost/phone\n    {key}: {value}\n",
    )
    path = write_rules(tmp_path, RULE, header=header)
    with pytest.raises(RuleFileError) as caught:
        load_rules(path, env={})
    [found] = caught.value.problems
    assert found.startswith(f"{path}:6:"), found
    return found[len(f"{path}:"):]


@pytest.mark.parametrize(
    ("value", "fix"),
    [
        ('"11pm-7am"', 'write quiet: "23:00-07:00"'),
        ('"10:30 pm to 6:15 am"', 'write quiet: "22:30-06:15"'),
        ("22h-7h", 'write quiet: "22:00-07:00"'),
        ("2300-0630", 'write quiet: "23:00-06:30"'),
        ('"12am-12pm"', 'write quiet: "00:00-12:00"'),
    ],
)
def test_quiet_hours_in_other_notations_get_the_24_hour_form(tmp_path, value, fix):
    """quiet: "11pm-7am" is refused with the same window as HH:MM-HH:MM."""
    found = problem(tmp_path, "quiet", value)
    assert found.startswith("6:12: target 'phone': quiet '"), found
    assert f"is not a time window — {fix} " in found, found


@pytest.mark.parametrize(
    ("value", "fix"),
    [("10/day", "write budget: 10/d"), ("10 per hour", "write budget: 10/h"), ("3/30 minutes", "write budget: 3/30m"),
     ("5/week", "write budget: 5/7d"), ("20 a min", "write budget: 20/m")],
)
def test_budgets_in_words_get_the_short_form(tmp_path, value, fix):
    """budget: 10/day is refused with 10/d, the user's count and period in notifier's units."""
    found = problem(tmp_path, "budget", value)
    assert found.startswith(f"6:13: target 'phone': budget '{value}' is not a rate — {fix} "), found


@pytest.mark.parametrize(
    ("value", "fix"),
    [
        ("UTC-5", "did you mean America/New_York or Etc/GMT+5?"),
        ("GMT-5", "did you mean America/New_York or Etc/GMT+5?"),
        ("UTC-05:00", "did you mean America/New_York or Etc/GMT+5?"),
        ("UTC+2", "did you mean Europe/Athens or Etc/GMT-2?"),
        ("UTC+5:30", "did you mean Asia/Kolkata?"),
        ("UTC+0", "did you mean UTC?"),
        ("PST", "did you mean America/Los_Angeles?"),
    ],
)
def test_offsets_as_zones_get_a_city_and_the_posix_name(tmp_path, value, fix):
    """tz: UTC-5 is never taken for UTC: the refusal names a city zone and Etc/GMT+5."""
    found = problem(tmp_path, "tz", value)
    assert found.startswith(f"6:9: target 'phone': unknown time zone '{value}' — {fix}"), found


@pytest.mark.parametrize("hours", range(-12, 15))
def test_posix_names_offered_have_the_offset_written(hours):
    """Each Etc/GMT name offered is at the written offset (their sign is inverted), and exists."""
    written = f"UTC{'+' if hours >= 0 else '-'}{abs(hours)}"
    offered = suggest_zone(written)
    assert offered, written
    for name in offered:
        # A city's standard time is the smaller of its winter and summer offsets, either hemisphere.
        offsets = [datetime(2026, month, 15, 12, tzinfo=ZoneInfo(name)).utcoffset() for month in (1, 7)]
        assert min(offsets) == timedelta(hours=hours), (written, name, offsets)


@pytest.mark.parametrize(
    ("snippet", "column", "expected"),
    [
        ("cooldown: 10 minutes", 15, "cooldown '10 minutes' is not a duration — write cooldown: 10m"),
        ("cooldown: 1 hr 30 min", 15, "cooldown '1 hr 30 min' is not a duration — write cooldown: 1h30m"),
        ("cooldown: 2 weeks", 15, "cooldown '2 weeks' is not a duration — write cooldown: 14d"),
    ],
)
def test_durations_in_words_get_the_short_form(tmp_path, snippet, column, expected):
    """cooldown: 10 minutes is refused with 10m, the user's number in notifier's units."""
    path = write_rules(tmp_path, RULE + f"      {snippet}\n")
    with pytest.raises(RuleFileError) as caught:
        load_rules(path, env={})
    assert caught.value.problems == [f"{path}:12:{column}: {expected}"]


def test_a_for_flag_in_words_gets_the_short_form(capsys):
    """notifier run --for "10 minutes" is a usage error that says to write 10m."""
    from notifier.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["run", "rules.yaml", "--for", "10 minutes"])
    assert caught.value.code == 2
    assert "invalid duration '10 minutes': write 10m" in capsys.readouterr().err
