"""Buttons on an ntfy notification: "Open", and "Mute 1 h" that publishes ``mute 1h`` to the control topic.

ntfy shows up to three action buttons under a notification, given in its
``X-Actions`` header in the simple form
``view, Open, https://…; http, Mute 1 h, https://ntfy.sh/TOPIC, method=POST, body=mute 1h``.
Apprise's ntfy plugin passes an ``actions=`` parameter of the target's URL
through as that header, so :func:`with_actions` adds one to the URL of one
send, never when the user's URL has its own (theirs wins).

Apprise decodes the parameter twice (its query parser unquotes every value,
then the ntfy plugin unquotes ``actions`` again), and its query parser also
splits on ``;``: the header is therefore percent-encoded twice, so a ``;``
between buttons, or a ``%`` in a link, arrives as written.

An alert gets "Open" (its post or conversation, what a tap opens too) and,
when the rule file names a control topic, "Mute 1 h"; a digest gets "Mute
until tomorrow" (``mute until 07:00``) instead. notifier's own health alerts
are never muted, so they carry no mute button. The URL returned holds the
user's secrets and the control topic: it goes to Apprise only, never to a log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal
from urllib.parse import parse_qsl, quote

from ..alert import HEALTH_KIND, Alert
from ..control.link import ControlLink

__all__ = ["DIGEST_MUTE", "MUTE", "Button", "buttons_for", "header_value", "with_actions"]

# What a button publishes, in the words notifier.control.commands reads.
MUTE: Final = "mute 1h"
DIGEST_MUTE: Final = "mute until 07:00"
_DIGEST_KIND = "digest"
_NO_MUTE_KINDS = frozenset({HEALTH_KIND, "status"})


@dataclass(frozen=True, slots=True)
class Button:
    """One ntfy action: ``view`` opens ``url``; ``http`` sends ``body`` to it with POST."""

    kind: Literal["view", "http"]
    label: str
    url: str = field(repr=False)
    body: str | None = None
    auth: str | None = field(default=None, repr=False)


def buttons_for(alert: Alert, control: ControlLink | None) -> tuple[Button, ...]:
    """The buttons of ``alert``: Open when it links somewhere, a mute button when there is a control topic."""
    buttons: list[Button] = []
    url = alert.fields.get("url")
    if isinstance(url, str) and url.startswith("https://"):
        buttons.append(Button("view", "Open", url))
    if control is not None and alert.kind not in _NO_MUTE_KINDS:
        if alert.kind == _DIGEST_KIND:
            buttons.append(Button("http", "Mute until tomorrow", control.url, DIGEST_MUTE, control.auth))
        else:
            buttons.append(Button("http", "Mute 1 h", control.url, MUTE, control.auth))
    return tuple(buttons)


def header_value(buttons: tuple[Button, ...]) -> str:
    """The ``X-Actions`` header for ``buttons``, in ntfy's simple form."""
    actions = []
    for button in buttons:
        words = [button.kind, _quoted(button.label), _quoted(button.url)]
        if button.kind == "http":
            words += ["method=POST", f"body={_quoted(button.body or '')}"]
            if button.auth:
                words.append(f"headers.Authorization={_quoted(button.auth)}")
            words.append("clear=true")  # the notification goes away once muted
        actions.append(", ".join(words))
    return "; ".join(actions)


def with_actions(url: str, buttons: tuple[Button, ...]) -> str:
    """``url`` with ``buttons`` as its ``actions=`` parameter, if it is an ntfy URL without one of its own."""
    if not buttons or url.partition("://")[0].lower() not in ("ntfy", "ntfys"):
        return url
    query = url.partition("?")[2]
    if any(name.lower() == "actions" for name, _ in parse_qsl(query, keep_blank_values=True)):
        return url
    encoded = quote(quote(header_value(buttons), safe=""), safe="")
    return f"{url}{'&' if '?' in url else '?'}actions={encoded}"


def _quoted(value: str) -> str:
    """A value as ntfy's simple form reads it: in quotes when it holds a comma, semicolon or quote."""
    if not any(char in value for char in ",;\"'"):
        return value
    if '"' not in value:
        return f'"{value}"'
    return f"'{value}'" if "'" not in value else value.replace(",", "%2C").replace(";", "%3B")
