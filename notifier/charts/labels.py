"""The words on a chart: counts ("12.3k") and times ("6 h ago")."""

from __future__ import annotations

__all__ = ["ago", "count_text"]


def count_text(value: float) -> str:
    """A count short enough for an axis: 950, 12,345, 123k, 4.5M."""
    number = round(value)
    size = abs(number)
    if size < 100_000:
        return f"{number:,}"
    if size < 1_000_000:
        return f"{number / 1000:.0f}k"
    return f"{number / 1_000_000:.1f}M"


def ago(seconds: float, *, suffix: bool = True) -> str:
    """How long ago, rounded to what an axis needs: "now", "45 min ago", "6 h ago", "2 d ago"."""
    if seconds < 5:
        return "now" if suffix else "moment"
    minutes = seconds / 60
    if seconds < 90:
        text = f"{seconds:.0f} s"
    elif minutes < 90:
        text = f"{minutes:.0f} min"
    elif minutes < 36 * 60:
        hours = round(minutes / 60, 0 if minutes >= 600 else 1)
        text = f"{hours:g} h"
    else:
        text = f"{round(minutes / 1440, 1):g} d"
    return f"{text} ago" if suffix else text
