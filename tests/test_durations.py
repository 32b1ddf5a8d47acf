"""One parser and one formatter for every duration notifier reads or writes."""

from __future__ import annotations

import pytest

from notifier.durations import format_duration, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [("0s", 0.0), ("10m", 600.0), ("1h30m", 5400.0), ("250ms", 0.25)])
def test_zero_is_allowed_only_when_asked(text: str, seconds: float) -> None:
    """Rule files may say 0s (no cooldown); flags may not."""
    assert parse_duration(text, zero=True) == pytest.approx(seconds)
    if seconds == 0:
        with pytest.raises(ValueError, match="such as 30s"):
            parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "short", "words"),
    [
        (0.4, "0.4 s", "0.4 seconds"),
        (2, "2 s", "2 seconds"),
        (2.5, "2.5 s", "2 seconds"),
        (45, "45 s", "45 seconds"),
        (600, "10 min", "10 minutes"),
        (5400, "90 min", "1 hour 30 minutes"),
        (7500, "2 h 5 min", "2 hours 5 minutes"),
        (86400 * 3 + 3600 * 4, "3 d 4 h", "3 days 4 hours"),
    ],
)
def test_format_duration_short_and_in_words(seconds: float, short: str, words: str) -> None:
    """The short form is for logs and labels, the long one for alert texts."""
    assert format_duration(seconds) == short
    assert format_duration(seconds, words=True) == words
