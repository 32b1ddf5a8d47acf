"""Charts decoded with Pillow: size, weight, time, and the rule line and curve where the data says."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from notifier.alert import Chart
from notifier.charts.png import CURVE, HEIGHT, PLOT, RULE, WIDTH, WINDOW, draw, frame
from notifier.rules.history import MAX_POINTS

T0 = 1_767_000_000.0


def _decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image.convert("RGB")


def _surge() -> Chart:
    # Flat at 1,000 likes for 5 hours, then up to 2,400 in the last hour.
    samples = [(T0 + minute * 60, 1000.0) for minute in range(0, 300, 5)]
    samples += [(T0 + minute * 60, 1000.0 + (minute - 300) * 1400 / 60) for minute in range(300, 361)]
    return Chart("1", "likes", tuple(samples), line=2000.0, line_label="2,000 likes",
                 window=(T0 + 300 * 60, T0 + 360 * 60))


def _rows_of(image: Image.Image, column: int, colour: tuple[int, int, int]) -> list[int]:
    return [row for row in range(HEIGHT) if image.getpixel((column, row)) == colour]


def test_png_is_600_by_200_and_small() -> None:
    """A chart is a 600×200 PNG under 40 KB."""
    png = draw(_surge())
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) < 40_000
    assert _decode(png).size == (WIDTH, HEIGHT) == (600, 200)


def test_rule_line_is_on_the_row_of_the_threshold() -> None:
    """The threshold's dashed line lies on the row its value maps to, between the data's extremes."""
    chart = _surge()
    image = _decode(draw(chart))
    left, top, _, bottom = PLOT
    low, high = frame(chart).low, frame(chart).high
    # Independently of the drawing code: rows run top (high) to bottom (low), linearly.
    expected = bottom - round((2000 - low) / (high - low) * (bottom - top))
    dashes = [x for x in range(left + 1, left + 60) if image.getpixel((x, expected)) == RULE]
    assert len(dashes) >= 20, f"no dashed rule line on row {expected}"
    assert not any(image.getpixel((x, expected - 3)) == RULE for x in range(left + 1, left + 60))


def test_curve_passes_through_each_sample() -> None:
    """The curve is drawn on the rows of the counts: low and flat at first, at the top at the end."""
    chart = _surge()
    image = _decode(draw(chart))
    left, top, right, bottom = PLOT
    where = frame(chart)
    flat_row = bottom - round((1000 - where.low) / (where.high - where.low) * (bottom - top))
    rows = _rows_of(image, left + 20, CURVE)
    assert rows and min(abs(row - flat_row) for row in rows) <= 1
    end_row = bottom - round((2400 - where.low) / (where.high - where.low) * (bottom - top))
    rows = _rows_of(image, right - 1, CURVE)
    assert rows and min(abs(row - end_row) for row in rows) <= 2
    assert end_row < flat_row  # more likes, higher up


def test_surge_window_is_shaded_only_inside_it() -> None:
    """The surge window's band covers its last hour and nothing before."""
    chart = _surge()
    image = _decode(draw(chart))
    where = frame(chart)
    row = PLOT[3] - 3
    assert image.getpixel((where.x(T0 + 330 * 60), row)) == WINDOW
    assert image.getpixel((where.x(T0 + 200 * 60), row)) != WINDOW


@pytest.mark.parametrize(
    "samples",
    [((T0, 5.0),), tuple((T0 + i * 60, 7.0) for i in range(30)), ()],
    ids=["one-sample", "flat", "empty"],
)
def test_degenerate_series_draw(samples: tuple) -> None:
    """A single sample, a flat series and no samples at all still draw a full-size chart."""
    image = _decode(draw(Chart("1", "likes", samples, line=10.0)))
    assert image.size == (WIDTH, HEIGHT)
    if samples:
        assert any(image.getpixel((x, y)) == CURVE for x in range(WIDTH) for y in range(HEIGHT))


def test_draws_in_under_30_ms() -> None:
    """A chart of as many samples as an alert carries draws in under 30 ms (best of ten)."""
    samples = tuple((T0 + i * 288, 1000.0 + i * 3) for i in range(MAX_POINTS))
    chart = Chart("1", "views", samples, line=5000.0, window=(T0 + 1380 * 60, T0 + 1440 * 60))
    best = float("inf")
    for _ in range(10):
        start = time.perf_counter()
        draw(chart)
        best = min(best, time.perf_counter() - start)
    assert best < 0.030


def test_kept_label_masks_and_one_call_dashes_draw_the_same_bytes_as_pillows_own_calls() -> None:
    """The chart drawn with cached label masks and one-call dashes is byte for byte Pillow's text() and line() chart."""
    from notifier.charts import png

    charts = [
        _surge(),
        Chart("1850000000000000000", "views", ((T0, 5.0),), line=7.0),  # one sample, label from the count
        Chart("2", "reposts", ((T0, 10.0), (T0 + 600, 10.0)), window=(T0 + 590, T0 + 600)),  # narrow window
        Chart("3", "likes", tuple((T0 + i * 60, 1e6 + i * 9_000.0) for i in range(1440)), line=2e7,
              line_label="20M likes"),
    ]
    for _ in range(2):  # cold, then with every mask kept
        for chart in charts:
            for post in (False, True):
                cached = png._png(png._render(chart, post=post))
                assert cached == png._png(png._render(chart, post=post, cached=False))
