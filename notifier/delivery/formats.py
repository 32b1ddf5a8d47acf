"""Which body format each service gets: Markdown where it is rendered, plain text elsewhere.

notifier writes its alerts in a little Markdown (a digest's rule names in
``**bold**``). A service that renders Markdown gets it as Markdown: Apprise
turns it into Slack's mrkdwn, Telegram's and Discord's Markdown, Pushover's
HTML, an email's HTML part. A service that shows text as it is (ntfy's phone
app, SMS, most push services) would show the asterisks, so it gets plain text
with notifier's own Markdown taken out. ``json://``, ``xml://`` and ``form://``
are read by programs, which get the Markdown source unchanged, and
``console://`` prints as it always has.

This is the one place that decides the format; :mod:`.send` asks it once per
send, and :mod:`.render` writes the body for it (taking notifier's own bold
out for plain text, escaping values from X for the rest).
"""

from __future__ import annotations

from typing import Final, Literal
from urllib.parse import urlsplit

__all__ = ["MARKDOWN", "TEXT", "format_for"]

# Apprise's NotifyFormat values.
MARKDOWN: Final = "markdown"
TEXT: Final = "text"

Format = Literal["markdown", "text"]

# Services that render Markdown (or HTML that Apprise makes from it).
_RENDERED = frozenset({"slack", "tgram", "discord", "pover", "mailto", "mailtos"})
# Web-hook URLs that Apprise recognises as one of those services.
_RENDERED_HOSTS = frozenset({"hooks.slack.com", "discord.com", "discordapp.com", "api.telegram.org"})
# Read by programs or printed by notifier itself: the source goes as it is.
_SOURCE = frozenset({"json", "jsons", "xml", "xmls", "form", "forms", "console"})


def format_for(url: str) -> Format:
    """``markdown`` for a service that renders it or a program that reads the source, else ``text``."""
    scheme = url.partition("://")[0].lower()
    if scheme in _RENDERED or scheme in _SOURCE:
        return MARKDOWN
    if scheme in ("http", "https") and (urlsplit(url).hostname or "") in _RENDERED_HOSTS:
        return MARKDOWN
    return TEXT
