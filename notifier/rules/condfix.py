"""Conditions as people type them: what is meant is read, or the whole condition is shown fixed.

People write conditions the way a spreadsheet, a search box or another
language taught them. Before a condition is parsed, :func:`normalise` scans it
(outside quoted text) and sorts what it finds:

* **read as meant**: ``1k``, ``1.5k``, ``2m`` (thousands, millions) and
  ``1,000``-style numbers whose commas group digits in threes outside any
  brackets, where a comma can mean nothing else in a condition;
* **corrected, not guessed**: ``=`` for ``==``, ``&&``/``&`` for ``and``,
  ``||``/``|`` for ``or``, ``!`` for ``not``, ``AND``/``OR``/``NOT`` in capitals,
  ``=>``/``=<``/``<>``/``≥``/``≤``/``≠``, and numbers such as ``1,00`` whose
  commas do not group threes. These are not accepted: the problem names each
  one and shows the user's whole condition with all of them fixed.

The text that is parsed has the accepted numbers written out; columns in it
are mapped back to the user's text by :meth:`Normalised.original`. When it
still does not parse, :func:`syntax_problem` says why in notifier's words:
Python's parser messages are never shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ..counts import SCALE, count_text

__all__ = ["Normalised", "mistakes_text", "normalise", "syntax_problem"]

_SCALE = SCALE  # the rule file's other counts read k and m the same way
# A number as people write it: digits with _ or , between them, a decimal part, a k/m suffix.
_NUMBER = re.compile(r"(\d[\d_,]*\d|\d|\.\d+)(\.\d+|\.)?(?:([kKmM])(?!\w))?")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+")
_WORD = re.compile(r"[^\W\d]\w*")
# Operators of other languages, longest first, and what a condition writes instead.
_OPERATORS = (
    ("===", "=="), ("!==", "!="), ("&&", "and"), ("||", "or"), ("=>", ">="), ("=<", "<="),
    ("<>", "!="), ("≥", ">="), ("≤", "<="), ("≠", "!="),
)
# Two-character operators that are fine as they are (:= is refused later, by name).
_VALID = ("==", "!=", "<=", ">=", ":=")
_SINGLE = {"=": "==", "&": "and", "|": "or", "!": "not"}
_WORDS = {"and", "or", "not"}
_LAST_WORD = re.compile(r"([^\W\d]\w*)\s*$")


@dataclass(frozen=True, slots=True)
class Normalised:
    """A condition after the scan.

    ``text`` is what is parsed; ``corrected`` is the user's text with every
    mistake fixed and nothing else changed; ``mistakes`` are ``(offset,
    written, meant)`` in the user's text.
    """

    text: str
    corrected: str
    mistakes: tuple[tuple[int, str, str], ...]
    # (start, end) in the user's text -> (start, end) in ``text``, in order.
    edits: tuple[tuple[int, int, int, int], ...]

    def original(self, offset: int) -> int:
        """The user's column of column ``offset`` of :attr:`text`."""
        shift = 0
        for old_start, old_end, new_start, new_end in self.edits:
            if offset < new_start:
                break
            if offset < new_end:
                return old_start
            shift = old_end - new_end
        return offset + shift


def normalise(text: str) -> Normalised:
    """Scan ``text``: spell out the numbers read as meant, collect the mistakes."""
    scan = _Scan(text)
    scan.run()
    parsed, edits = _apply(text, scan.numbers + scan.fixes)
    corrected, _ = _apply(text, scan.fixes)
    mistakes = tuple((start, text[start:end], meant.strip()) for start, end, meant in scan.fixes)
    return Normalised(parsed, corrected, mistakes, edits)


def _apply(
    text: str, replacements: list[tuple[int, int, str]],
) -> tuple[str, tuple[tuple[int, int, int, int], ...]]:
    pieces: list[str] = []
    edits: list[tuple[int, int, int, int]] = []
    position = length = 0
    for start, end, new in sorted(replacements):
        pieces.append(text[position:start])
        length += start - position
        pieces.append(new)
        edits.append((start, end, length, length + len(new)))
        length += len(new)
        position = end
    pieces.append(text[position:])
    return "".join(pieces), tuple(edits)


class _Scan:
    """One pass over the text, outside quotes; brackets tracked to know what a comma means."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.numbers: list[tuple[int, int, str]] = []
        self.fixes: list[tuple[int, int, str]] = []
        # "(" of grouping, or "call"/"[" /"{", where a comma separates values.
        self.brackets: list[str] = []

    def run(self) -> None:
        text, index = self.text, 0
        while index < len(text):
            char = text[index]
            if char in "'\"":
                index = self._skip_quoted(index)
            elif char.isdigit() or (char == "." and text[index + 1:index + 2].isdigit()):
                index = self._number(index)
            elif _WORD.match(text, index):
                word = _WORD.match(text, index).group()  # type: ignore[union-attr]
                if word.lower() in _WORDS and word != word.lower():
                    self.fixes.append((index, index + len(word), word.lower()))
                index += len(word)
            else:
                index = self._operator(index)

    def _skip_quoted(self, index: int) -> int:
        quote, text = self.text[index], self.text
        index += 1
        while index < len(text) and text[index] != quote:
            index += 2 if text[index] == "\\" else 1
        return index + 1

    def _number(self, index: int) -> int:
        match = _NUMBER.match(self.text, index)
        if match is None:  # pragma: no cover - the caller saw a digit
            return index + 1
        whole, fraction, suffix = match.group(1), match.group(2) or "", match.group(3)
        end = match.end()
        if "," in whole:
            in_list = any(kind != "(" for kind in self.brackets)
            if in_list:
                # Inside [..], {..} or a call a comma separates values; those are refused later.
                return index + len(whole.split(",", 1)[0])
            digits = whole.replace(",", "")
            if not _GROUPED.fullmatch(whole):
                # 1,00 or 12,3456: no reading is safe; show the number without commas.
                self.fixes.append((index, end, _value(digits + fraction, suffix)))
                return end
            if not suffix:
                self.numbers.append((index, end, digits + fraction))
                return end
            whole = digits
        if suffix:
            self.numbers.append((index, end, _value(whole + fraction, suffix)))
        return end

    def _operator(self, index: int) -> int:
        text = self.text
        for written, meant in _OPERATORS:
            if text.startswith(written, index):
                self._fix(index, index + len(written), meant)
                return index + len(written)
        if text.startswith(_VALID, index):
            return index + 2
        char = text[index]
        if char in _SINGLE:
            self._fix(index, index + 1, _SINGLE[char])
        elif char == "(":
            # After a name (or a closing bracket) "(" is a call; after and/or/not, or an operator, it groups.
            word = _LAST_WORD.search(text[:index])
            before = text[:index].rstrip()
            call = bool(before) and before[-1] in ")]" or (word is not None and word.group(1) not in _WORDS)
            self.brackets.append("call" if call else "(")
        elif char in "[{":
            self.brackets.append(char)
        elif char in ")]}" and self.brackets:
            self.brackets.pop()
        return index + 1

    def _fix(self, start: int, end: int, meant: str) -> None:
        # Words need blanks around them where the symbol had none: a&&b -> a and b.
        if meant.isalpha():
            if start > 0 and not self.text[start - 1].isspace():
                meant = " " + meant
            if end < len(self.text) and not self.text[end].isspace():
                meant += " "
        self.fixes.append((start, end, meant))


def _value(number: str, suffix: str | None) -> str:
    """``1.5`` with ``k`` -> ``1500``; the number itself without a suffix."""
    try:
        value = Decimal(number.replace("_", "")) * _SCALE[suffix.lower()] if suffix else Decimal(
            number.replace("_", "")
        )
    except (InvalidOperation, KeyError):
        return number
    return count_text(value)


_SYNTAX_FIX = "write comparisons such as likes > 1000 joined by and/or"
_CLOSING = {"(": ")", "[": "]", "{": "}"}


def mistakes_text(mistakes: tuple[tuple[int, str, str], ...]) -> str:
    """``conditions write '==', not '='; ...``: each mistake once, in the order written."""
    parts: list[str] = []
    for _, written, meant in mistakes:
        if any(char.isdigit() for char in written):
            part = f"'{written}' is not a number as written (commas group digits in threes)"
        else:
            part = f"conditions write '{meant}', not '{written}'"
        if part not in parts:
            parts.append(part)
    return "; ".join(parts)


def syntax_problem(text: str, where: int) -> tuple[int, str, str]:
    """Where a condition that does not parse goes wrong, and how to fix it, in our words."""
    stack: list[tuple[int, str]] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in "'\"":
            start = index
            index += 1
            while index < len(text) and text[index] != char:
                index += 2 if text[index] == "\\" else 1
            if index >= len(text):
                return (start, "this is not a valid condition: the quote opened here is never closed",
                        f"end the text with {char}, such as view_state == {char}EnabledWithCount{char}")
        elif char in _CLOSING:
            stack.append((index, char))
        elif char in ")]}":
            if not stack or _CLOSING[stack[-1][1]] != char:
                return (index, f"this is not a valid condition: '{char}' closes nothing",
                        "remove it, or add the bracket it closes")
            stack.pop()
        index += 1
    if stack:
        start, char = stack[-1]
        return (start, f"this is not a valid condition: '{char}' is never closed",
                f"add the '{_CLOSING[char]}' that closes it")
    stripped = text.rstrip()
    if where >= len(stripped):
        last = stripped.split()[-1][-20:] if stripped.split() else ""
        # Python waits for more after "if" (or a number run into it, "2if");
        # the language has no such word, so that word is the fault, not the end.
        foreign = re.search(r"(?:\b|(?<=\d))(?:if|else|in|is|lambda|for|from|await|yield)$", last)
        if foreign:
            word = re.search(r"[\w.]*$", last[:foreign.start()]).group() + foreign.group()  # type: ignore[union-attr]
            word = word if word[:1].isdigit() else foreign.group()
            return (len(stripped) - len(word), f"this is not a valid condition: '{word}' cannot come here",
                    _SYNTAX_FIX)
        return (len(stripped), f"this is not a valid condition: it ends after '{last}'",
                "finish it, such as likes > 1000")
    token = re.match(r"\w+|\S", text[where:].lstrip())
    shown = token.group()[:20] if token else text[where:where + 1]
    return (where, f"this is not a valid condition: '{shown}' cannot come here", _SYNTAX_FIX)
