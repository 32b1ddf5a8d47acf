"""The one line ``status`` answers: what notifier watches, whether it is muted, and its last alert.

Pure: the caller gathers the facts (from the running daemon, or from the
state file and the rule file on the command line).
"""

from __future__ import annotations

from datetime import tzinfo

from ..times import format_time
from .mute import Mute

__all__ = ["status_line"]

_MAX_TITLE = 80


def status_line(
    *, rules: int, topics: int, mute: Mute, last: tuple[str, float] | None, now: float, zone: tzinfo,
    running: str | None = None,
) -> str:
    """``watching 3 rules on 2 topics · muted until 07:00 CET · last alert 23:41 CET: Tweet passed 1,000 likes``."""
    parts = [f"watching {rules} rule{'s' if rules != 1 else ''} on {topics} topic{'s' if topics != 1 else ''}"]
    if running is not None:
        parts.insert(0, running)
    parts.append(mute.describe(now, zone))
    if last is None:
        parts.append("no alert yet")
    else:
        title, ts = last
        title = " ".join(title.split())
        if len(title) > _MAX_TITLE:
            title = title[: _MAX_TITLE - 1] + "…"
        parts.append(f"last alert {format_time(ts, zone, seconds=False)}: {title}")
    return " · ".join(parts)
