"""Listening to the control topic: ntfy's streaming JSON subscription, with httpx, for as long as notifier runs.

``GET <server>/<topic>/json`` answers with one JSON object per line, forever:
``{"event": "open"}`` first, then a ``message`` event for each message
published (``{"id", "time", "event": "message", "topic", "message"}``) and a
``keepalive`` now and then (every 45 s on ntfy.sh). Without ``since=`` only
new messages come, so a command published before notifier started is never
replayed; after a lost connection the subscription asks ``since=`` the last
message it saw (or the moment it first subscribed), so a command sent during
the outage is still obeyed, once. Any message older than the first
subscription is ignored all the same.

A lost connection is retried with the shared backoff
(:func:`~notifier.backoff.backoff_delay`, 1 s doubling to 60 s); an outage is
logged once, when it starts. Each line is bounded, and a line that is not a
JSON object is skipped: whatever the server sends, this task never fails.
Only the topic's masked form (:attr:`ControlLink.shown`) is ever logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Final

from ..backoff import backoff_delay
from .link import ControlLink

__all__ = ["ControlSubscriber"]

log = logging.getLogger(__name__)

# A command is a few words; ntfy's own messages are at most 4 KB. A longer line is not read.
MAX_LINE: Final = 16 * 1024
# ntfy sends a keepalive every 45 s: twice that without a byte means the connection is gone.
READ_TIMEOUT: Final = 100.0
_RECONNECT_INITIAL = 1.0
_RECONNECT_MAX = 60.0
# Ids of recent messages: one seen twice (a reconnect's since=) is obeyed once.
_SEEN = 256


class ControlSubscriber:
    """Calls ``on_command(text)`` for each new message on the control topic; ``run`` it as a task.

    ``clock`` gives epoch seconds (ntfy's ``time`` is whole seconds);
    ``read_timeout`` is how long a silent connection is trusted.
    """

    def __init__(
        self,
        link: ControlLink,
        on_command: Callable[[str], None],
        *,
        clock: Callable[[], float] = time.time,
        read_timeout: float = READ_TIMEOUT,
        transport: Any = None,
    ) -> None:
        self._link = link
        self._on_command = on_command
        self._clock = clock
        self._read_timeout = read_timeout
        self._transport = transport
        self._started: int | None = None
        self._last_id: str | None = None
        self._seen: deque[str] = deque(maxlen=_SEEN)
        self._reconnecting = False
        self._skip_rest = False  # the line under way grew past MAX_LINE: drop it up to its end
        self.connected = False
        self.ignored = 0  # lines that were no JSON object, or too long

    @property
    def link(self) -> ControlLink:
        return self._link

    def __repr__(self) -> str:
        return f"ControlSubscriber({self._link.shown!r}, connected={self.connected})"

    async def run(self) -> None:
        """Subscribe until cancelled, reconnecting with backoff."""
        import httpx  # noqa: PLC0415 - only a run with a control block loads it

        timeout = httpx.Timeout(10.0, read=self._read_timeout)
        failures = 0
        down_since: float | None = None
        async with httpx.AsyncClient(timeout=timeout, transport=self._transport) as client:
            while True:
                try:
                    async for _ in self._subscribe(client):
                        # The stream is open (its first event): an outage, if any, is over.
                        if down_since is not None:
                            log.info("control topic %s: subscribed again after %.0f s", self._link.shown,
                                     time.monotonic() - down_since, extra={"event": "control_connected"})
                        else:
                            log.info("control topic %s: subscribed", self._link.shown,
                                     extra={"event": "control_connected"})
                        failures = 0
                        down_since = None
                    reason = "the server ended the stream"
                except (httpx.HTTPError, OSError) as exc:
                    reason = _reason(exc)
                self.connected = False
                if down_since is None:
                    down_since = time.monotonic()
                    log.warning("control topic %s: %s; subscribing again in the background", self._link.shown,
                                reason, extra={"event": "control_down"})
                delay = backoff_delay(failures, initial=_RECONNECT_INITIAL, maximum=_RECONNECT_MAX,
                                      jitter_from=0.5, jitter_span=0.5, draw=random.random())
                failures += 1
                await asyncio.sleep(delay)

    async def _subscribe(self, client: Any):  # noqa: ANN202 - an async generator of "open" moments
        import httpx  # noqa: PLC0415

        if self._started is None:
            self._started = int(self._clock())
        params = {}
        if self._last_id is not None:
            params["since"] = self._last_id
        elif self._reconnecting:
            params["since"] = str(self._started)
        headers = {"Authorization": self._link.auth} if self._link.auth else {}
        self._reconnecting = True
        async with client.stream("GET", self._link.json_url, params=params, headers=headers) as response:
            if response.status_code != 200:
                raise httpx.HTTPStatusError(f"ntfy answered {response.status_code}", request=response.request,
                                            response=response)
            buffer = b""
            async for chunk in response.aiter_bytes():
                buffer += chunk
                while b"\n" in buffer:
                    line, _, buffer = buffer.partition(b"\n")
                    if self._line(line) == "open":
                        self.connected = True
                        yield None
                if len(buffer) > MAX_LINE:
                    self.ignored += 1
                    buffer = b""  # the rest of that line is dropped with it
                    self._skip_rest = True

    def _line(self, raw: bytes) -> str | None:
        """Handle one line of the stream; its event name (None when it is not an object)."""
        if self._skip_rest:
            self._skip_rest = False
            return None
        if not raw.strip():
            return None
        try:
            event: Any = json.loads(raw)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            self.ignored += 1
            log.debug("control topic: skipped a line that is not a JSON object")
            return None
        kind = event.get("event")
        if kind != "message":
            return kind if isinstance(kind, str) else None
        message_id, sent_at, text = event.get("id"), event.get("time"), event.get("message")
        if isinstance(message_id, str):
            if message_id in self._seen:
                return kind
            self._seen.append(message_id)
            self._last_id = message_id
        started = self._started or 0
        if not isinstance(sent_at, (int, float)) or isinstance(sent_at, bool) or sent_at < started:
            log.info("control topic: ignored a message from before notifier subscribed",
                     extra={"event": "control_ignored"})
            return kind
        try:
            self._on_command(text if isinstance(text, str) else "")
        except Exception:  # noqa: BLE001 - a command that fails must not end the subscription
            log.exception("control topic: obeying a message failed")
        return kind


def _reason(exc: BaseException) -> str:
    """The error in our words; httpx's own may hold the URL, and with it the secret topic."""
    import httpx  # noqa: PLC0415

    if isinstance(exc, httpx.HTTPStatusError):
        return str(exc.args[0]) if exc.args else "ntfy refused the subscription"
    if isinstance(exc, httpx.TimeoutException):
        return "no keepalive from the server in time"
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect to the server"
    return f"the connection failed ({type(exc).__name__})"
