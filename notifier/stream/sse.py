"""How a live_pipeline line is framed: bare NDJSON or Server-Sent Events, read in one place.

X sends one JSON message per line. A line may also be framed as SSE: ``data:``
before the JSON, ``:`` comments and blank lines as keep-alives, and other
fields (``event:``, ``id:``, ``retry:``) that carry nothing notifier uses. The
stream, the parser and the recording reader all ask this module what a line is.
"""

from __future__ import annotations

__all__ = ["is_keepalive", "message_text"]

# SSE fields other than data: they frame a message but carry none of its content.
_FIELDS = frozenset({"event", "id", "retry"})


def is_keepalive(text: str) -> bool:
    """A blank line or an SSE comment (``:…``): the server saying it is still there."""
    text = text.strip()
    return not text or text.startswith(":")


def message_text(line: str) -> str | None:
    """The JSON text a line carries; None for a keep-alive or another SSE field.

    A ``data:`` frame gives what follows the prefix (possibly empty: that is a
    line with no message, which a reader counts as malformed); a bare line is
    its own text.
    """
    text = line.strip()
    if not text or text.startswith(":"):
        return None
    if text.startswith("data:"):
        return text[5:].strip()
    if text.split(":", 1)[0].strip() in _FIELDS:
        return None
    return text
