"""Exponential backoff with jitter: the one formula behind every wait before a retry.

Both the stream's reconnects (:class:`notifier.stream.Backoff`) and the outbox's
delivery retries (:func:`notifier.delivery.retry_delay`) wait
``min(initial × 2**doublings, maximum)`` seconds, scaled by a random factor so
that many clients (or targets) that failed together do not come back together.
They differ only in their parameters, which each keeps as its public defaults.

A leaf: it imports nothing from the package, and draws nothing itself: the
caller passes the uniform draw, so each keeps its own injectable randomness.
"""

from __future__ import annotations

__all__ = ["backoff_delay"]

# 2**64 times any sane initial delay is far past any cap, and still a finite float:
# a row retried for a day, or a stream down for a week, must not overflow.
_MAX_DOUBLINGS = 64


def backoff_delay(
    doublings: int,
    *,
    initial: float,
    maximum: float,
    jitter_from: float = 1.0,
    jitter_span: float = 0.0,
    draw: float = 0.0,
) -> float:
    """``min(initial × 2**doublings, maximum) × (jitter_from + jitter_span × draw)``.

    ``doublings`` below 0 count as 0. ``draw`` is uniform in [0, 1), so the
    factor lies between ``jitter_from`` and ``jitter_from + jitter_span``; a
    negative span only ever shortens the wait, so ``maximum`` is never exceeded
    when ``jitter_from`` is 1.
    """
    base = min(initial * 2.0 ** min(max(doublings, 0), _MAX_DOUBLINGS), maximum)
    return base * (jitter_from + jitter_span * draw)
