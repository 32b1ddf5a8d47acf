"""A fake ntfy server on 127.0.0.1: publishing and the streaming JSON subscription, on ntfy's wire format.

What it serves, as ntfy does (https://docs.ntfy.sh/publish/, /subscribe/api/):

* ``POST``/``PUT /<topic>``: the body is the message; ``X-Title``,
  ``X-Actions``, ``X-Priority``, ``X-Tags``, ``X-Click`` (and their short
  spellings ``Title``, ``Actions``, ``Action`` …) are headers.
* ``POST /`` with a JSON object ``{"topic", "message", "title", …}``: how
  Apprise publishes; the headers above apply too.
* Query parameters instead of headers (``?title=…&message=…``), and with
  ``filename=`` the body is an attachment: how Apprise sends a chart.
* ``GET /<topic>/json``: a chunked, never-ending response of one JSON object
  per line: first ``{"event": "open"}``, then each ``message`` as it is
  published, and a ``keepalive`` every ``keepalive`` seconds. ``since=``
  (``all``, a message id, a Unix time, or a duration such as ``10m``) also
  sends the cached messages after it; without it only new ones come.

Each message is answered and cached as ntfy returns it:
``{"id", "time", "event": "message", "topic", "message", "title", "actions"}``
with the ``X-Actions`` simple form parsed into ntfy's JSON list.
``published`` keeps every publish with its raw headers, in order::

    with FakeNtfy() as ntfy:
        url = ntfy.apprise_url("alerts")      # ntfy://127.0.0.1:PORT/alerts
        ntfy.publish("control", "mute 1h")    # over HTTP, as a phone's button does
        assert ntfy.wait_for(lambda n: n.subscribers("control") == 1)
        ntfy.drop_subscribers()               # end every stream: clients must reconnect
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .polling import Polling

__all__ = ["FakeNtfy", "Published", "parse_actions"]

_ALIASES = {
    "title": ("x-title", "title", "t"),
    "message": ("x-message", "message", "m"),
    "actions": ("x-actions", "actions", "action"),
    "priority": ("x-priority", "priority", "prio", "p"),
    "tags": ("x-tags", "tags", "tag", "ta"),
    "click": ("x-click", "click"),
}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Published:
    """One publish as the server saw it: the message it made and the request's raw headers."""

    message: dict
    headers: dict[str, str] = field(repr=False)
    path: str = "/"

    @property
    def topic(self) -> str:
        return self.message["topic"]

    @property
    def text(self) -> str:
        return self.message.get("message", "")

    @property
    def title(self) -> str | None:
        return self.message.get("title")

    @property
    def actions(self) -> list[dict]:
        return self.message.get("actions", [])

    def header(self, name: str) -> str | None:
        """A request header, any case."""
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


def parse_actions(text: str) -> list[dict]:
    """ntfy's simple action form (``view, Open, https://…; http, Mute, https://…, method=POST, body=x``) as its JSON list."""
    actions = []
    for part in _split(text, ";"):
        words = [word.strip() for word in _split(part, ",")]
        if not words or not words[0]:
            continue
        action: dict = {"action": words[0]}
        positional = ["label", "url"]
        for word in words[1:]:
            name, sep, value = word.partition("=")
            if sep and name.replace(".", "").replace("_", "").isalnum() and name.lower() not in ("https", "http"):
                if name.startswith("headers."):
                    action.setdefault("headers", {})[name[len("headers."):]] = _unquote(value)
                else:
                    action[name] = _unquote(value)
            elif positional:
                action[positional.pop(0)] = _unquote(word)
        actions.append(action)
    return actions


def _split(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside single or double quotes."""
    parts, current, quote = [], "", None
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == sep:
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    return parts


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


class FakeNtfy(Polling):
    """A local ntfy; see the module docstring. ``keepalive``: seconds between keepalive events."""

    def __init__(self, host: str = "127.0.0.1", *, keepalive: float = 0.5) -> None:
        self.host = host
        self.port = 0
        self.keepalive = keepalive
        self.published: list[Published] = []
        self.requests: list[tuple[str, str]] = []  # (method, path with query) of every request
        self._cond = threading.Condition()
        self._generation = 0  # drop_subscribers() ends every stream of an older generation
        self._subscribers: dict[str, int] = {}
        self._closed = False
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeNtfy:
        server = _Server((self.host, 0), _Handler)
        server.ntfy = self
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"ntfy-{self.port}", daemon=True)
        self._thread.start()
        self._server = server
        return self

    def stop(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeNtfy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- for tests -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def apprise_url(self, topic: str, **params: str) -> str:
        """An Apprise ``ntfy://`` URL for ``topic`` here (plain HTTP)."""
        query = "&".join(f"{name}={value}" for name, value in params.items())
        return f"ntfy://{self.host}:{self.port}/{topic}" + (f"?{query}" if query else "")

    def publish(self, topic: str, message: str, **headers: str) -> dict:
        """Publish over HTTP, as a phone's button or ``curl -d`` does; the message as ntfy answers it."""
        request = urllib.request.Request(f"{self.url}/{topic}", data=message.encode(), method="POST",
                                         headers=headers)
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - 127.0.0.1 only
            return json.loads(response.read())

    def messages(self, topic: str) -> list[Published]:
        with self._cond:
            return [item for item in self.published if item.topic == topic]

    def subscribers(self, topic: str) -> int:
        """How many streams of ``topic`` are open now."""
        with self._cond:
            return self._subscribers.get(topic, 0)

    def drop_subscribers(self) -> None:
        """End every open stream, as a server restart or a lost connection does."""
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    # -- serving ---------------------------------------------------------------------------

    def _publish(self, handler: _Handler, topic: str, body: bytes) -> None:
        headers = {name: value for name, value in handler.headers.items()}
        # ntfy reads every header as a query parameter too; the header wins.
        query = {name.lower(): values[0] for name, values in parse_qs(urlsplit(handler.path).query).items()}
        lower = {**query, **{name.lower(): value for name, value in headers.items()}}
        attachment = lower.get("x-filename") or lower.get("filename") or lower.get("file") or lower.get("f")
        message: dict = {"id": secrets.token_hex(6), "time": int(time.time()), "event": "message", "topic": topic}
        fields: dict = {}
        if topic == "":
            try:
                document = json.loads(body)
            except ValueError:
                handler.answer(400, {"code": 40024, "http": 400, "error": "invalid request: body must be JSON"})
                return
            topic = str(document.get("topic", ""))
            message["topic"] = topic
            fields = {key: document[key] for key in ("message", "title", "priority", "tags", "click", "actions")
                      if key in document}
        elif attachment:
            fields["attachment"] = {"name": attachment, "size": len(body)}
        else:
            fields["message"] = body.decode("utf-8", "replace")
        for name, spellings in _ALIASES.items():
            for spelling in spellings:
                if spelling in lower and (name not in fields or (name == "message" and topic and not attachment)):
                    fields[name] = lower[spelling]
                    break
        if not topic:
            handler.answer(404, {"code": 40401, "http": 404, "error": "page not found"})
            return
        if isinstance(fields.get("actions"), str):
            fields["actions"] = parse_actions(fields["actions"])
        message.update({key: value for key, value in fields.items() if value not in (None, "")})
        message.setdefault("message", "triggered")
        with self._cond:
            self.published.append(Published(message, headers, handler.path))
            self._cond.notify_all()
        handler.answer(200, message)

    def _subscribe(self, handler: _Handler, topic: str, query: dict[str, list[str]]) -> None:
        since = (query.get("since") or [None])[0]
        with self._cond:
            cached = [item.message for item in self.published if item.topic == topic]
            generation = self._generation
            self._subscribers[topic] = self._subscribers.get(topic, 0) + 1
        try:
            handler.start_stream()
            handler.chunk({"id": secrets.token_hex(6), "time": int(time.time()), "event": "open", "topic": topic})
            sent = len(cached)
            for message in _since(cached, since):
                handler.chunk(message)
            last_keepalive = time.monotonic()
            while True:
                with self._cond:
                    self._cond.wait_for(
                        lambda: self._closed or self._generation != generation
                        or len([m for m in self.published if m.topic == topic]) > sent,
                        timeout=max(0.0, self.keepalive - (time.monotonic() - last_keepalive)),
                    )
                    if self._closed or self._generation != generation:
                        break
                    fresh = [item.message for item in self.published if item.topic == topic][sent:]
                sent += len(fresh)
                for message in fresh:
                    handler.chunk(message)
                if time.monotonic() - last_keepalive >= self.keepalive:
                    handler.chunk({"id": secrets.token_hex(6), "time": int(time.time()), "event": "keepalive",
                                   "topic": topic})
                    last_keepalive = time.monotonic()
            handler.end_stream()
        except OSError:
            pass  # the client went away
        finally:
            with self._cond:
                self._subscribers[topic] -= 1
            handler.close_connection = True


def _since(cached: list[dict], since: str | None) -> list[dict]:
    """The cached messages ``since=`` asks for: none without it, as ntfy's stream does."""
    if since is None:
        return []
    if since == "all":
        return cached
    if since.isdigit():
        return [m for m in cached if m["time"] >= int(since)]
    if since[:-1].isdigit() and since[-1:] in _UNITS:
        return [m for m in cached if m["time"] >= time.time() - int(since[:-1]) * _UNITS[since[-1]]]
    ids = [m["id"] for m in cached]
    return cached[ids.index(since) + 1:] if since in ids else cached


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    ntfy: FakeNtfy


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.server.ntfy.requests.append((self.command, self.path))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = [part for part in urlsplit(self.path).path.split("/") if part]
        if len(parts) > 1:
            self.answer(404, {"code": 40401, "http": 404, "error": "page not found"})
            return
        self.server.ntfy._publish(self, parts[0] if parts else "", body)

    do_PUT = do_POST  # noqa: N815

    def do_GET(self) -> None:  # noqa: N802
        self.server.ntfy.requests.append((self.command, self.path))
        split = urlsplit(self.path)
        parts = [part for part in split.path.split("/") if part]
        if len(parts) == 2 and parts[1] == "json":
            self.server.ntfy._subscribe(self, parts[0], parse_qs(split.query))
            return
        self.answer(404, {"code": 40401, "http": 404, "error": "page not found"})

    def answer(self, status: int, document: dict) -> None:
        payload = json.dumps(document).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def chunk(self, document: dict) -> None:
        data = json.dumps(document, separators=(",", ":")).encode() + b"\n"
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass
