"""``console://``: a target that prints each alert to standard output, without Apprise.

``console://`` works anywhere a target URL does: in a rule file's ``targets:``,
in ``notifier test`` and for ``--dry-run``. It is sent here, not through Apprise:
asking Apprise for any URL makes it load its ~150 plugin modules, which a dry
run or a console-only rule file has no use for.

An alert prints as a block a person can read at a glance, as ``notifier
replay`` prints it::

    [2025-06-03 14:02:07 CEST] Launch tweet passed 1,000 likes
      1,000 likes on https://x.com/i/status/1850000000000000000

The alert's notify type (info, success, warning, failure) is not printed: it
is a colour for the services that have one, and in a terminal "WARNING" before
a surge would read as a warning of notifier itself.

``console://NAME`` prints ``[NAME]`` before each title, to tell several
console targets apart (a dry run gives each target with a policy its own).
The time shown is the ``now`` the caller passes, in the machine's zone: the
deliverer passes the alert's own time (when it fired), so a dry run of a
recording prints each alert at the time ``notifier replay`` prints it.

Only the plain forms are read here (see :func:`label_of`); a console URL with
options (``console://?format=html``) is left to Apprise, which knows them
(:mod:`.console_apprise`).
"""

from __future__ import annotations

import re
import sys
import threading

from ..times import format_time
from .outcome import SendOutcome

__all__ = ["MASKED", "SCHEMA", "format_alert", "label_of", "send", "write_alert"]

SCHEMA = "console"
# How every console URL shows in output and logs, as Apprise shows it: a name is no secret,
# but it is not shown either.
MASKED = f"{SCHEMA}://"

# console:// or console://NAME, where NAME holds none of the characters that make
# Apprise read a user, port, path, query or IPv6 address (or trim whitespace):
# for these URLs NAME is exactly the host Apprise would have parsed.
_PLAIN = re.compile(r"console://(?P<label>[^\s/\\?#@:\[\]]*)", re.IGNORECASE)

_EMPTY = (
    "No message content specified to deliver; "
    "Could not prepare the notification: No message content specified to deliver"
)

# Apprise sends console URLs with options from worker threads: two alerts printed at
# once must not interleave.
_lock = threading.Lock()


def label_of(url: str) -> str | None:
    """``NAME`` of ``console://NAME`` (``""`` for ``console://``); None if not such a URL."""
    match = _PLAIN.fullmatch(url) if isinstance(url, str) else None
    return match.group("label") if match else None


def format_alert(title: str, body: str, now: float, label: str | None = None) -> str:
    """The text ``console://`` prints for one notification at ``now`` (ends with a newline)."""
    head = f"[{format_time(now)}] "
    indent = "  "
    lines = [line.rstrip() for line in body.strip().splitlines()]
    first = title.strip() or (lines.pop(0) if lines else "")
    # A body that only repeats the title adds nothing.
    if lines == [first]:
        lines = []
    if label:
        first = f"[{label}] {first}"
    return "".join([head, first, "\n"] + [f"{indent}{line}\n" if line else "\n" for line in lines])


def write_alert(text: str) -> None:
    """Print one formatted alert whole."""
    with _lock:
        # Looked up at each call, not bound at import: tests and the CLI swap stdout.
        stream = sys.stdout
        stream.write(text)
        stream.flush()


async def send(url: str, *, title: str, body: str, notify_type: str, now: float) -> SendOutcome:
    """Print one notification to a plain ``console://[NAME]`` URL; a failed write is a result.

    ``body`` and ``title`` arrive as Apprise passes them on: Markdown as written,
    which reads well on a terminal.
    """
    label = label_of(url)
    if label is None:
        return SendOutcome(False, "not a plain console:// URL", "FAILURE")
    if not title and not body:
        # What Apprise said to an empty notification, when it sent console:// for us.
        return SendOutcome(False, _EMPTY, "FAILURE")
    text = format_alert(title, body, now, label=label or None)
    try:
        # On the event loop, not in a worker thread: alerts due together print in the
        # order they were sent, every time. (The log handler writes the same way.)
        write_alert(text)
    except BrokenPipeError:
        # The reader went away (| head). The kernel's SIGPIPE tells `notifier run`,
        # which stops; the alert stays in the outbox like any failed send.
        return SendOutcome(False, "standard output is closed: nothing reads it any more", "FAILURE")
    except Exception as exc:  # noqa: BLE001 - a failed send is a result, not an exception
        return SendOutcome(False, f"cannot print to standard output: {type(exc).__name__}: {exc}", "FAILURE")
    return SendOutcome(True)
