"""The words of a post or a message, cut to what a phone shows.

A lock screen shows one line of a notification's title, about 65 characters
on a phone held upright; a message preview is read at a glance. Both are cut
at a word, with ``…``, never in the middle of one unless a single word is
longer than the room. Pure functions: the engine calls them when it renders an
alert's default title and message.
"""

from __future__ import annotations

from ..untrusted import CLOSE, OPEN

__all__ = ["PREVIEW_LIMIT", "TITLE_LIMIT", "clip", "cut", "preview_limit", "quoted"]

# A default title longer than this is cut: what a lock screen shows of one line.
TITLE_LIMIT = 65
# The characters of a direct message a default alert shows.
PREVIEW_LIMIT = 100

_ELLIPSIS = "…"


def preview_limit(preview: bool | int) -> int | None:
    """How many characters of a message a rule's ``preview:`` shows; None for none."""
    if preview is True:
        return PREVIEW_LIMIT
    if preview is False or preview <= 0:
        return None
    return int(preview)
# Punctuation left dangling before the ellipsis reads badly ("today,…").
_TRAILING = " \t,;:-–—.…"


def cut(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters: cut at a word, ending in ``…``.

    Runs of whitespace (line breaks too) become one space, so a post's
    paragraphs read as one line.
    """
    return _cut(" ".join(text.split()), limit)


def clip(text: str, limit: int) -> str:
    """``text`` with its line breaks, at most ``limit`` characters: cut at a word, ending in ``…``."""
    return _cut(text, limit)


def _cut(text: str, limit: int) -> str:
    # The markers around values from X (notifier.untrusted) take no room: they
    # are not shown. A cut inside a marked value closes its mark.
    visible = [index for index, char in enumerate(text) if char not in _MARKERS] if _has_marks(text) else None
    length = len(text) if visible is None else len(visible)
    if length <= limit:
        return text
    if limit <= 1:
        return _ELLIPSIS[:limit]
    end = limit - 1 if visible is None else visible[limit - 1]
    room = text[:end]
    # Cut at the last space when the next character starts a new word; a word
    # longer than the room itself is cut where the room ends.
    if not text[end].isspace():
        space = max(room.rfind(" "), room.rfind("\n"))
        if space > 0:
            room = room[:space]
    room = room.rstrip(_TRAILING + "\n" + OPEN + CLOSE)
    # A mark left open by the cut is closed after the ellipsis.
    return room + _ELLIPSIS + (CLOSE if room.count(OPEN) > room.count(CLOSE) else "")


_MARKERS = frozenset((OPEN, CLOSE))


def _has_marks(text: str) -> bool:
    return OPEN in text or CLOSE in text


def quoted(text: str, limit: int) -> str:
    """``“Launching today…”``: the first words of ``text`` in quotes, at most ``limit`` characters."""
    return f"“{cut(text, max(limit - 2, 1))}”"
