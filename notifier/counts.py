"""Counts as people write them: ``1000``, ``1_000``, ``1,000``, ``1k``, ``1.5k``, ``2M``.

One reading for every place a rule file takes a count (``every``,
``milestones``, ``gain``, ``max_posts``, a budget) and for the numbers inside a
``when:`` condition, so that ``1k`` means the same wherever it is written.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Final

__all__ = ["SCALE", "count_text", "parse_count"]

# k for thousands, m (or M) for millions; in a count, m is never minutes.
SCALE: Final = {"k": Decimal(1000), "m": Decimal(1_000_000)}
_COUNT = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+(?:_\d+)*)(\.\d+)?\s*([kKmM])?")


def parse_count(text: object) -> Decimal | None:
    """The value of ``text`` as a count (a YAML int or float, or text such as ``1.5k``); None if it is not one.

    Commas must group digits in threes (``1,00`` is not a count): no reading of it is safe.
    """
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return Decimal(str(text))
    if not isinstance(text, str):
        return None
    match = _COUNT.fullmatch(text.strip())
    if match is None:
        return None
    whole, fraction, suffix = match.groups()
    try:
        value = Decimal(whole.replace(",", "").replace("_", "") + (fraction or ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits digits only
        return None
    return value * SCALE[suffix.lower()] if suffix else value


def count_text(value: Decimal) -> str:
    """``1500`` for 1.5k: the plain number, without a trailing ``.0``."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")
