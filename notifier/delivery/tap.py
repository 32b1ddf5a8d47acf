"""Tap to open, and urgency a phone understands: an alert's link and priority as service URL parameters.

Each alert links to what it is about (the post, or the DM conversation). On
ntfy and Pushover that link becomes the notification's tap action and the
alert's urgency its priority; on ntfy an emoji tag also says what kind of
alert it is. Telegram has neither a tap URL nor priorities: its link stays in
the message, and a low-priority alert is sent silently.

Apprise takes these as parameters of the target's URL, so :func:`with_tap`
adds them to the URL of one send, and never one the user's URL already has:
their ``priority=high`` wins over ours. The result holds the user's secrets
like the URL it came from; it is handed to Apprise and never logged.

Pure: :mod:`.send` calls :func:`with_tap` with the :func:`tap_of` an alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import parse_qsl, urlencode

from ..alert import HEALTH_KIND, Alert

__all__ = ["Tap", "tap_of", "with_tap"]

Priority = Literal["max", "default", "low"]

# ntfy tags that are emoji short codes show as the emoji before the title.
_TAGS: Final[Mapping[str, str]] = {
    "when": "bell",
    "every": "tada",
    "milestones": "tada",
    "gain": "chart_with_upwards_trend",
    "message": "speech_balloon",
    "typing": "pencil2",
    "digest": "inbox_tray",
}
_HEALTH_TAGS: Final[Mapping[str, str]] = {"failure": "rotating_light", "success": "white_check_mark"}

# Each service's spelling of our priorities; a missing one is the service's default.
# Pushover's "emergency" repeats until acknowledged, which a rule should not
# impose: urgent is "high" there (a user's own priority=emergency still wins).
_NTFY_PRIORITY: Final[Mapping[str, str]] = {"max": "max", "low": "low"}
_PUSHOVER_PRIORITY: Final[Mapping[str, str]] = {"max": "high", "low": "moderate"}


@dataclass(frozen=True, slots=True)
class Tap:
    """What a tap opens, how urgent an alert is, and its ntfy tag."""

    click: str | None = None
    priority: Priority = "default"
    tag: str | None = None


def tap_of(alert: Alert) -> Tap:
    """``urgent`` rules at the highest priority, typing at low, everything else at the default."""
    priority: Priority = "max" if alert.urgent else "low" if alert.kind == "typing" else "default"
    url = alert.fields.get("url")
    click = url if isinstance(url, str) and url.startswith("https://") else None
    tag = _HEALTH_TAGS.get(alert.notify_type) if alert.kind == HEALTH_KIND else _TAGS.get(alert.kind)
    return Tap(click, priority, tag)


def with_tap(url: str, tap: Tap) -> str:
    """``url`` with the parameters of ``tap`` its service takes, never replacing one it has."""
    scheme = url.partition("://")[0].lower()
    given = _given(url)
    wanted: dict[str, str] = {}
    if scheme in ("ntfy", "ntfys"):
        wanted = _only({"click": tap.click, "priority": _NTFY_PRIORITY.get(tap.priority), "tags": tap.tag})
        if "xtags" in given:  # Apprise's other spelling of tags
            wanted.pop("tags", None)
    elif scheme == "pover":
        wanted = _only({"url": tap.click, "priority": _PUSHOVER_PRIORITY.get(tap.priority)})
    elif scheme == "tgram":
        wanted = _only({"silent": "yes" if tap.priority == "low" else None})
    extra = {name: value for name, value in wanted.items() if name not in given}
    if not extra:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(extra)}"


def _only(params: Mapping[str, str | None]) -> dict[str, str]:
    return {name: value for name, value in params.items() if value}


def _given(url: str) -> frozenset[str]:
    """The parameter names ``url`` already has, as Apprise reads them (any case)."""
    query = url.partition("?")[2]
    return frozenset(name.lower() for name, _ in parse_qsl(query, keep_blank_values=True))
