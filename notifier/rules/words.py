"""The words of a post or a message, cut to what a phone shows.

A lock screen shows one line of a notification's title, about 65 characters
on a phone held upright; a message preview is read at a glance. Both are cut
at a word, with ``…``, never in the middle of one unless a single word is
longer than the room. Pure functions: the engine calls them when it renders an
alert's default title and message.
"""

from __future__ import annotations

__all__ = ["PREVIEW_LIMIT", "TITLE_LIMIT", "cut", "quoted"]

# A default title longer than this is cut: what a lock screen shows of one line.
TITLE_LIMIT = 65
# The characters of a direct message a default alert shows.
PREVIEW_LIMIT = 100

_ELLIPSIS = "…"
# Punctuation left dangling before the ellipsis reads badly ("today,…").
_TRAILING = " \t,;:-–—.…"


def cut(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters: cut at a word, ending in ``…``.

    Runs of whitespace (line breaks too) become one space, so a post's
    paragraphs read as one line.
    """
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    if limit <= 1:
        return _ELLIPSIS[:limit]
    room = flat[: limit - 1]
    # Cut at the last space when the next character starts a new word; a word
    # longer than the room itself is cut where the room ends.
    if flat[limit - 1] != " ":
        space = room.rfind(" ")
        if space > 0:
            room = room[:space]
    return room.rstrip(_TRAILING) + _ELLIPSIS


def quoted(text: str, limit: int) -> str:
    """``“Launching today…”``: the first words of ``text`` in quotes, at most ``limit`` characters."""
    return f"“{cut(text, max(limit - 2, 1))}”"
