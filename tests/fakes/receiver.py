"""An HTTP server on 127.0.0.1 for Apprise's ``json://`` and ``ntfy://`` URLs, which can misbehave.

It runs in a background thread, so it serves in-process async tests and
subprocesses alike::

    with Receiver() as receiver:
        url = receiver.json_url()            # json://127.0.0.1:PORT/hook
        url = receiver.ntfy_url("alerts")    # ntfy://127.0.0.1:PORT/alerts (plain http)
        receiver.fail(500, times=2)          # the next 2 requests are answered 500
        receiver.hang()                      # hold requests unanswered until recover()
        receiver.slow(2.0)                   # answer 200, but only after 2 s
        receiver.drip(0.2)                   # answer 200, then the body a byte per 0.2 s, never ending
        receiver.refuse()                    # close the listening socket: connections refused
        receiver.recover()                   # listen again and answer 200 at once
        assert receiver.wait_for(lambda r: len(r.received) == 3, timeout=5.0)
        [d.title for d in receiver.received]

In async tests use ``await receiver.wait_for_async(...)``: ``wait_for`` blocks
the thread, and with it an event loop that has sends to make.

``received`` holds the requests it accepted (answered 2xx) in arrival order:
what a real service would have delivered. ``requests`` holds every request
that reached it, answered or not. Each :class:`Delivery` has its arrival time
(``time.time()``), path, headers, raw body and decoded JSON. A hung request is
never answered: when released it is closed without a response, and it is not
in ``received``. A dripped request is recorded in ``requests`` when it arrives,
with status 200, and never in ``received``: its reply never ends.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

from .polling import Polling

__all__ = ["Delivery", "Receiver"]

# A hung request is held at most this long, so a forgotten recover() cannot keep a thread.
_MAX_HANG = 30.0


@dataclass(frozen=True, slots=True)
class Delivery:
    """One request as the receiver saw it; ``status`` is None for a request never answered."""

    at: float
    method: str
    path: str
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    status: int | None = None

    @property
    def json(self) -> dict | None:
        try:
            value = json.loads(self.body)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    @property
    def title(self) -> str | None:
        return (self.json or {}).get("title")

    @property
    def message(self) -> str | None:
        return (self.json or {}).get("message")


class Receiver(Polling):
    """A misbehaving-on-demand HTTP endpoint; see the module docstring."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.received: list[Delivery] = []
        self.requests: list[Delivery] = []
        self._lock = threading.Lock()
        self._fail_status = 500
        self._fail_left: int | None = 0  # None: fail every request
        self._delay = 0.0
        self._drip: float | None = None
        self._answers: dict[str, tuple[bytes, str]] = {}
        self._hanging = False
        self._release = threading.Event()
        self._closed = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Receiver:
        self._listen()
        return self

    def stop(self) -> None:
        """Stop listening and let every held request go."""
        self._closed.set()
        self._release.set()
        self._close_listener()

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    def json_url(self, path: str = "/hook", **params: str) -> str:
        """An Apprise ``json://`` URL posting to ``path`` here; ``params`` become its query."""
        query = f"?{urlencode(params)}" if params else ""
        return f"json://{self.host}:{self.port}{path}{query}"

    def ntfy_url(self, topic: str = "alerts", **params: str) -> str:
        """An Apprise ``ntfy://`` URL for a self-hosted server here (Apprise posts JSON to ``/``)."""
        query = f"?{urlencode(params)}" if params else ""
        return f"ntfy://{self.host}:{self.port}/{topic}{query}"

    # -- behaviour -------------------------------------------------------------------------

    def answer(self, path_prefix: str, payload: bytes, content_type: str = "text/plain") -> None:
        """Answer a 2xx request whose path starts with ``path_prefix`` with ``payload``.

        A Slack webhook answers ``ok`` as text, which Apprise's Slack plugin checks.
        """
        with self._lock:
            self._answers[path_prefix] = (payload, content_type)

    def fail(self, status: int = 500, times: int | None = None) -> None:
        """Answer the next ``times`` requests (every request if None) with ``status``."""
        with self._lock:
            self._fail_status = status
            self._fail_left = times

    def slow(self, seconds: float) -> None:
        """Answer 200, but ``seconds`` after each request arrived."""
        with self._lock:
            self._delay = seconds

    def drip(self, every: float) -> None:
        """Answer 200 with a long body, sent one byte per ``every`` s until :meth:`recover`.

        Each byte comes well within any read timeout, so only a deadline on the
        whole send ends it.
        """
        with self._lock:
            self._drip = every
            self._release.clear()

    def hang(self) -> None:
        """Hold every request unanswered (past any client timeout) until :meth:`recover`."""
        with self._lock:
            self._hanging = True
            self._release.clear()

    def refuse(self) -> None:
        """Close the listening socket: new connections are refused until :meth:`recover`."""
        self._close_listener()

    def recover(self) -> None:
        """Answer 200 at once again, listening on the same port if it was closed."""
        with self._lock:
            self._fail_left = 0
            self._delay = 0.0
            self._drip = None
            self._hanging = False
            self._release.set()
        if self._server is None and not self._closed.is_set():
            self._listen()

    # -- observing -------------------------------------------------------------------------

    @property
    def titles(self) -> list[str | None]:
        """Titles of the accepted notifications, in arrival order."""
        return [delivery.title for delivery in list(self.received)]

    # -- plumbing --------------------------------------------------------------------------

    def _listen(self) -> None:
        server = _Server((self.host, self.port), _Handler)
        server.receiver = self
        self.port = server.server_address[1]
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"receiver-{self.port}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread

    def _close_listener(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def _handle(self, handler: _Handler) -> None:
        arrived = time.time()
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {name: value for name, value in handler.headers.items()}
        with self._lock:
            hanging = self._hanging
            delay = self._delay
            drip = self._drip
            status = 200
            if self._fail_left is None or self._fail_left > 0:
                status = self._fail_status
                if self._fail_left is not None:
                    self._fail_left -= 1
        if drip is not None:
            self.requests.append(Delivery(arrived, handler.command, handler.path, headers, body, 200))
            self._drip_reply(handler, drip)
            return
        if hanging:
            self.requests.append(Delivery(arrived, handler.command, handler.path, headers, body, None))
            self._release.wait(_MAX_HANG)
            handler.close_connection = True
            return
        if delay and self._closed.wait(delay):
            return
        delivery = Delivery(arrived, handler.command, handler.path, headers, body, status)
        # Recorded before answering: once the client has its answer, the test can look.
        self.requests.append(delivery)
        if 200 <= status < 300:
            self.received.append(delivery)
        payload = b"{}" if status < 400 else json.dumps({"code": status, "error": "receiver told to fail"}).encode()
        content_type = "application/json"
        with self._lock:
            answers = list(self._answers.items())
        for prefix, (answer, kind) in answers:
            if status < 400 and handler.path.startswith(prefix):
                payload, content_type = answer, kind
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _drip_reply(self, handler: _Handler, every: float) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(1 << 20))
        handler.end_headers()
        handler.close_connection = True
        deadline = time.monotonic() + _MAX_HANG
        try:
            while not self._release.wait(every) and time.monotonic() < deadline:
                handler.wfile.write(b" ")
                handler.wfile.flush()
        except OSError:
            pass  # the client gave up and closed the connection


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    receiver: Receiver


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.server.receiver._handle(self)

    do_PUT = do_POST  # noqa: N815

    def do_GET(self) -> None:  # noqa: N802
        self.server.receiver._handle(self)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass
