"""Which freshly written outbox rows start their send from enqueue, skipping the scheduler's round.

The scheduler's round (policies, groups, the due query) cost 0.3 ms of every
alert between "row committed" and "send started" (issue 26). A row that
round would send exactly as it is may start at once; anything else waits for it.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Collection

from ..control.mute import Mute
from . import console
from .outbox import Outbox
from .outbox_rows import OutboxRow
from .outcome import SendOutcome
from .targets import Target

__all__ = ["clear_way", "close_unawaited"]


def clear_way(
    row: OutboxRow, target: Target | None, now: float, *, mute: Mute, outbox: Outbox, busy: Collection[int]
) -> bool:
    """Whether the scheduler's round would send ``row`` as it is, now.

    A pending row, not held or grouped, due now, whose target is not a plain
    console (a terminal's lines keep the scheduler's order across targets, as
    dry runs and replays pin them), has no policy and no other pending row
    outside ``busy`` (rows that waited, retries, a backlog: the scheduler
    orders and folds those), while nothing is muted. Cost: one indexed read
    (about 20 µs).
    """
    return (
        target is not None
        and row.state == "pending"
        and row.held is None
        and row.not_before is None
        and row.next_at <= now
        and not target.policy.active
        and console.label_of(target.url) is None
        and not mute.active(now)
        and not outbox.pending_besides(row.target, row.id, exclude=busy)
    )


def close_unawaited(sending: Awaitable[SendOutcome] | SendOutcome) -> None:
    """A send's coroutine that its task never awaited (cancelled before it ran) is closed, not warned about."""
    if inspect.iscoroutine(sending):
        sending.close()  # a no-op once it ran to its end
