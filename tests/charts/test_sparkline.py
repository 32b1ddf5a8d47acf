"""The one-line sparkline for services without attachments."""

from __future__ import annotations

from notifier.alert import Chart
from notifier.charts.sparkline import BARS, sparkline


def test_rising_series_climbs_from_lowest_to_highest_bar() -> None:
    """A steady rise starts at the lowest bar, ends at the highest, and names both counts."""
    samples = tuple((i * 60.0, 1000.0 + i * 10) for i in range(121))
    line = sparkline(Chart("1", "likes", samples))
    bars = line.split()[1]
    assert bars[0] == BARS[0] and bars[-1] == BARS[-1]
    assert list(bars) == sorted(bars)
    assert line.endswith("1,000 → 2,200 over 2 h")
    assert "\n" not in line


def test_flat_and_single_sample_series() -> None:
    """A flat series and a single sample are a flat line, without error."""
    flat = sparkline(Chart("1", "likes", tuple((i * 60.0, 5.0) for i in range(10))))
    assert set(flat.split()[1]) == {BARS[0]}
    assert sparkline(Chart("1", "likes", ((0.0, 5.0),))) == f"likes {BARS[0] * 24} 5"
