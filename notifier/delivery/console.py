"""``console://``: an Apprise target that prints each alert to standard output.

Importing this module registers the schema with Apprise (through
``apprise.decorators.notify``), so ``console://`` works anywhere an Apprise URL
does: in a rule file's ``targets:``, in ``notifier test`` and for ``--dry-run``.

An alert prints as a block a person can read at a glance::

    [14:02:07] SUCCESS  Launch tweet passed 1,000 likes
               1,000 likes on https://x.com/i/status/1850000000000000000

``console://NAME`` prints ``[NAME]`` before each title, to tell several
console targets apart (a dry run gives each target with a policy its own).
The time shown is the clock's: :func:`use_clock` lets a dry run of a recording
print the recording's time instead of the wall clock's.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from apprise.common import NotifyFormat
from apprise.decorators import notify

__all__ = ["SCHEMA", "format_alert", "use_clock"]

SCHEMA = "console"

# Apprise sends from worker threads: two alerts printed at once must not interleave.
_lock = threading.Lock()
_clock: Callable[[], float] = time.time


def use_clock(clock: Callable[[], float] | None) -> None:
    """Stamp printed alerts with ``clock`` (None: the wall clock again)."""
    global _clock
    _clock = clock or time.time


def format_alert(
    title: str, body: str, notify_type: str, now: float | None = None, label: str | None = None
) -> str:
    """The text ``console://`` prints for one notification (ends with a newline)."""
    stamp = time.strftime("%H:%M:%S", time.localtime(_clock() if now is None else now))
    head = f"[{stamp}] {notify_type.upper():<8} "
    indent = " " * len(head)
    lines = [line.rstrip() for line in body.strip().splitlines()]
    first = title.strip() or (lines.pop(0) if lines else "")
    # A body that only repeats the title adds nothing.
    if lines == [first]:
        lines = []
    if label:
        first = f"[{label}] {first}"
    return "".join([head, first, "\n"] + [f"{indent}{line}\n" if line else "\n" for line in lines])


# TEXT: HTML is turned into text for us; Markdown reaches us as written, which
# reads well on a terminal.
@notify(on=SCHEMA, name="Console (standard output)", body_format=NotifyFormat.TEXT)
def _print_alert(body: str, title: str, notify_type: str, *args: Any, **kwargs: Any) -> bool:
    meta = kwargs.get("meta") or {}
    text = format_alert(title or "", body or "", notify_type, label=meta.get("host") or None)
    with _lock:
        # Looked up at each call, not bound at import: tests and the CLI swap stdout.
        stream = sys.stdout
        stream.write(text)
        stream.flush()
    return True
