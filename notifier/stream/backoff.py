"""When to try the stream again after it failed.

The policy mirrors X's web client: one second after a connection that had
received its config (the server was fine, the line was not), otherwise
doubling up to a minute, each delay multiplied by a random factor so that
many clients dropped together do not come back together.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Protocol

from ..backoff import backoff_delay

__all__ = ["Backoff", "BackoffPolicy", "parse_retry_after"]

# Longest Retry-After honoured: a day-long pause would look like a hang.
_MAX_RETRY_AFTER = 3600.0


class BackoffPolicy(Protocol):
    """Anything that maps a failure count to a delay in seconds."""

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` failed attempts in a row.

        ``failures`` is 0 for the first attempt after a connection that had
        received its config, and grows by one with each attempt that did not.
        """
        ...


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff: ``min(initial × 2**failures, maximum) × jitter``.

    ``jitter`` is the range of the random factor; ``(1.0, 1.0)`` turns it off.
    ``rng`` is injectable so tests can fix the draw.
    """

    initial: float = 1.0
    maximum: float = 60.0
    jitter: tuple[float, float] = (0.5, 1.5)
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        low, high = self.jitter
        if self.initial < 0 or self.maximum < self.initial or not 0 <= low <= high:
            raise ValueError(
                "Backoff needs 0 <= initial <= maximum and a jitter range (low, high) "
                f"with 0 <= low <= high; got initial={self.initial}, "
                f"maximum={self.maximum}, jitter={self.jitter}"
            )

    def delay(self, failures: int) -> float:
        low, high = self.jitter
        # low + (high - low) × draw is exactly what rng.uniform(low, high) computes.
        return backoff_delay(
            failures, initial=self.initial, maximum=self.maximum,
            jitter_from=low, jitter_span=high - low, draw=self.rng.random(),
        )


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date).

    ``None`` when the header is absent or unreadable; never negative; capped
    at an hour.
    """
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        seconds = float(text)
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return min(max(seconds, 0.0), _MAX_RETRY_AFTER)
