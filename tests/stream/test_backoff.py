"""Reconnect delays: the web client's policy, and Retry-After."""

import random
from email.utils import formatdate

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifier.stream import Backoff
from notifier.stream.backoff import parse_retry_after
from notifier.stream.session import refresh_interval


def test_doubles_up_to_a_minute():
    """Without jitter: 1 s after a configured connection, then doubling, capped at 60 s."""
    backoff = Backoff(jitter=(1.0, 1.0))
    assert [backoff.delay(n) for n in range(9)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert backoff.delay(10_000) == 60


@given(failures=st.integers(min_value=0, max_value=100), seed=st.integers())
def test_jitter_stays_in_range(failures, seed):
    """Every delay is the capped base times a factor in [0.5, 1.5]."""
    backoff = Backoff(rng=random.Random(seed))
    base = min(2**failures, 60)
    assert 0.5 * base <= backoff.delay(failures) <= 1.5 * base


def test_jitter_varies():
    """Jitter actually spreads delays, so clients dropped together do not return together."""
    backoff = Backoff(rng=random.Random(1))
    assert len({round(backoff.delay(3), 6) for _ in range(20)}) > 10


def test_bad_parameters():
    """Nonsense parameters are refused with what is allowed."""
    with pytest.raises(ValueError, match="initial <= maximum"):
        Backoff(initial=10, maximum=1)
    with pytest.raises(ValueError, match="jitter"):
        Backoff(jitter=(1.5, 0.5))


def test_retry_after_seconds_and_date():
    """Retry-After is read as seconds or as an HTTP date; junk or absence gives None."""
    assert parse_retry_after("7") == 7
    assert parse_retry_after(" 120 ") == 120
    assert parse_retry_after(formatdate(1_000_030, usegmt=True), now=1_000_000) == pytest.approx(30)
    assert parse_retry_after(formatdate(999_000, usegmt=True), now=1_000_000) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("999999") == 3600


def test_refresh_interval():
    """Refresh every ttl - 20 s, but at least every half TTL for short TTLs."""
    assert refresh_interval(120_000) == 100
    assert refresh_interval(30_000) == 15
    assert refresh_interval(3_000) == 1.5
