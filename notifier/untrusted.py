"""Text from X is data: cleaned once where it is parsed, and marked where it enters an alert.

Anyone on X can send a message request, choose a display name or write a
post, so none of that text may act as markup, mentions or terminal codes
anywhere notifier shows it. This module holds the two steps that belong
before delivery; :mod:`notifier.delivery.render` holds the third:

1. **Cleaning, at parsing** (:func:`clean`, :func:`decode_entities`): X's
   ``&amp;``/``&lt;``/``&gt;`` are decoded once (X escapes them in a short
   post's ``full_text`` but not in a long post's note text), control
   characters and bidi overrides are removed, and the text is bounded in size.
   Every value from X then reads the same in alerts, logs and on a terminal.
2. **Marking, at templating** (:func:`mark`): the rule engine places each
   value from X into a title or message between :data:`OPEN` and :data:`CLOSE`,
   so that delivery can tell a stranger's words from the user's own template
   text and notifier's own markup, and escape only the former for the format
   each service renders (:mod:`notifier.delivery.render`).

The markers are Unicode noncharacters (U+FDD0, U+FDD1), meant for a program's
internal use and never valid in interchanged text; :func:`clean` removes them
from anything X sends, so a stranger cannot forge or end a mark.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

__all__ = [
    "CLOSE",
    "MAX_DM",
    "MAX_NAME",
    "MAX_POST",
    "OPEN",
    "clean",
    "decode_entities",
    "mark",
    "segments",
    "unmark",
]

OPEN: Final = "\ufdd0"
CLOSE: Final = "\ufdd1"

# X's own limits: a direct message holds at most 10,000 characters, a long
# post (a note) 25,000, a display name 50. Anything longer did not come from X
# as it is documented, and is cut rather than carried into memory and the state file.
MAX_DM: Final = 10_000
MAX_POST: Final = 25_000
MAX_NAME: Final = 200

# C0 controls but tab and newline, DEL and the C1 controls; the bidi embeddings,
# overrides and isolates (U+202A–U+202E, U+2066–U+2069), which turn the text
# after them around on screen; and the two markers.
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufdd0\ufdd1]")
# X escapes exactly these three in legacy.full_text (and in DM text).
_ENTITY = re.compile("&(amp|lt|gt);")
_DECODED = {"amp": "&", "lt": "<", "gt": ">"}
_MARKS = re.compile(f"[{OPEN}{CLOSE}]")
_MARKED = re.compile(f"{OPEN}([^{OPEN}{CLOSE}]*){CLOSE}")


def clean(text: str, limit: int | None = None) -> str:
    """``text`` without control characters, bidi overrides or markers, at most ``limit`` characters.

    Newline and tab stay; so do zero-width joiners, which hold emoji such as
    👨‍👩‍👧 together, and right-to-left letters, which are text, not controls.
    """
    if limit is not None and len(text) > limit:
        # Cut before cleaning: a 10 MB message is never copied whole again.
        text = text[:limit]
    return _UNWANTED.sub("", text)


def decode_entities(text: str) -> str:
    """X's ``&amp;``, ``&lt;`` and ``&gt;`` as the characters they stand for, decoded once.

    One pass: a post that says ``&amp;lt;`` literally reads ``&lt;``.
    """
    if "&" not in text:
        return text
    return _ENTITY.sub(lambda match: _DECODED[match.group(1)], text)


def mark(value: str) -> str:
    """``value`` between the markers: text from X placed into a template.

    Cleaned again on the way (a source that forgot to cannot smuggle a
    control character or a marker into an alert).
    """
    return f"{OPEN}{_UNWANTED.sub('', value)}{CLOSE}"


def unmark(text: str) -> str:
    """``text`` as a person reads it: the markers taken out."""
    if OPEN not in text and CLOSE not in text:
        return text
    return _MARKS.sub("", text)


def segments(text: str) -> Iterator[tuple[str, bool]]:
    """``(piece, untrusted)`` pairs of a marked text, in order; an unmatched marker is dropped."""
    position = 0
    for match in _MARKED.finditer(text):
        if match.start() > position:
            yield unmark(text[position:match.start()]), False
        yield match.group(1), True
        position = match.end()
    if position < len(text):
        yield unmark(text[position:]), False
