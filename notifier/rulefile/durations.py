"""Durations as a rule file writes them: ``30s``, ``10m``, ``2h``, ``1d``, ``1h30m``."""

from __future__ import annotations

import re

__all__ = ["parse_duration"]

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """Seconds in ``30s``, ``10m``, ``2h``, ``1d`` (or ``1h30m``); ValueError otherwise."""
    cleaned = text.strip().lower() if isinstance(text, str) else ""
    position, total = 0, 0.0
    for match in _DURATION_PART.finditer(cleaned):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if not cleaned or position != len(cleaned):
        raise ValueError(f"invalid duration {text!r}")
    return total
