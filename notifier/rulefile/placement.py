"""Where a key written in the wrong place belongs: said instead of a confusing consequence.

A target's ``quiet:`` one level too far left becomes a target called
``quiet`` ("not an Apprise URL"); one level too far right is a YAML error
("mapping values are not allowed"); inside a rule it is an unknown key. Each
of these is a key that belongs somewhere else, and the message says where.
"""

from __future__ import annotations

import re

__all__ = ["BELONGS", "TARGET_KEYS", "misindented_key"]

TARGET_KEYS = ("url", "quiet", "tz", "budget")
_TARGET_EXAMPLE = 'phone: {url: ntfys://ntfy.sh/my-topic, quiet: "22:00-07:00", tz: Europe/Berlin, budget: 5/h}'
# A key met where it does nothing -> (whose setting it is, where to put it).
BELONGS = {
    key: ("a target's setting",
          f"move it under targets:, beside the url: of the target it applies to, such as {_TARGET_EXAMPLE}")
    for key in TARGET_KEYS
}
_KEY_LINE = re.compile(r"^(\s*)([A-Za-z_][\w-]*)\s*:(?:\s+(\S.*))?$")


def misindented_key(text: str, line: int) -> tuple[tuple[int, int], str, str] | None:
    """``((line, column), what, fix)`` when YAML refused line ``line`` (0-based) because a target key is indented too far.

    The line above tells how: after ``phone: ntfy://...`` the target must become
    a mapping; after ``url: ...`` the key must line up with it.
    """
    lines = text.splitlines()
    if not 0 < line < len(lines):
        return None
    here = _KEY_LINE.match(lines[line])
    if here is None or here.group(2) not in TARGET_KEYS:
        return None
    key = here.group(2)
    above = next((index for index in range(line - 1, -1, -1) if lines[index].strip()), 0)
    before = _KEY_LINE.match(lines[above])
    if before is None or len(before.group(1)) >= len(here.group(1)):
        return None
    what = f"'{key}:' is indented deeper than the line above it"
    name, value = before.group(2), before.group(3) or ""
    if name not in TARGET_KEYS and ("://" in value or value.startswith("${")):
        fix = (f"to give target '{name}' a {key}, write it as a mapping: {name}: then, indented one level, "
               f"url: and {key}: in the same column")
    else:
        fix = f"line it up with '{name}:' on line {above + 1}, column {len(before.group(1)) + 1}"
    return (line, len(here.group(1))), what, fix
