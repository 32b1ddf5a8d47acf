"""Prometheus metrics and a health check for the daemon, served over HTTP.

The metrics live in their own :class:`~prometheus_client.CollectorRegistry`
(not the process-wide default), so tests and embedders can run several daemons
in one process. The HTTP server runs on the daemon's event loop: values are read
in the same thread that writes them (SQLite connections and the stream's
counters are not shared across threads), and a blocked loop shows up as a
failing health check, which is the truth.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .listener import Listener

__all__ = ["Health", "Metrics", "MetricsServer", "StreamCounts"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StreamCounts:
    """What the stream client counted, summed over every session of this run."""

    connected: bool = False
    reconnects: int = 0
    malformed: int = 0


@dataclass(frozen=True, slots=True)
class Health:
    """The answer of ``/healthz``: ``ok`` gives 200, otherwise 503; ``reason`` is the body."""

    ok: bool
    reason: str


class _StreamCollector(Collector):
    """Reads the stream's own counters at scrape time instead of mirroring them."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def describe(self) -> Iterable[Metric]:
        # Names only: the registry calls this at registration, before the daemon is up.
        return self._families(StreamCounts(), math.nan, 0)

    def collect(self) -> Iterable[Metric]:
        metrics = self._metrics
        last = metrics.last_event_at
        since = metrics.clock() - last if last is not None else math.nan
        return self._families(metrics.stream_counts(), since, metrics.outbox_depth())

    @staticmethod
    def _families(counts: StreamCounts, since: float, depth: int) -> Iterable[Metric]:
        yield CounterMetricFamily(
            "notifier_malformed_lines",
            "Stream lines that could not be parsed (keep-alives not counted).",
            value=counts.malformed,
        )
        yield CounterMetricFamily(
            "notifier_reconnects",
            "Times the stream was reopened after a drop, a stall or an error.",
            value=counts.reconnects,
        )
        yield GaugeMetricFamily(
            "notifier_stream_connected",
            "1 while the stream is connected, else 0.",
            value=1.0 if counts.connected else 0.0,
        )
        yield GaugeMetricFamily(
            "notifier_seconds_since_last_event",
            "Seconds since the last stream event (NaN before the first).",
            value=since,
        )
        yield GaugeMetricFamily(
            "notifier_outbox_depth",
            "Deliveries waiting in the outbox (pending or retrying).",
            value=depth,
        )


class Metrics:
    """Every number the daemon exports.

    The daemon counts events, alerts and deliveries here, and gives two callables
    for values read at scrape time: ``stream_counts`` and ``outbox_depth``.
    """

    def __init__(
        self,
        *,
        stream_counts: Callable[[], StreamCounts] | None = None,
        outbox_depth: Callable[[], int] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.clock = clock
        self.stream_counts: Callable[[], StreamCounts] = stream_counts or StreamCounts
        self.outbox_depth: Callable[[], int] = outbox_depth or (lambda: 0)
        self.last_event_at: float | None = None
        self.registry = CollectorRegistry(auto_describe=True)
        self.events = Counter(
            "notifier_events", "Stream events processed, by kind.", ["kind"], registry=self.registry
        )
        self.alerts = Counter(
            "notifier_alerts", "Alerts fired, by rule.", ["rule"], registry=self.registry
        )
        self.deliveries = Counter(
            "notifier_deliveries",
            "Delivery attempts, by target and outcome (sent, failed, dead).",
            ["target", "outcome"],
            registry=self.registry,
        )
        self.reloads = Counter(
            "notifier_rule_reloads",
            "Rule file reloads, by result (ok, failed).",
            ["result"],
            registry=self.registry,
        )
        self.rules = Gauge("notifier_rules", "Enabled rules.", registry=self.registry)
        self.health = Gauge(
            "notifier_health_condition",
            "1 while a health condition holds (stream_down, delivery_dead, ...), else 0.",
            ["condition"],
            registry=self.registry,
        )
        self.mqtt_connected = Gauge(
            "notifier_mqtt_connected",
            "1 while connected to Home Assistant's MQTT broker, else 0 (0 without a home_assistant block).",
            registry=self.registry,
        )
        self.mqtt_dropped = Counter(
            "notifier_mqtt_dropped",
            "MQTT messages for Home Assistant not delivered, by reason: overflow (the queue was full, "
            "the oldest event dropped) or failed (not acknowledged; sent again after reconnecting).",
            ["reason"],
            registry=self.registry,
        )
        self.unreadable = Counter(
            "notifier_unreadable_answers",
            "Answers of X's web API that could not be read, by kind: timeout, too_large, too_deep, html, not_json.",
            ["kind"],
            registry=self.registry,
        )
        self.registry.register(_StreamCollector(self))

    def event(self, kind: str) -> None:
        """Count one stream event of ``kind`` and remember when it came."""
        self.events.labels(kind).inc()
        self.last_event_at = self.clock()

    def alert(self, rule: str) -> None:
        self.alerts.labels(rule).inc()

    def delivery(self, target: str, outcome: str) -> None:
        self.deliveries.labels(target, outcome).inc()

    def render(self, accept: str | None = None) -> tuple[bytes, str]:
        """The exposition body and its content type, chosen from an Accept header."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type


_MAX_REQUEST = 16 * 1024


class MetricsServer:
    """``GET /metrics`` and ``GET /healthz`` on the running event loop.

    A deliberately small HTTP/1.1 server (one request per connection): a
    scraper and a health probe are all it ever talks to, so it serves a
    bounded number of connections at once (:class:`~notifier.run.listener.Listener`).
    """

    def __init__(
        self,
        metrics: Metrics,
        health: Callable[[], Health],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._metrics = metrics
        self._health = health
        self.host = host
        self.port = port
        self._server: Listener | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        server = Listener(self._serve, host=self.host, port=self.port)
        try:
            self.port = await server.start()
        except OSError as exc:
            raise OSError(
                f"cannot serve metrics on {self.host}:{self.port}: {exc.strerror or exc}; "
                "choose another --metrics-port"
            ) from exc
        self._server = server
        log.info(
            "metrics on %s/metrics, health on %s/healthz", self.url, self.url,
            extra={"event": "metrics", "port": self.port},
        )

    async def aclose(self) -> None:
        if self._server is not None:
            await self._server.aclose()
            self._server = None

    async def __aenter__(self) -> MetricsServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(10.0):
                head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
            writer.close()
            return
        try:
            status, content_type, body = self._respond(head[:_MAX_REQUEST])
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode("latin-1")
                + body
            )
            await writer.drain()
        except ConnectionError:
            pass
        except Exception:  # noqa: BLE001 - one bad scrape must not take the daemon down
            log.exception("metrics request failed")
        finally:
            writer.close()

    def _respond(self, head: bytes) -> tuple[str, str, bytes]:
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            return "400 Bad Request", "text/plain", b"bad request\n"
        method, target, _ = parts
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        path = target.split("?", 1)[0]
        if method not in ("GET", "HEAD"):
            return "405 Method Not Allowed", "text/plain", b"use GET\n"
        if path == "/metrics":
            body, content_type = self._metrics.render(headers.get("accept"))
            return "200 OK", content_type, body if method == "GET" else b""
        if path == "/healthz":
            health = self._health()
            status = "200 OK" if health.ok else "503 Service Unavailable"
            body = (health.reason + "\n").encode()
            return status, "text/plain; charset=utf-8", body if method == "GET" else b""
        return "404 Not Found", "text/plain", b"not found: try /metrics or /healthz\n"
