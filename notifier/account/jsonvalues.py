"""Reading X's JSON without trusting its shape: each helper looks before it reads.

Shared by the timeline and inbox parsers, which must never raise whatever
X sends.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["count", "dict_at", "path", "snowflake", "snowflake_time"]

# Snowflake ids carry their creation time: milliseconds since this epoch, shifted by 22 bits.
_TWITTER_EPOCH_MS = 1288834974657

_DIGITS = re.compile(r"[0-9]{1,30}")
# Ids are 64-bit snowflakes; anything much longer is not an id (and str() of
# a huge int can even raise).
_MAX_ID = 10**30


def path(value: Any, *keys: str) -> Any:
    """``value[k1][k2]…``, or None as soon as a step is not a JSON object."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def dict_at(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def snowflake(value: Any) -> str | None:
    """An id as a string of digits; X sends strings, older answers ints."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < _MAX_ID:
        return str(value)
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return value
    return None


def count(value: Any) -> int | None:
    """A non-negative count, sent as an int or (views, DM times) as a string of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    return None


def snowflake_time(snowflake_id: str) -> float:
    """The creation time (epoch seconds, to the millisecond) a snowflake id carries."""
    return ((int(snowflake_id) >> 22) + _TWITTER_EPOCH_MS) / 1000
