"""One notification to one target URL, and what the service said about it.

:func:`send_once` sends plain ``console://`` URLs itself (:mod:`.console`) and
every other URL through Apprise, which is imported only then: loading it and
its plugins takes most of a second, which a dry run should not pay.

Each Apprise send builds a fresh Apprise plugin from the URL. Apprise throttles
per plugin object (5.5 s between requests for ntfy, email, Pushover and
others): reusing one object would queue a burst of alerts behind that pause,
while a fresh object has no previous request to wait for. Only the plugins of
:data:`REUSABLE_SCHEMES` (json, form, xml: Apprise never throttles them, and
notifier changes nothing on them per send) are kept per URL and reused, one
send at a time each, which saves building one (0.3 ms an alert). Retries are the
outbox's job, so Apprise's own (off unless the URL asks for ``retry=``) are left
as they are.

The deliverer passes each send a :class:`~.lanes.Slot` of its target: the
blocking Apprise work then runs on a thread of that target's own (see
:mod:`.lanes`) with a hard deadline, instead of in Apprise's shared pool; a send that
outlives it is reported as what it is ("timed out reading the reply after
30 s").

The outcome comes from Apprise's per-service result (``AppriseResult`` in
Apprise 2.x): sent when the service reports SUCCESS, else failed with the
warnings Apprise captured for that service as the reason, secrets masked.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import threading
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Final

from ..backoff import backoff_delay
from ..logs import secret_filter
from ..untrusted import unmark
from . import console
from .formats import format_for
from .attach import attached
from .actions import buttons_for
from .render import fit_plugin, texts_of
from .outcome import SendOutcome
from .tap import tap_of, with_tap

if TYPE_CHECKING:
    from .actions import Button
    from apprise.result import AppriseResult

    from ..alert import Alert, Chart
    from ..control.link import ControlLink
    from .lanes import Slot
    from .tap import Tap
    from .targets import Target

__all__ = [
    "BODY_FORMAT", "NOTIFY_TYPES", "REUSABLE_SCHEMES", "SendOutcome", "retry_delay", "send_alert", "send_once",
]

log = logging.getLogger(__name__)

# Alerts are written in Markdown: Apprise turns it into HTML for email, into
# Slack's mrkdwn for Slack, and passes it to services that speak Markdown.
# (Apprise's NotifyFormat.MARKDOWN is this string.)
BODY_FORMAT: Final = "markdown"

# Apprise's NotifyType values; any other type is sent as info.
NOTIFY_TYPES: Final = frozenset({"info", "success", "warning", "failure"})
_MAX_REASON = 500

# Services whose Apprise plugin has no throttle (request_rate_per_sec 0) and no
# state a send leaves behind: an idle one is reused for the next send to its URL.
REUSABLE_SCHEMES: Final = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})
# At most this many URLs kept, each with at most _KEPT_PER_URL idle objects (a target's slots).
_KEPT_URLS = 64
_KEPT_PER_URL = 4
_kept: dict[str, list[Any]] = {}
_kept_lock = threading.Lock()


def send_alert(
    alert: Alert, target: Target, *, slot: Slot, timeout: float, control: ControlLink | None
) -> Awaitable[SendOutcome] | SendOutcome:
    """Send one outbox row's alert to its target, as :func:`send_once` does (started by the call itself)."""
    try:
        # Values from X stay marked up to the send, which escapes them per service (.render).
        title, body = texts_of(alert)
        return send_once(
            target.url,
            title=title,
            body=body,
            notify_type=alert.notify_type,
            timeout=timeout,
            # A console prints the alert's own time, as `notifier replay` does, not
            # when group_wait, quiet hours or a retry let it out.
            now=alert.ts,
            slot=slot,
            tap=tap_of(alert),
            buttons=buttons_for(alert, control),
            charts=alert.charts if target.chart else (),
        )
    except Exception as exc:  # noqa: BLE001 - send_once should not raise; never lose the row
        log.exception("sending to %s raised", target)
        return SendOutcome(False, f"internal error: {type(exc).__name__}", "FAILURE")


def send_once(
    url: str,
    *,
    title: str,
    body: str,
    notify_type: str = "info",
    timeout: float = 30.0,
    body_format: str | None = None,
    now: float | None = None,
    slot: Slot | None = None,
    tap: Tap | None = None,
    charts: tuple[Chart, ...] = (),
    buttons: tuple[Button, ...] = (),
) -> Awaitable[SendOutcome]:
    """Send one notification: await what it returns for the outcome; never raises for a failed send.

    With ``slot`` the send is handed to the slot's thread by the call itself,
    before anything is awaited (on the event loop), so it is under way while
    the caller finishes what it was doing (the deliverer saves the rules' state
    meanwhile, 0.3 ms of every alert).

    ``timeout`` bounds the whole call: a service that hangs is reported as
    failed after it (Apprise stops waiting; the URL's own ``cto``/``rto``
    socket timeouts end the request itself). ``now`` is the time a console
    target prints (default: the wall clock). With ``slot`` the Apprise work
    runs on that slot's own thread, which keeps the slot until it ends.
    ``tap`` (the alert's link and urgency) becomes the service's URL
    parameters; ``body_format`` None lets :mod:`.formats` choose per service.
    ``charts`` go as PNG attachments, or as sparklines in the body (:mod:`.attach`);
    ``console://`` shows neither. ``buttons`` become an ntfy URL's ``actions=`` (:mod:`.actions`).
    ``title`` and ``body`` may mark values from X
    (:mod:`notifier.untrusted`): :mod:`.render` escapes them for the service.
    """
    kind = notify_type if notify_type in NOTIFY_TYPES else "info"
    if console.label_of(url) is not None:
        title, body = unmark(title), unmark(body)
        return console.send(
            url, title=title, body=body or title, notify_type=kind, now=time.time() if now is None else now
        )
    url, body, body_format = _dressed(url, body, tap, body_format, buttons)
    if slot is not None:
        work = functools.partial(
            _notify_blocking, url, title=title, body=body, notify_type=kind, body_format=body_format, charts=charts,
        )
        return _outcome_of(slot.start(work), timeout)
    return _send_apprise(
        url, title=title, body=body, notify_type=kind, timeout=timeout, body_format=body_format, charts=charts,
    )


async def _outcome_of(done: asyncio.Future[SendOutcome], timeout: float) -> SendOutcome:
    try:
        async with asyncio.timeout(timeout):
            return await asyncio.shield(done)
    except TimeoutError:
        # The thread reads on, holding the target's slot; the row is retried after its backoff.
        return SendOutcome(False, f"timed out reading the reply after {timeout:g} s", "TIMEOUT")


def _dressed(
    url: str, body: str, tap: Tap | None, body_format: str | None, buttons: tuple[Button, ...] = ()
) -> tuple[str, str, str]:
    """The URL with the alert's tap parameters and buttons, and the format its service renders.

    The URL returned holds the same secrets as ``url``: it goes to Apprise only, never to a log.
    The body is rendered for the service once its Apprise plugin is known (:func:`_rendered`).
    """
    if tap is not None:
        url = with_tap(url, tap)
    if buttons:
        from .actions import with_actions

        url = with_actions(url, buttons)
    return url, body, body_format or format_for(url)


def _rendered(plugin: Any, url: str, title: str, body: str, charts: tuple[Chart, ...]) -> tuple[str, str]:
    # Values from X escaped for the service, the body kept to what the service takes.
    return fit_plugin(plugin, url, title, body, charts=bool(charts))


@functools.cache
def _asset() -> Any:
    # One asset for every send: it only holds settings, and building one per send is waste.
    from .console_apprise import apprise

    return apprise.AppriseAsset()


@functools.cache
def _blocking_asset() -> Any:
    # Every service inline in the calling thread (no async_mode), with no deadline of
    # Apprise's own: the slot's thread is the one place the send runs, and its caller
    # keeps the deadline.
    from .console_apprise import apprise

    return apprise.AppriseAsset(async_mode=False, service_timeout=0)


def _apprise_for(url: str, asset: Any) -> Any:
    """An Apprise object with the one service ``url`` names, or the failed outcome saying it cannot.

    Built afresh for each send: see the module docstring on Apprise's per-object throttle.
    """
    from .console_apprise import apprise

    plugin = apprise.Apprise.instantiate(url, asset=asset)
    if plugin is None:
        return SendOutcome(False, "Apprise cannot load this URL (run notifier check on the rule file)", "FAILURE")
    notifier = apprise.Apprise(asset=asset)
    notifier.add(plugin)
    return notifier


def _take(url: str, asset: Any, *, reuse: bool) -> Any:
    """An idle kept Apprise object for ``url``, else a fresh one (or the failed outcome)."""
    if reuse:
        with _kept_lock:
            idle = _kept.get(url)
            if idle:
                return idle.pop()
    return _apprise_for(url, asset)


def _give_back(url: str, notifier: Any) -> None:
    """Keep ``notifier`` for the next send to ``url`` if its service is never throttled."""
    scheme = url.partition("://")[0].lower()
    if scheme not in REUSABLE_SCHEMES or getattr(notifier[0], "request_rate_per_sec", 1) > 0:
        return
    with _kept_lock:
        idle = _kept.get(url)
        if idle is None and len(_kept) < _KEPT_URLS:
            idle = _kept[url] = []
        if idle is not None and len(idle) < _KEPT_PER_URL:
            idle.append(notifier)


def _notify_blocking(
    url: str, *, title: str, body: str, notify_type: str, body_format: str, charts: tuple[Chart, ...] = (),
    reuse: bool = True,
) -> SendOutcome:
    """One send, start to finish, in the calling thread (the charts' files live as long as it).

    ``reuse=False`` builds a fresh Apprise object even where one is kept (the tests' plain path).
    """
    notifier = _take(url, _blocking_asset(), reuse=reuse)
    if isinstance(notifier, SendOutcome):
        return notifier
    try:
        title, body = _rendered(notifier[0], url, title, body, charts)
        with attached(notifier[0], url, body, charts) as (full_body, attach):
            result = notifier.notify(
                body=full_body or title, title=title, notify_type=notify_type, body_format=body_format, attach=attach,
            )
    except Exception as exc:  # noqa: BLE001 - a failed send is a result, not an exception
        return SendOutcome(False, _clean(f"Apprise raised {type(exc).__name__}: {exc}"), "FAILURE")
    # Only after a send that ended normally: an object that raised is not trusted again.
    _give_back(url, notifier)
    with result:
        return outcome_of(result)


async def _send_apprise(
    url: str, *, title: str, body: str, notify_type: str, timeout: float, body_format: str,
    charts: tuple[Chart, ...] = (),
) -> SendOutcome:
    # With console:// registered: a console URL with options is Apprise's to send.
    notifier = _apprise_for(url, _asset())
    if isinstance(notifier, SendOutcome):
        return notifier
    try:
        title, body = _rendered(notifier[0], url, title, body, charts)
        with attached(notifier[0], url, body, charts) as (full_body, attach):
            result = await notifier.async_notify(
                body=full_body or title,
                title=title,
                notify_type=notify_type,
                body_format=body_format,
                timeout=timeout,
                attach=attach,
            )
    except Exception as exc:  # noqa: BLE001 - a failed send is a result, not an exception
        return SendOutcome(False, _clean(f"Apprise raised {type(exc).__name__}: {exc}"), "FAILURE")
    with result:
        return outcome_of(result)


def outcome_of(result: AppriseResult) -> SendOutcome:
    """Read one Apprise result: SUCCESS is sent, anything else failed with Apprise's words."""
    from apprise.result import AppriseResultStatus

    if result.status == AppriseResultStatus.SUCCESS:
        return SendOutcome(True, "", result.status.name)
    messages: list[str] = []
    for service in result:
        for entry in service.logs():
            if entry.level in ("WARNING", "ERROR", "CRITICAL") and entry.message not in messages:
                messages.append(entry.message)
        if not messages and not service:
            messages.append(f"{service.name} reported {service.status.name.lower()}")
    for entry in result.call_logs():
        if entry.level in ("WARNING", "ERROR", "CRITICAL") and entry.message not in messages:
            messages.append(entry.message)
    if not messages:
        messages.append(
            "Apprise found nothing to notify"
            if result.status == AppriseResultStatus.NOMATCH
            else f"Apprise reported {result.status.name.lower()}"
        )
    return SendOutcome(False, _clean("; ".join(messages)), result.status.name)


def retry_delay(
    attempt: int,
    *,
    first: float = 1.0,
    cap: float = 300.0,
    jitter: float = 0.2,
    rand: random.Random | None = None,
) -> float:
    """Seconds to wait after the ``attempt``-th failure: 1 s doubling, at most 5 min.

    Jitter takes up to ``jitter`` (20 %) off, so targets that failed together
    do not all retry in the same instant; the cap is never exceeded.
    """
    return backoff_delay(
        attempt - 1, initial=first, maximum=cap,
        jitter_from=1.0, jitter_span=-jitter, draw=(rand or random).random(),
    )


def _clean(text: str) -> str:
    text = " ".join(secret_filter().scrub(text).split())
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"
