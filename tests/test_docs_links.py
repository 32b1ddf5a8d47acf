"""Every relative link in README.md and docs/*.md leads to a file, and a heading, that exists.

Anchors follow GitHub's rules for heading ids: the heading's text (inline code
and link text kept, markup dropped), lower-cased, every character that is not a
letter, digit, space, ``-`` or ``_`` removed, spaces turned into ``-``; a
repeated id gets ``-1``, ``-2``... Links and headings inside fenced code blocks
do not count, since GitHub renders neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent

_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$")
# [text](target) and ![alt](target); the target ends at whitespace (a "title" may follow) or ")".
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")
_EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")  # https:, mailto:, ...


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """A link whose file or heading does not exist."""

    source: Path
    line: int
    target: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source.relative_to(ROOT) if self.source.is_relative_to(ROOT) else self.source}:{self.line}: {self.target}: {self.reason}"


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of every line outside fenced code blocks."""
    lines, fenced = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append((number, line))
    return lines


def slug(heading: str) -> str:
    """GitHub's id for a heading's text."""
    text = _INLINE_CODE.sub(lambda m: m.group(2), heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link's text stays, its target goes
    text = re.sub(r"<[^>]+>", "", text)  # HTML tags
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)  # \w: letters and digits of any script, and _
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The ids of every heading of a Markdown file, numbered as GitHub numbers repeats."""
    seen: dict[str, int] = {}
    ids = set()
    for _, line in _prose_lines(path.read_text(encoding="utf-8")):
        match = _HEADING.match(line)
        if match is None:
            continue
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        ids.add(base if count == 0 else f"{base}-{count}")
    return ids


def broken_links(path: Path) -> list[BrokenLink]:
    """Every relative link of ``path`` whose file or heading is missing."""
    broken = []
    for number, line in _prose_lines(path.read_text(encoding="utf-8")):
        line = _INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line)
        for match in _LINK.finditer(line):
            target = match.group(1)
            if _EXTERNAL.match(target):
                continue
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / unquote(file_part)).resolve() if file_part else path
            if not linked.exists():
                broken.append(BrokenLink(path, number, target, f"no file {file_part}"))
            elif anchor and linked.suffix == ".md" and unquote(anchor) not in anchors(linked):
                broken.append(BrokenLink(path, number, target, f"no heading with id #{anchor} in {linked.name}"))
    return broken


def documents() -> list[Path]:
    """README.md and every page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("path", documents(), ids=lambda path: path.name)
def test_relative_links_resolve(path: Path) -> None:
    """Each relative link of the README and docs/ names an existing file and heading."""
    broken = broken_links(path)
    assert not broken, "broken links:\n" + "\n".join(map(str, broken))


def test_readme_links_every_docs_page() -> None:
    """Every page of docs/ is reachable from the README."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = {Path(m.group(1).partition("#")[0]).name for m in _LINK.finditer(readme)}
    missing = [p.name for p in sorted((ROOT / "docs").glob("*.md")) if p.name not in linked]
    assert not missing, f"docs pages the README does not link: {missing}"


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Testing targets: `notifier test`", "testing-targets-notifier-test"),
        ("Why did my phone stay silent? `--explain`", "why-did-my-phone-stay-silent---explain"),
        ("DM bursts: `group_wait`", "dm-bursts-group_wait"),
        ("`console://`", "console"),
        ("Quiet hours, budgets and digests", "quiet-hours-budgets-and-digests"),
        ("1. Give notifier your X cookies", "1-give-notifier-your-x-cookies"),
    ],
)
def test_slug_follows_github(heading: str, expected: str) -> None:
    """Heading ids are made the way GitHub makes them."""
    assert slug(heading) == expected


def test_broken_links_are_found(tmp_path: Path) -> None:
    """A link to a missing file or a missing heading is reported; code blocks and URLs are not."""
    (tmp_path / "other.md").write_text("# Other\n\n## Same\n\n## Same\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n"
        "[ok](other.md#same-1) [ok](#page) [web](https://example.com/x.md#nope) `[code](gone.md)`\n"
        "[gone](gone.md)\n"
        "[bad anchor](other.md#same-2)\n"
        "[bad here](#nowhere)\n"
        "```\n[in a fence](gone.md)\n```\n"
    )
    assert [(b.line, b.target) for b in broken_links(page)] == [
        (4, "gone.md"),
        (5, "other.md#same-2"),
        (6, "#nowhere"),
    ]
