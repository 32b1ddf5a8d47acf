"""How a live_pipeline line is framed: bare NDJSON or Server-Sent Events, read in one place.

X sends one JSON message per line. A line may also be framed as SSE: ``data:``
before the JSON, ``:`` comments and blank lines as keep-alives, and other
fields (``event:``, ``id:``, ``retry:``) that carry nothing notifier uses. The
stream, the parser and the recording reader all ask this module what a line is;
:class:`Lines` cuts the stream's bytes into those lines.
"""

from __future__ import annotations

import codecs

__all__ = ["MAX_LINE", "Lines", "is_keepalive", "message_text"]

# A line longer than this is not a message; drop it rather than buffer forever.
MAX_LINE = 1 << 20

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


class Lines:
    """Split a byte stream into lines, tolerating any chunking and bad UTF-8."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._parts: list[str] = []
        self._size = 0
        self._skipping = False
        self.overlong = 0

    def feed(self, chunk: bytes) -> list[str]:
        text = self._decoder.decode(chunk)
        if "\n" not in text:
            self._keep(text)
            return []
        pieces = text.split("\n")
        first = "".join(self._parts) + pieces[0]
        self._parts, self._size = [], 0
        lines = [first, *pieces[1:-1]]
        if self._skipping:
            lines = lines[1:]  # the tail of a line already given up on
            self._skipping = False
        self._keep(pieces[-1])
        # Only "\n" ends a line: JSON may hold U+2028 and friends unescaped.
        return [line.rstrip("\r") for line in lines]

    def _keep(self, text: str) -> None:
        if self._skipping or not text:
            return
        self._parts.append(text)
        self._size += len(text)
        if self._size > MAX_LINE:
            self._parts, self._size = [], 0
            self._skipping = True
            self.overlong += 1
