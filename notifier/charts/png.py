"""A post's counts as a small PNG (600×200), drawn with Pillow alone; several posts as one grid.

The triggering count is the line, the threshold or milestone a horizontal
rule, the surge window a shaded band; the y axis carries the lowest, middle
and highest count, the x axis how long ago ("6 h ago" … "now"), which reads
the same in every time zone. :func:`draw_grid` puts several posts' charts
side by side in one picture (small multiples, two to a row, each titled
with its post), for a digest sent as one notification.

:func:`frame` is where values land: :func:`draw` and the tests share it, so
a test can check that the rule line and the curve sit on the rows the data
says. Pillow is imported here and nowhere above the delivery edge.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from PIL import Image, ImageDraw, ImageFont

from ..alert import Chart
from .labels import ago, count_text

__all__ = ["COLUMNS", "CURVE", "HEIGHT", "PLOT", "RULE", "WIDTH", "WINDOW", "Frame", "draw", "draw_grid", "frame"]

WIDTH: Final = 600
HEIGHT: Final = 200
# The plot area (left, top, right, bottom), inclusive: room for the labels around it.
PLOT: Final = (58, 24, WIDTH - 14, HEIGHT - 24)

BACKGROUND: Final = (255, 255, 255)
GRID: Final = (234, 234, 234)
AXIS: Final = (160, 160, 160)
TEXT: Final = (70, 70, 70)
CURVE: Final = (29, 99, 197)
RULE: Final = (204, 51, 43)
WINDOW: Final = (255, 232, 196)

_PALETTE: Final = (BACKGROUND, GRID, AXIS, TEXT, CURVE, RULE, WINDOW)
# Charts per row of a grid: two 600-pixel tiles still read on a phone held sideways.
COLUMNS: Final = 2

# Headroom above and below the data, as a share of its range: the curve never
# touches the frame, and a rule line just above the data stays visible.
_PAD: Final = 0.08


@dataclass(frozen=True, slots=True)
class Frame:
    """Where a time and a count land in the picture (pixel columns and rows)."""

    t0: float
    t1: float
    low: float
    high: float

    def x(self, t: float) -> int:
        left, _, right, _ = PLOT
        return left + round((t - self.t0) / (self.t1 - self.t0) * (right - left))

    def y(self, value: float) -> int:
        _, top, _, bottom = PLOT
        return bottom - round((value - self.low) / (self.high - self.low) * (bottom - top))


def frame(chart: Chart) -> Frame:
    """The time and count ranges of ``chart``: every sample and the rule line, with headroom.

    A single sample gets a minute before it; a flat series a range of ±1
    around its value, so that neither divides by zero.
    """
    times = [t for t, _ in chart.samples] or [0.0]
    values = [v for _, v in chart.samples] or [0.0]
    if chart.line is not None:
        values.append(chart.line)
    t0, t1 = min(times), max(times)
    if chart.window is not None:
        t0 = min(t0, chart.window[0])
    if t1 - t0 < 60:
        t0 = t1 - 60
    low, high = min(values), max(values)
    if high - low < 1:
        low, high = low - 1, high + 1
    pad = (high - low) * _PAD
    return Frame(t0, t1, low - pad if low - pad >= 0 or low < 0 else 0.0, high + pad)


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's own font, scalable where Pillow was built with FreeType (the wheels are).
    return ImageFont.load_default(size=size)


def draw(chart: Chart) -> bytes:
    """The PNG of ``chart``."""
    return _png(_render(chart))


def draw_grid(charts: Sequence[Chart]) -> bytes:
    """One PNG of several posts' charts: tiles of 600×200, :data:`COLUMNS` to a row, each named by its post."""
    if len(charts) == 1:
        return draw(charts[0])
    rows = math.ceil(len(charts) / COLUMNS)
    image = _canvas(WIDTH * min(COLUMNS, len(charts)), HEIGHT * rows)
    for index, chart in enumerate(charts):
        row, column = divmod(index, COLUMNS)
        image.paste(_render(chart, post=True), (column * WIDTH, row * HEIGHT))
    return _png(image)


def _canvas(width: int, height: int) -> Image.Image:
    # A palette image: the chart has a handful of colours, and a PNG of one byte per
    # pixel encodes several times faster (and smaller) than one of three.
    image = Image.new("P", (width, height), 0)
    image.putpalette([channel for colour in _PALETTE for channel in colour])
    return image


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # compress_level 6 is zlib's default: most of the size of 9 at a third of the time.
    image.save(out, "PNG", compress_level=6)
    return out.getvalue()


def _render(chart: Chart, *, post: bool = False, cached: bool = True) -> Image.Image:
    """``chart`` as a 600×200 image; ``post`` names the post in the title (a tile of a grid).

    ``cached=False`` draws every label and dash through Pillow's own calls (the tests' plain path).
    """
    image = _canvas(WIDTH, HEIGHT)
    pen = ImageDraw.Draw(image)
    where = frame(chart)
    left, top, right, bottom = PLOT
    text = functools.partial(_text, pen, cached=cached)

    if chart.window is not None:
        start = max(left, where.x(chart.window[0]))
        end = min(right, where.x(chart.window[1]))
        if end > start:
            pen.rectangle((start, top, end, bottom), fill=WINDOW)
            # Inside a wide band; left of a narrow one (a 10-minute window on a day's chart).
            if end - start >= 80:
                text((start + 3, top + 2), "surge window", TEXT, 11)
            else:
                text((start - 3, top + 2), "surge window", TEXT, 11, "ra")

    for value in _ticks(where):
        row = where.y(value)
        pen.line((left, row, right, row), fill=GRID)
        text((left - 6, row), count_text(value), TEXT, 11, "rm")
    pen.line((left, top, left, bottom), fill=AXIS)
    pen.line((left, bottom, right, bottom), fill=AXIS)
    span = where.t1 - where.t0
    for share, anchor in ((0.0, "lt"), (0.5, "mt"), (1.0, "rt")):
        t = where.t0 + span * share
        text((where.x(t), bottom + 5), ago(where.t1 - t), TEXT, 11, anchor)

    if chart.line is not None:
        row = where.y(chart.line)
        _dashed(pen, left, right, row, cached=cached)
        label = chart.line_label or count_text(chart.line)
        text((right - 2, row - 3), label, RULE, 11, "rb")

    points = _columns(where, chart.samples)
    if len(points) == 1:
        x, y = points[0]
        pen.ellipse((x - 3, y - 3, x + 3, y + 3), fill=CURVE)
    elif points:
        pen.line(points, fill=CURVE, width=2)

    # A post id is digits; anything else in a key is not drawn (it came from the outbox, not from X).
    whose = f" of post {chart.key[-19:]}" if post and chart.key.isdigit() else ""
    text((left, 5), f"{chart.field}{whose} over the last {ago(span, suffix=False)}", TEXT, 13)
    return image


def _ticks(where: Frame) -> Sequence[float]:
    """Round counts for the y labels: two to five multiples of 1, 2 or 5 × 10^n in the range."""
    low, high = where.low, where.high
    raw = (high - low) / 3
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(step, 1.0)  # counts are whole: no label between two of them
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high:
        ticks.append(value)
        value += step
    return ticks


def _columns(where: Frame, samples: Sequence[tuple[float, float]]) -> list[tuple[int, int]]:
    """The curve's points, at most two per pixel column (where it enters and where it
    leaves): a day of minutes draws as fast as an hour, and looks the same."""
    left, top, right, bottom = PLOT
    # Frame.x and Frame.y, unrolled: this loop runs once per sample.
    t0, sx = where.t0, (right - left) / (where.t1 - where.t0)
    low, sy = where.low, (bottom - top) / (where.high - where.low)
    kept: list[tuple[int, int]] = []
    column = entered = None
    for t, value in samples:
        point = (left + round((t - t0) * sx), bottom - round((value - low) * sy))
        if point[0] == column and entered:
            kept[-1] = point
            continue
        entered = point[0] == column
        column = point[0]
        kept.append(point)
    return kept


def _dashed(pen: ImageDraw.ImageDraw, left: int, right: int, row: int, *, cached: bool = True) -> None:
    if cached:
        # The very pixels of the dashes below, in one call instead of 60 (0.1 ms a chart).
        dashes = range(left, right, 9)
        pen.point([(x, row) for start in dashes for x in range(start, min(start + 5, right) + 1)], fill=RULE)
        return
    for start in range(left, right, 9):
        pen.line((start, row, min(start + 5, right), row), fill=RULE, width=1)


def _text(
    pen: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, fill: tuple[int, int, int], size: int,
    anchor: str | None = None, *, cached: bool = True,
) -> None:
    """``pen.text`` in Pillow's scalable font of ``size``, each label's rendered mask kept for the next chart.

    Rendering glyphs was a third of drawing a chart, and a post's charts repeat
    their labels ("6 h ago", "now", the axis counts): the mask of each (text,
    size, anchor) is rendered once and pasted as Pillow's own text() pastes it
    (0.3 ms a chart). Only one line of text at whole pixels; anything else Pillow draws.
    """
    font = _font(size)
    if not cached or "\n" in text or not isinstance(font, ImageFont.FreeTypeFont):
        pen.text(xy, text, fill=fill, font=font, anchor=anchor)
        return
    # A palette image of _PALETTE: a colour's ink is its index there.
    ink = _PALETTE.index(fill)
    mask, (dx, dy) = _mask(size, text, anchor or "la", pen.fontmode, ink)
    pen.draw.draw_bitmap((xy[0] + dx, xy[1] + dy), mask, ink)


@functools.lru_cache(maxsize=512)
def _mask(size: int, text: str, anchor: str, mode: str, ink: int) -> tuple[Any, tuple[int, int]]:
    # The call ImageDraw.text makes for one line at whole-pixel coordinates (Pillow 10 to 13).
    return _font(size).getmask2(text, mode, None, None, None, 0, anchor, ink, (0.0, 0.0), stroke_filled=True)
