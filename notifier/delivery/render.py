"""The one place where values from X are rendered for the format each service gets.

An alert's title and message mark each value from X (a post's words, a
message, a display name, a handle: see :mod:`notifier.untrusted`). Here, just
before Apprise gets them, those values and only those are escaped for what
the service makes of the text, so that a stranger's ``<script>``,
``<!channel>``, ``@everyone`` or ``[Verify your account](https://…)`` arrives
as the characters it is. The user's own template text and notifier's own
markup (a digest's bold rule names) are left as they are and keep working.

notifier sends Markdown to services that render it (:mod:`.formats`), and
Apprise converts it into what each service speaks. The escapes are therefore
Markdown's, which every one of Apprise's converters reads back as literal
characters, with what a service adds on top:

- ``markdown`` (email and Pushover as HTML, json://…): a backslash before
  every character Markdown or HTML could act on (``\\ ` * _ { } [ ] ( ) < > # ! | ~``,
  and ``+ - = 1.`` at the start of a line), and ``&amp;`` for an ``&`` that
  would start an entity. Python-Markdown turns ``\\<`` into ``&lt;``, so no
  tag from X ever reaches an HTML part.
- ``telegram``: the same backslashes, which Apprise carries into Telegram's
  Markdown (where ``\\[ \\* \\_ \\```` stay escapes); ``]`` and ``&`` as they
  are (an escaped ``[`` opens no link; Telegram's Markdown knows no entities).
- ``slack``: the same, but ``&`` as it is: Apprise's mrkdwn converter turns
  ``\\<``/``\\>`` into ``&lt;``/``&gt;`` and every ``&`` into ``&amp;``, so
  ``<!channel>``, ``<!here>``, ``<@U…>`` and ``<url|text>`` stay inert.
- ``discord``: the Markdown escapes, and a zero-width space after every ``@``,
  so ``@everyone``, ``@here`` and ``<@123>``/``<@&123>`` mention nobody
  (Apprise's webhook content carries no ``allowed_mentions``).
- ``text`` (ntfy, SMS, most push services): unchanged; notifier's own
  ``**bold**`` is taken out of the template text there.

A title that a service shows apart from the body (an email's subject, an ntfy
or Pushover title) is plain text there and goes unescaped, except on Discord,
which puts it in the same Markdown content as the body.

Bodies are also kept to what the service takes (Apprise's ``body_maxlen`` of
the plugin): the longest value from X is cut at a word, with ``…``, until the
body fits, so the link at the end of an alert survives.
"""

from __future__ import annotations

import re
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from ..alert import Alert
from ..rules.words import clip
from ..untrusted import mark, segments, unmark
from .formats import TEXT, format_for

__all__ = ["Dialect", "dialect_for", "escape", "fit_plugin", "render", "texts_of"]

Dialect = Literal["text", "markdown", "slack", "discord", "telegram"]

# Characters Markdown (or the HTML it may carry) could act on anywhere in a line.
_ANYWHERE = re.compile(r"[\\`*_{}\[\]()<>#!|~]")
# Telegram's Markdown reads "\]" as both characters; an escaped "[" already opens no link.
_TELEGRAM_ANYWHERE = re.compile(r"[\\`*_{}\[()<>#!|~]")
# An & that would start an entity: Markdown that becomes HTML reads &amp; as "&".
_ENTITY_START = re.compile(r"&(?=#?[0-9A-Za-z]{1,32};)")
# ... and at the start of a line: list items, setext headings, numbered lists.
_LINE_START = re.compile(r"(?m)^([ \t]*)([+\-=])")
_NUMBERED = re.compile(r"(?m)^([ \t]*\d+)([.)])")
_BOLD_MARK = re.compile(r"\*\*")
# Room kept for the sparkline lines a send without attachments gets after the body.
_SPARKLINE_ROOM: Final = 120

_SLACK_HOSTS = frozenset({"hooks.slack.com"})
_DISCORD_HOSTS = frozenset({"discord.com", "discordapp.com"})
_TELEGRAM_HOSTS = frozenset({"api.telegram.org"})


def dialect_for(url: str) -> Dialect:
    """What the service at ``url`` makes of the text notifier sends it."""
    scheme = url.partition("://")[0].lower()
    if format_for(url) == TEXT or scheme == "console":  # a terminal shows text as it is
        return "text"
    host = (urlsplit(url).hostname or "") if scheme in ("http", "https") else ""
    if scheme == "slack" or host in _SLACK_HOSTS:
        return "slack"
    if scheme == "discord" or host in _DISCORD_HOSTS:
        return "discord"
    if scheme == "tgram" or host in _TELEGRAM_HOSTS:
        return "telegram"
    return "markdown"


def escape(value: str, dialect: Dialect) -> str:
    """``value`` (text from X) written so that ``dialect`` shows exactly its characters."""
    if dialect == "text" or not value:
        return value
    escaped = value
    if dialect == "markdown":
        # First, while "&#39;" still reads as an entity. (Slack's converter writes
        # every & as &amp; itself; Discord and Telegram know no entities.)
        escaped = _ENTITY_START.sub("&amp;", escaped)
    anywhere = _TELEGRAM_ANYWHERE if dialect == "telegram" else _ANYWHERE
    escaped = anywhere.sub(lambda match: "\\" + match.group(0), escaped)
    if dialect != "slack":  # mrkdwn has no lists or headings to start
        escaped = _NUMBERED.sub(r"\1\\\2", escaped)
        escaped = _LINE_START.sub(r"\1\\\2", escaped)
    if dialect == "discord":
        escaped = escaped.replace("@", "@\u200b")
    return escaped


def render(text: str, dialect: Dialect, limit: int | None = None) -> str:
    """A marked ``text`` with its values from X escaped for ``dialect``, at most ``limit`` characters.

    Over the limit, the longest value from X is cut at a word (``…``) until the
    text fits; only when no value is left to cut is the whole text cut.
    """
    pieces = [[piece, untrusted] for piece, untrusted in segments(text)]
    shown = _join(pieces, dialect)
    if limit is None or len(shown) <= limit:
        return shown
    for _ in range(64):
        excess = len(shown) - limit
        if excess <= 0:
            return shown
        longest = max((p for p in pieces if p[1]), key=lambda p: len(p[0]), default=None)
        if longest is None or len(longest[0]) <= 1:
            break
        longest[0] = clip(longest[0], max(len(longest[0]) - excess - 1, 1))
        shown = _join(pieces, dialect)
    return shown if len(shown) <= limit else clip(shown, limit)


def _join(pieces: list[list[Any]], dialect: Dialect) -> str:
    if dialect == "text":
        pieces = _unbolded(pieces)
    return "".join(escape(piece, dialect) if untrusted else piece for piece, untrusted in pieces)


def _unbolded(pieces: list[list[Any]]) -> list[list[Any]]:
    """Template text without its ``**`` pairs, which may enclose values (``**{sender}:**``).

    Bold is the only Markdown notifier writes itself (a digest's rule names), and
    users write it in templates; a plain-text service would show the asterisks.
    Asterisks inside values from X are theirs and stay.
    """
    found = [(index, match.start()) for index, (piece, untrusted) in enumerate(pieces) if not untrusted
             for match in _BOLD_MARK.finditer(piece)]
    if len(found) % 2:
        found.pop()  # an unpaired ** is the user's literal text
    if not found:
        return pieces
    drop: dict[int, list[int]] = {}
    for index, start in found:
        drop.setdefault(index, []).append(start)
    out = []
    for index, (piece, untrusted) in enumerate(pieces):
        for start in reversed(drop.get(index, ())):
            piece = piece[:start] + piece[start + 2:]
        out.append([piece, untrusted])
    return out


def texts_of(alert: Alert) -> tuple[str, str]:
    """The alert's title and message with values from X marked, for :func:`render`.

    An alert whose marks no longer match its text (something rewrote the title
    and not the marks) is escaped whole: safe, if less pretty.
    """
    if alert.marked is None:
        return alert.title, alert.message
    title, message = alert.marked
    if (unmark(title), unmark(message)) == (alert.title, alert.message):
        return title, message
    return mark(alert.title), mark(alert.message)


def fit_plugin(plugin: Any, url: str, title: str, body: str, *, charts: bool = False) -> tuple[str, str]:
    """The marked ``title`` and ``body`` rendered for Apprise's ``plugin`` (the service at ``url``).

    The body is kept to the plugin's ``body_maxlen`` (less the title where the
    service puts both in one message, and room for sparklines when ``charts``);
    a title the service shows apart is kept to its ``title_maxlen``.
    """
    dialect = dialect_for(url)
    title_maxlen = int(getattr(plugin, "title_maxlen", 0) or 0)
    body_maxlen = int(getattr(plugin, "body_maxlen", 0) or 0) or None
    # Discord puts the title in the same Markdown content as the body.
    blended = title_maxlen <= 0 or dialect == "discord"
    title_dialect: Dialect = dialect if blended else "text"
    shown_title = render(title, title_dialect, title_maxlen if title_maxlen > 0 else None)
    if body_maxlen is not None:
        body_maxlen -= (len(shown_title) + 2) if blended and shown_title else 0
        body_maxlen -= _SPARKLINE_ROOM if charts else 0
        body_maxlen = max(body_maxlen, 1)
    return shown_title, render(body, dialect, body_maxlen)
