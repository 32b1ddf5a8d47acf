"""Metrics and health over a real HTTP socket."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request

from notifier.run.metrics import Health, Metrics, MetricsServer, StreamCounts


async def _get(url: str) -> tuple[int, str]:
    def fetch() -> tuple[int, str]:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    return await asyncio.get_running_loop().run_in_executor(None, fetch)


async def test_metrics_endpoint_exposes_every_family() -> None:
    """/metrics serves events, malformed, alerts, deliveries, reconnects, last event age and outbox depth."""
    clock = [1000.0]
    metrics = Metrics(
        stream_counts=lambda: StreamCounts(connected=True, reconnects=2, malformed=5),
        outbox_depth=lambda: 7,
        clock=lambda: clock[0],
    )
    metrics.event("tweet_engagement")
    metrics.event("dm_update")
    metrics.alert("Surge")
    metrics.delivery("team", "sent")
    metrics.delivery("phone", "failed")
    clock[0] += 12.5
    async with MetricsServer(metrics, lambda: Health(True, "connected")) as server:
        status, body = await _get(server.url + "/metrics")
    assert status == 200
    for line in (
        'notifier_events_total{kind="tweet_engagement"} 1.0',
        'notifier_events_total{kind="dm_update"} 1.0',
        "notifier_malformed_lines_total 5.0",
        'notifier_alerts_total{rule="Surge"} 1.0',
        'notifier_deliveries_total{outcome="failed",target="phone"} 1.0',
        "notifier_reconnects_total 2.0",
        "notifier_seconds_since_last_event 12.5",
        "notifier_outbox_depth 7.0",
        "notifier_stream_connected 1.0",
    ):
        assert line in body


async def test_healthz_follows_the_health_callback() -> None:
    """/healthz answers 200 or 503 with the reason, as the daemon's health says."""
    health = [Health(True, "connected")]
    async with MetricsServer(Metrics(), lambda: health[0]) as server:
        assert await _get(server.url + "/healthz") == (200, "connected\n")
        health[0] = Health(False, "reconnect overdue by 30 s")
        assert await _get(server.url + "/healthz") == (503, "reconnect overdue by 30 s\n")
        assert (await _get(server.url + "/nope"))[0] == 404


async def test_registries_are_independent() -> None:
    """Two Metrics objects do not share counters (no global registry)."""
    first, second = Metrics(), Metrics()
    first.alert("A")
    body, _ = second.render()
    assert b'rule="A"' not in body
