"""Apprise, with ``console://`` registered for the URLs Apprise reads itself.

Importing this module registers the schema with Apprise (through
``apprise.decorators.notify``); code that needs Apprise imports it from here
(``from .console_apprise import apprise``), so no URL Apprise reads misses it:
an Apprise config file (``targets_from:``) may list console URLs, and a console
URL with options is Apprise's to apply. Plain ``console://[NAME]`` URLs never
come here: :mod:`.console` sends them. A send through Apprise prints the wall
clock's time, since Apprise has no way to carry the caller's ``now`` to it.
"""

from __future__ import annotations

import time
from typing import Any

import apprise
from apprise.common import NotifyFormat
from apprise.decorators import notify

from .console import SCHEMA, format_alert, write_alert

__all__ = ["apprise"]


# TEXT: HTML is turned into text for us; Markdown reaches us as written, which
# reads well on a terminal.
@notify(on=SCHEMA, name="Console (standard output)", body_format=NotifyFormat.TEXT)
def _print_alert(body: str, title: str, notify_type: str, *args: Any, **kwargs: Any) -> bool:
    meta = kwargs.get("meta") or {}
    write_alert(format_alert(title or "", body or "", time.time(), label=meta.get("host") or None))
    return True
