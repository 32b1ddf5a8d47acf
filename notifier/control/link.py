"""The control topic: an ntfy URL as the rule file gives it, read into where to publish and subscribe.

The rule file names the control topic the way it names targets, as an
Apprise ntfy URL: ``ntfys://ntfy.sh/TOPIC``, ``ntfy://host:8080/TOPIC`` (plain
HTTP, for a server on your own network), the short ``ntfys://TOPIC`` (ntfy.sh)
or ``https://ntfy.sh/TOPIC``; ``user:password@`` or ``?token=`` for a server
that needs them. The topic is a secret: :class:`ControlLink` keeps the URL out
of its repr, and what may be printed is :attr:`ControlLink.shown`.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlsplit

__all__ = ["ControlLink", "read_link"]

_CLOUD = "https://ntfy.sh"
# ntfy's own rule for a topic name.
_TOPIC = re.compile(r"^[-_A-Za-z0-9]{1,64}$")
_SCHEMES = {"ntfy": "http", "ntfys": "https", "http": "http", "https": "https"}


@dataclass(frozen=True, slots=True)
class ControlLink:
    """Where the control topic lives: ``server`` (``https://ntfy.sh``) and ``topic``; ``auth`` an Authorization value."""

    server: str
    topic: str = field(repr=False)
    auth: str | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """``https://ntfy.sh/TOPIC``: what a button publishes to (holds the secret topic)."""
        return f"{self.server}/{quote(self.topic, safe='')}"

    @property
    def json_url(self) -> str:
        """``https://ntfy.sh/TOPIC/json``: ntfy's streaming JSON subscription."""
        return f"{self.url}/json"

    @property
    def shown(self) -> str:
        """``https://ntfy.sh/c...l``: what check and the logs may print."""
        topic = self.topic
        return f"{self.server}/{topic[0]}...{topic[-1]}" if len(topic) > 2 else f"{self.server}/***"

    def __repr__(self) -> str:
        return f"ControlLink({self.shown!r})"


def read_link(url: str) -> ControlLink | str:
    """The control topic ``url`` names, or why it names none (never echoing the URL)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return "the URL's port is not a number from 1 to 65535"
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        shown = f"'{scheme}://'" if scheme else "no scheme"
        return f"it must be an ntfy URL (ntfys://, ntfy://, https://), not {shown}"
    host = parts.hostname or ""
    segments = [unquote(segment) for segment in parts.path.split("/") if segment]
    if scheme in ("ntfy", "ntfys") and not segments and port is None:
        # Apprise's short form ntfys://TOPIC: the topic on ntfy.sh.
        server, segments = _CLOUD, [unquote(parts.netloc.rpartition("@")[2])]
    elif not host:
        return "the URL names no server"
    else:
        shown_host = f"[{host}]" if ":" in host else host
        server = f"{_SCHEMES[scheme]}://{shown_host}" + (f":{port}" if port else "")
    if len(segments) != 1 or not _TOPIC.match(segments[0]):
        return "it must name one topic (letters, digits, - and _, at most 64), as in ntfys://ntfy.sh/TOPIC"
    auth = None
    token = dict(parse_qsl(parts.query)).get("token")
    if token:
        auth = f"Bearer {token}"
    elif parts.username:
        user, password = unquote(parts.username or ""), unquote(parts.password or "")
        if user and password:
            auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        elif user:
            auth = f"Bearer {user}"  # Apprise's ntfy://TOKEN@host/topic
    return ControlLink(server, segments[0], auth)
