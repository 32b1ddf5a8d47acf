"""A post's counts as one line of text, for services that take no attachment.

``likes ▁▁▂▃▅▇█ 1,120 → 2,002 over 3 h``: the series is cut into equal
stretches of time, each shown by the last count it holds (the one before it
where it holds none), scaled from the lowest to the highest count.
"""

from __future__ import annotations

from typing import Final

from ..alert import Chart
from .labels import ago

__all__ = ["BARS", "sparkline"]

BARS: Final = "▁▂▃▄▅▆▇█"
# Wide enough to show a surge's shape, short enough for a phone's line.
WIDTH: Final = 24


def sparkline(chart: Chart, width: int = WIDTH) -> str:
    """The one-line summary of ``chart``; a single sample or a flat series is a flat line."""
    samples = chart.samples
    if not samples:
        return f"{chart.field} (no history yet)"
    t0, t1 = samples[0][0], samples[-1][0]
    first, last = samples[0][1], samples[-1][1]
    if len(samples) == 1 or t1 <= t0:
        return f"{chart.field} {BARS[0] * width} {last:,.0f}"
    step = (t1 - t0) / width
    cells: list[float] = []
    index = 0
    value = first
    for cell in range(width):
        end = t0 + step * (cell + 1)
        while index < len(samples) and samples[index][0] <= end + 1e-9:
            value = samples[index][1]
            index += 1
        cells.append(value)
    low, high = min(cells), max(cells)
    top = len(BARS) - 1
    if high - low <= 0:
        bars = BARS[0] * width
    else:
        bars = "".join(BARS[round((value - low) / (high - low) * top)] for value in cells)
    return f"{chart.field} {bars} {first:,.0f} → {last:,.0f} over {ago(t1 - t0, suffix=False)}"
