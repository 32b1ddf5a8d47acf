"""The control commands read from text: mute for a while, until a time, one rule; unmute; status; the rest ignored."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from notifier.control.commands import Ignored, MuteFor, Status, Unmute, next_time_of_day, parse

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 6, 3, 23, 30, tzinfo=BERLIN).timestamp()
RULES = ["Likes", "New DM"]


def read(text: str):
    return parse(text, now=NOW, zone=BERLIN, rules=RULES)


def test_the_commands_the_buttons_and_the_command_line_send():
    """mute 1h, mute until 07:00 (tomorrow morning), mute rule NAME 1d, unmute, status."""
    assert read("mute 1h") == MuteFor(NOW + 3600)
    assert read("  MUTE   30m ") == MuteFor(NOW + 1800)
    assert read("mute until 07:00") == MuteFor(datetime(2025, 6, 4, 7, 0, tzinfo=BERLIN).timestamp())
    assert read("mute rule new dm 1d") == MuteFor(NOW + 86400, "New DM")
    assert read('mute rule "Likes" until 7:15') == MuteFor(datetime(2025, 6, 4, 7, 15, tzinfo=BERLIN).timestamp(),
                                                          "Likes")
    assert read("unmute") == Unmute()
    assert read("unmute rule likes") == Unmute("Likes")
    assert read("status") == Status()


@pytest.mark.parametrize("text", [
    "", "hello", "mute", "mute forever", "mute 1h please", "mute until noon", "mute until 25:00",
    "mute 90d", "mute rule Nobody 1d", "mute rule Likes", "status now", "rm -rf /", "unmute everything",
    "mute " + "1" * 300, "\x1b[31mmute 1h",
])
def test_anything_else_is_ignored_with_a_reason(text: str):
    """Garbage, unknown rules, too long a mute or message: Ignored, never a command."""
    result = read(text)
    assert isinstance(result, Ignored), result
    assert result.reason


def test_a_time_of_day_on_a_night_the_clocks_change():
    """02:30 on the spring-forward night does not exist: the mute ends when the clock jumps (03:00 CEST)."""
    before = datetime(2025, 3, 30, 1, 0, tzinfo=BERLIN).timestamp()
    from datetime import time
    assert next_time_of_day(before, time(2, 30), BERLIN) == datetime(2025, 3, 30, 3, 0, tzinfo=BERLIN).timestamp()
