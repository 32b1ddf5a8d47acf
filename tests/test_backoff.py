"""The one backoff formula that stream reconnects and delivery retries share."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from notifier.backoff import backoff_delay
from notifier.delivery import retry_delay
from notifier.stream import Backoff


def test_doubles_from_initial_up_to_maximum():
    """Without jitter: initial, doubling, capped; negative counts are the first wait; no overflow."""
    plain = [backoff_delay(n, initial=1.0, maximum=60.0) for n in range(-1, 9)]
    assert plain == [1, 1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert backoff_delay(10**9, initial=1.0, maximum=60.0) == 60


@given(doublings=st.integers(0, 200), draw=st.floats(0, 1, exclude_max=True))
def test_jitter_scales_between_its_bounds(doublings, draw):
    """The factor runs from jitter_from towards jitter_from + jitter_span as the draw grows."""
    base = backoff_delay(doublings, initial=1.0, maximum=300.0)
    delay = backoff_delay(doublings, initial=1.0, maximum=300.0, jitter_from=1.0, jitter_span=-0.2, draw=draw)
    assert 0.8 * base <= delay <= base


@given(count=st.integers(0, 100), seed=st.integers())
def test_stream_and_delivery_use_it(count, seed):
    """Backoff and retry_delay are the shared formula with their own parameters and draws."""
    draw = random.Random(seed).random()
    stream = Backoff(rng=random.Random(seed)).delay(count)
    assert stream == backoff_delay(count, initial=1.0, maximum=60.0, jitter_from=0.5, jitter_span=1.0, draw=draw)
    delivery = retry_delay(count + 1, rand=random.Random(seed))
    assert delivery == backoff_delay(count, initial=1.0, maximum=300.0, jitter_span=-0.2, draw=draw)
