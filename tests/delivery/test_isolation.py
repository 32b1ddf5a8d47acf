"""Targets are isolated: one that drips its replies forever delays only itself."""

from __future__ import annotations

import time

from notifier.delivery import build_targets
from tests.delivery.conftest import make_alert, wait_until


async def test_a_dripping_target_does_not_delay_a_healthy_one(start_deliverer, receiver, other_receiver):
    """While a target drips every reply a byte at a time, a healthy target gets each alert at once,
    and the dripping one is reached at most once per sending slot: no burst of re-sends."""
    receiver.drip(0.2)  # a byte every 0.2 s: no socket read timeout ever fires
    targets = build_targets({"drip": receiver.json_url(), "ok": other_receiver.json_url()})
    deliverer = await start_deliverer(targets, per_target=2, send_timeout=1.0)
    deliverer.enqueue(make_alert("drip") for _ in range(8))
    assert await wait_until(lambda: deliverer.results.count("failed", "drip") >= 2, timeout=10)
    failure = next(result for result in deliverer.results if result.target == "drip")
    assert failure.reason == "timed out reading the reply after 1 s"

    for round_ in range(3):
        started = time.monotonic()
        deliverer.enqueue([make_alert("ok", title=f"healthy {round_}")])
        assert await other_receiver.wait_for_async(lambda r: f"healthy {round_}" in r.titles, timeout=5)
        assert time.monotonic() - started < 1.0
    assert len(receiver.requests) == 2
