"""Charts on one send: one PNG attachment where the service takes them, a sparkline where not.

Whether a service takes attachments is Apprise's word: each plugin says so
in ``attachment_support``. Apprise's Slack plugin says yes in every mode but
uploads files only with a bot token (a webhook logs "Slack Webhooks do not
support attachments" and drops them), so a Slack webhook gets the sparkline.
An Apprise without the attribute (older than 1.6) is asked through the
schemes of :data:`FALLBACK_SCHEMES`.

Email gets the chart **inline** in its HTML body: Apprise's email plugin
embeds image attachments as ``multipart/related`` parts with a
``Content-ID`` and appends ``<img src="cid:NAME">`` to an HTML body for
each image not referenced yet, when the plugin's ``inline`` option is on
(apprise/plugins/email/base.py, ``inline=yes`` in the URL). notifier turns it
on for a send with charts unless the URL says ``inline=`` itself.

The PNGs are drawn here, at the edge, from the alert's stored samples (a
retry draws them again). Apprise's file attachments work with every plugin,
while some plugins read a memory attachment's path as a file name: so the
PNG is written to a temporary folder that lives exactly as long as the send,
except for the services of :data:`MEMORY_SCHEMES`, whose plugins read an
attachment only through its content (json:// and ntfy://, checked in
Apprise's source and held to the same request as a file's by the tests): they
get it from memory, which saves the folder, the write and the read (0.6 ms of
an alert's 1.9 ms of chart, measured for issue 26).

:func:`predraw` starts drawing an alert's PNG on a thread of its own once the
outbox has written the alert's rows, just before their commit: most of a
chart's time is Pillow's PNG encoder and zlib, which let go of the GIL, as
SQLite does while it waits for the disk, so the two overlap and the send finds
its PNG drawn. Started before the rows are written, the drawing's Python part
took the GIL from that writing (0.35 ms an alert). The send uses
the very bytes :func:`draw` would give (it is the same call), and draws them
itself when the drawing ahead failed or was evicted.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

from ..alert import Chart

__all__ = ["FALLBACK_SCHEMES", "MEMORY_SCHEMES", "attached", "predraw", "predraw_all", "takes_attachments"]

# Services that take attachments, for an Apprise whose plugins do not say.
FALLBACK_SCHEMES: Final = frozenset(
    {"mailto", "mailtos", "tgram", "ntfy", "ntfys", "pover", "discord", "json", "jsons"}
)

_EMAIL: Final = frozenset({"mailto", "mailtos"})
# Plugins that read an attachment only through open()/base64()/name/mimetype, never its
# path on disk: a memory attachment sends the very same request as a file would.
MEMORY_SCHEMES: Final = frozenset({"json", "jsons", "ntfy", "ntfys"})

log = logging.getLogger(__name__)

# PNGs drawn ahead (predraw), newest last: a few alerts' worth, each a few KB.
_AHEAD = 16
_ahead: OrderedDict[tuple[Chart, ...], Future[bytes]] = OrderedDict()
_ahead_lock = threading.Lock()
_painter: ThreadPoolExecutor | None = None


def predraw(charts: tuple[Chart, ...]) -> None:
    """Start drawing the PNG of ``charts`` on the chart thread, for the sends that follow."""
    global _painter
    if not charts:
        return
    with _ahead_lock:
        if charts in _ahead:
            _ahead.move_to_end(charts)
            return
        if _painter is None:
            # One thread: drawing is CPU work, and it only has to be done before the send.
            _painter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notifier-chart")
        _ahead[charts] = _painter.submit(_draw, charts)
        while len(_ahead) > _AHEAD:
            _ahead.popitem(last=False)


def predraw_all(pictured: list[tuple[Chart, ...]]) -> None:
    """:func:`predraw` each; never raises: a send draws what was not drawn ahead (inside the outbox's commit)."""
    try:
        for charts in pictured:
            predraw(charts)
    except Exception:  # noqa: BLE001 - drawing ahead is only a head start
        log.debug("cannot draw the charts ahead; the send draws them", exc_info=True)


def _draw(charts: tuple[Chart, ...]) -> bytes:
    from ..charts.png import draw, draw_grid

    return draw(charts[0]) if len(charts) == 1 else draw_grid(charts)


def _png_of(charts: tuple[Chart, ...], *, ahead: bool = True) -> bytes:
    """The PNG of ``charts``: the one drawn ahead if there is one, else drawn now."""
    if ahead:
        with _ahead_lock:
            future = _ahead.get(charts)
        if future is not None:
            with contextlib.suppress(Exception):  # drawn again below, where a failure is logged
                return future.result()
    return _draw(charts)


def _schemes(plugin: Any) -> set[str]:
    found: set[str] = set()
    for name in ("protocol", "secure_protocol"):
        value = getattr(plugin, name, None)
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, (tuple, list)):
            found.update(str(item) for item in value)
    return found


def takes_attachments(plugin: Any) -> bool:
    """Whether Apprise's ``plugin`` delivers the files attached to a notification."""
    support = getattr(plugin, "attachment_support", None)
    if support is None:
        return bool(_schemes(plugin) & FALLBACK_SCHEMES)
    if "slack" in _schemes(plugin) and str(getattr(plugin, "mode", "")).lower() != "bot":
        return False
    return bool(support)


@contextlib.contextmanager
def attached(
    plugin: Any, url: str, body: str, charts: tuple[Chart, ...], *, memory: bool = True
) -> Iterator[tuple[str, Any]]:
    """The body and the Apprise attachments of a send with ``charts``; the files are gone after.

    Without charts: the body as it is and no attachments. A service without
    attachments: the body with one sparkline line per chart, no attachments.
    ``memory=False`` draws the PNG now and writes it to a file for every service (the tests' plain path).
    """
    if not charts:
        yield body, None
        return
    if not takes_attachments(plugin) or _split_by_caption(plugin, body):
        from ..charts.sparkline import sparkline

        yield "\n".join([body, *(sparkline(chart) for chart in charts)]), None
        return
    from apprise import AppriseAttachment

    if _schemes(plugin) & _EMAIL and "inline=" not in url.partition("?")[2]:
        plugin.inline = True
    if _schemes(plugin) & MEMORY_SCHEMES and memory:
        yield body, _in_memory(charts)
        return
    with tempfile.TemporaryDirectory(prefix="notifier-chart-") as folder:
        attachment = AppriseAttachment()
        try:
            # One file, always: ntfy, Pushover, Telegram and Slack send each attachment as a
            # notification of its own, seconds apart (Apprise's throttle), and a crash between
            # them sent the whole alert again. Several posts' charts become one grid.
            path = Path(folder) / _file_name(charts)
            path.write_bytes(_png_of(charts, ahead=memory))
            attachment.add(str(path))
        except Exception:  # a chart is a picture on top of the alert, never a reason to lose it
            log.exception("cannot draw the chart of an alert; it is sent without it")
            attachment = None
        yield body, attachment


def _in_memory(charts: tuple[Chart, ...]) -> Any:
    """The one PNG as an Apprise memory attachment, named and typed as its file would be; None if it cannot be drawn."""
    from apprise import AppriseAttachment
    from apprise.attachment.memory import AttachMemory

    try:
        png = _png_of(charts)
    except Exception:  # a chart is a picture on top of the alert, never a reason to lose it
        log.exception("cannot draw the chart of an alert; it is sent without it")
        return None
    return AppriseAttachment(AttachMemory(content=png, name=_file_name(charts), mimetype="image/png"))


def _split_by_caption(plugin: Any, body: str) -> bool:
    """Whether the picture would go as a message of its own: Telegram puts the text under a
    photo only up to its caption limit (1,024 characters), and sends a longer text (a long
    digest) apart from the photo. A sparkline keeps the notification in one piece."""
    limit = getattr(plugin, "telegram_caption_maxlen", None)
    return isinstance(limit, int) and len(body) >= limit


def _file_name(charts: tuple[Chart, ...]) -> str:
    # The name people see on the attachment: the count it shows, or "charts" for a grid of posts.
    return f"{charts[0].field}.png" if len(charts) == 1 else "charts.png"
