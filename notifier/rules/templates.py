"""``title`` and ``message`` templates: ``{placeholders}`` with format specs, checked at load.

Templates use :class:`string.Formatter` syntax (``{likes:,}``, ``{time:%H:%M}``).
Only named placeholders the rule's trigger provides are allowed; attribute and
index access (``{likes.real}``, ``{a[0]}``) are refused, and each format spec is
tried on a sample value at load, so rendering never fails at run time. A value
that is not known yet (a count X never sent) renders as ``?``.
"""

from __future__ import annotations

import difflib
import string
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from ..times import format_time
from ..untrusted import mark

__all__ = [
    "Template",
    "TemplateError",
    "UNKNOWN",
    "compile_template",
    "event_time",
    "held_back_note",
]

# What a placeholder with no known value renders as.
UNKNOWN = "?"

_FORMATTER = string.Formatter()


class EventTime(datetime):
    """A UTC datetime whose plain ``{time}`` reads ``2024-10-01 14:02 UTC``."""

    def __format__(self, spec: str) -> str:
        if not spec:
            return format_time(self.timestamp(), UTC, seconds=False)
        return super().__format__(spec)


def event_time(ts: float) -> EventTime:
    """The ``{time}`` value of an event at epoch seconds ``ts``."""
    moment = datetime.fromtimestamp(ts, tz=UTC)
    return EventTime(
        moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second,
        moment.microsecond, tzinfo=UTC,
    )


# A sample value per placeholder type, to try format specs on at load.
_SAMPLES: dict[str, object] = {
    "int": 1234,
    "number": 1234.5,
    "text": "text",
    "time": event_time(0),
}


class TemplateError(ValueError):
    """A template does not compile; ``problems`` are ``(offset, what, fix)``."""

    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{what} — {fix}" for _, what, fix in problems))


@dataclass(frozen=True, slots=True, eq=False)
class Template:
    """A checked template; ``render(values)`` never raises."""

    source: str
    # (literal text, placeholder name or None, format spec, conversion or None)
    parts: tuple[tuple[str, str | None, str, str | None], ...]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(name for _, name, _, _ in self.parts if name)

    def render(self, values: Mapping[str, object], marked: Collection[str] = ()) -> str:
        """The text with ``values`` placed; the values of names in ``marked`` between markers.

        ``marked`` names the values that come from X (see :mod:`notifier.untrusted`):
        delivery escapes exactly those for each service, never the template's own text.
        """
        out: list[str] = []
        for literal, name, spec, conversion in self.parts:
            out.append(literal)
            if name is None:
                continue
            value = values.get(name)
            if value is None:
                out.append(UNKNOWN)
                continue
            if conversion == "r":
                value = repr(value)
            elif conversion == "s":
                value = str(value)
            elif conversion == "a":
                value = ascii(value)
            try:
                shown = format(value, spec)
            except (ValueError, TypeError):
                # Specs were tried at load on a value of the same type; this is
                # only reachable with an unexpected value type. Show it plainly.
                shown = str(value)
            out.append(mark(shown) if name in marked and shown else shown)
        return "".join(out)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Template) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)

    def __repr__(self) -> str:
        return f"Template({self.source!r})"


def compile_template(
    text: str,
    placeholders: Mapping[str, str],
    aliases: Mapping[str, str] | None = None,
    absent: Mapping[str, str] | None = None,
) -> Template:
    """Check ``text`` against ``placeholders`` (name -> ``int``/``number``/``text``/``time``).

    ``aliases`` maps other spellings to placeholder names (``like_count`` -> ``likes``);
    ``absent`` maps names people may expect but that do not exist to the reason why.
    Raises :class:`TemplateError` listing every problem.
    """
    aliases = aliases or {}
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError:
        # Python's wording ("Single '}' encountered in format string") is not shown.
        raise TemplateError(
            [(0, "this template has unbalanced braces",
              "write placeholders as {likes}; for a literal brace write {{ or }}")]
        ) from None
    problems: list[tuple[int, str, str]] = []
    parts: list[tuple[str, str | None, str, str | None]] = []
    available = ", ".join("{" + name + "}" for name in sorted(placeholders))
    for literal, field, spec, conversion in parsed:
        if field is None:
            parts.append((literal, None, "", None))
            continue
        offset = max(text.find("{" + field), 0)
        shown = "{" + field + "}"
        if field == "" or field.isdigit():
            problems.append((offset, f"the placeholder {shown} has no name", f"use a named one: {available}"))
            continue
        if "." in field or "[" in field:
            problems.append(
                (offset, f"{shown} uses attribute or index access, which templates do not allow",
                 f"use a plain placeholder: {available}")
            )
            continue
        name = field if field in placeholders else aliases.get(field)
        if absent and field in absent:
            problems.append((offset, f"{shown} is not a placeholder: {absent[field]}",
                             f"this rule can use: {available}"))
            continue
        if name is None or name not in placeholders:
            known = sorted(set(placeholders) | set(aliases))
            close = difflib.get_close_matches(field, known, n=1, cutoff=0.6)
            fix = f"did you mean {{{close[0]}}}?" if close else f"this rule can use: {available}"
            problems.append((offset, f"unknown placeholder {shown}", fix))
            continue
        if "{" in spec:
            problems.append(
                (offset, f"the format spec of {shown} contains a placeholder",
                 "write a fixed format spec, such as {likes:,}")
            )
            continue
        sample = _SAMPLES[placeholders[name]]
        if conversion:
            sample = {"r": repr, "s": str, "a": ascii}[conversion](sample)
        try:
            format(sample, spec)
        except (ValueError, TypeError):
            kind = {"int": "a whole number", "number": "a number", "text": "text", "time": "a time"}[
                placeholders[name]
            ]
            problems.append(
                (offset, f"the format spec ':{spec}' does not suit {{{field}}}, which is {kind}",
                 "use a spec such as {likes:,} for counts or {time:%H:%M} for the time")
            )
            continue
        parts.append((literal, name, spec, conversion))
    if problems:
        raise TemplateError(problems)
    return Template(source=text, parts=tuple(parts))


def held_back_note(count: int, since: float | None, now: float) -> str:
    """``+3 more since 14:02 UTC``: the matches a cooldown held back before this alert.

    Times are UTC, like ``{time}``: the engine knows no time zone. The date is
    added when ``since`` is on another (UTC) day than ``now``.
    """
    if since is None:
        # State saved before the first suppression time was kept.
        return f"+{count:,} more"
    start, end = event_time(since), event_time(now)
    return f"+{count:,} more since {format_time(since, UTC, date=start.date() != end.date(), seconds=False)}"
