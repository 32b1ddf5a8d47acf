"""A watched post's counts over time, kept for the charts on its alerts.

One flat buffer of doubles per post, a sample being the time and the five
counts (``-1`` for a count not known yet)::

    [t0, likes, retweets, replies, quotes, views, t1, likes, ...]

saved in the engine's state as ``h:<tweet_id>`` (see :mod:`.engine_state`),
so a chart drawn after a restart still has its history.

Memory is bounded whatever the event rate: a sample at most once a
:data:`INTERVAL` (taken by an event that changed a count), none older than
:data:`SPAN`, and at most :data:`CAP` of them. A full buffer drops every
other sample of its older half, so recent hours keep their minutes while the
start of the day thins out: a few kilobytes per post, written to the state
file at most once a minute.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from typing import Final

from .model import COUNT_FIELDS

__all__ = ["CAP", "INTERVAL", "MAX_POINTS", "SPAN", "STRIDE", "add_sample", "points", "valid_history"]

INTERVAL: Final = 60.0
SPAN: Final = 86400.0
CAP: Final = 240
STRIDE: Final = 1 + len(COUNT_FIELDS)
# The most (time, count) pairs an alert's chart carries: every sample, a hold
# point before each gap and the count at the firing.
MAX_POINTS: Final = 2 * CAP + 1

_COLUMN = {name: index + 1 for index, name in enumerate(COUNT_FIELDS)}
if COUNT_FIELDS != ("likes", "retweets", "replies", "quotes", "views"):  # pragma: no cover
    raise ImportError("notifier.rules.model.COUNT_FIELDS changed; update add_sample")


def add_sample(series: array, now: float, snap: Mapping[str, object]) -> None:
    """Append the counts of ``snap`` at ``now``; drop what is older than a day; thin when full."""
    # One call, five lookups: this runs on an event at most once a minute per post.
    get = snap.get
    series.extend((now, get("likes", -1.0), get("retweets", -1.0), get("replies", -1.0),  # type: ignore[arg-type]
                   get("quotes", -1.0), get("views", -1.0)))
    horizon = now - SPAN
    if series[0] < horizon:
        drop = 0
        while drop < len(series) - STRIDE and series[drop] < horizon:
            drop += STRIDE
        del series[:drop]
    if len(series) > CAP * STRIDE:
        older = len(series) // STRIDE // 2
        kept = array("d")
        for index in range(0, older, 2):
            kept.extend(series[index * STRIDE:(index + 1) * STRIDE])
        series[: older * STRIDE] = kept


def points(series: Sequence[float], field: str, now: float, value: float | None) -> tuple[tuple[float, float], ...]:
    """``field``'s known counts as ``(time, count)`` pairs, ending with ``value`` at ``now``.

    Samples are taken when a count changes, so a count held still for a while
    is drawn flat until just before the next sample, not as a slow slope.
    """
    column = _COLUMN[field]
    pairs: list[tuple[float, float]] = []
    for start in range(0, len(series) - STRIDE + 1, STRIDE):
        count = series[start + column]
        if count < 0:
            continue
        t = series[start]
        if pairs and t - pairs[-1][0] > 2 * INTERVAL:
            pairs.append((t - INTERVAL, pairs[-1][1]))
        pairs.append((t, count))
    if value is not None and (not pairs or now > pairs[-1][0]):
        if pairs and now - pairs[-1][0] > 2 * INTERVAL:
            pairs.append((now - INTERVAL, pairs[-1][1]))
        pairs.append((now, float(value)))
    return tuple(pairs)


def valid_history(entry: Mapping) -> bool:
    """Whether a saved history has the shape :func:`add_sample` writes."""
    samples = entry.get("p")
    return (
        isinstance(samples, (list, array))
        and len(samples) % STRIDE == 0
        and all(isinstance(item, (int, float)) and not isinstance(item, bool) for item in samples)
    )
