"""The Deliverer against real servers: every alert arrives, failures retry, slow targets stay apart."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter

import pytest

from notifier.delivery import Deliverer, Outbox, build_targets
from tests.delivery.conftest import make_alert, wait_until


async def test_json_ntfy_and_mail_each_receive_the_alert(start_deliverer, receiver, smtp):
    """One alert to three targets over real sockets arrives once at each."""
    targets = build_targets(
        {"hook": receiver.json_url(), "phone": receiver.ntfy_url("alerts"), "inbox": smtp.url()}
    )
    deliverer = await start_deliverer(targets)
    alert = make_alert("hook", "phone", "inbox", title="Launch tweet passed 1,000 likes")
    deliverer.enqueue([alert])
    assert await deliverer.drain(timeout=10)
    assert await smtp.wait_for_async(lambda s: len(s.mails) == 1)
    assert sorted(d.path for d in receiver.received) == ["/", "/hook"]
    assert receiver.titles == [alert.title, alert.title]
    assert smtp.mails[0].subject == alert.title
    assert deliverer.results.count("sent") == 3
    assert deliverer.outbox.depth() == 0


async def test_notify_type_follows_the_alert(start_deliverer, receiver):
    """Each alert's notify type (milestone success, surge warning, DM info) reaches the service."""
    deliverer = await start_deliverer(build_targets({"hook": receiver.json_url()}))
    deliverer.enqueue(
        [
            make_alert("hook", title="milestone", notify_type="success"),
            make_alert("hook", title="surge", notify_type="warning"),
            make_alert("hook", title="dm", notify_type="info"),
        ]
    )
    assert await receiver.wait_for_async(lambda r: len(r.received) == 3)
    assert {d.title: d.json["type"] for d in receiver.received} == {
        "milestone": "success",
        "surge": "warning",
        "dm": "info",
    }


def _misbehave(receiver, mode: str) -> None:
    if mode == "500":
        receiver.fail(500)
    elif mode == "hang":
        receiver.hang()
    else:
        receiver.refuse()


@pytest.mark.parametrize("mode", ["500", "hang", "refuse"])
async def test_failures_retry_until_recovery_and_each_alert_arrives_once(start_deliverer, receiver, mode):
    """While the server answers 500, hangs past the timeout or refuses, sends retry; after it
    recovers every alert arrives exactly once."""
    _misbehave(receiver, mode)
    # rto=0.5: a hung request fails in half a second instead of Apprise's default 4 s.
    targets = build_targets({"hook": receiver.json_url(rto="0.5"), "ntfy": receiver.ntfy_url("t", rto="0.5")})
    deliverer = await start_deliverer(targets, backoff=lambda attempt: 0.1)
    alerts = [make_alert("hook", "ntfy") for _ in range(3)]
    deliverer.enqueue(alerts)
    # Every (alert, target) failed at least twice before the server comes back.
    box = deliverer.outbox
    assert await wait_until(lambda: all(r.attempts >= 2 for r in box.rows()), timeout=15)
    assert len(box.rows()) == 6
    assert receiver.received == []
    receiver.recover()
    assert await wait_until(lambda: deliverer.results.count("sent") == 6, timeout=10)
    assert await deliverer.drain(timeout=5)
    arrivals = Counter((d.path, d.title) for d in receiver.received)
    expected = {(path, a.title) for a in alerts for path in ("/hook", "/")}
    assert set(arrivals) == expected and set(arrivals.values()) == {1}
    rows = deliverer.outbox.rows()
    assert {r.state for r in rows} == {"sent"} and all(r.attempts >= 3 for r in rows)


async def test_failed_result_carries_apprise_reason_and_next_try(start_deliverer, receiver, outbox):
    """A failure is reported with Apprise's reason and the time of the next attempt, and kept in the row."""
    receiver.fail(503, times=1)
    deliverer = await start_deliverer(build_targets({"hook": receiver.json_url()}), backoff=lambda attempt: 0.2)
    deliverer.enqueue([make_alert("hook")])
    assert await wait_until(lambda: deliverer.results.count("sent") == 1)
    failed, sent = deliverer.results
    assert failed.outcome == "failed" and "503" in failed.reason and failed.attempt == 1
    assert failed.next_at is not None and failed.target == "hook" and failed.url.startswith("json://")
    assert sent.attempt == 2 and sent.next_at is None
    assert outbox.rows()[0].attempts == 2


async def test_gives_up_after_max_age_with_an_error_naming_the_target(start_deliverer, receiver, outbox, caplog):
    """A target failing beyond max_age gets its rows marked dead and an ERROR naming it, URL masked."""
    receiver.fail(500)
    secret = "Hook-Secret-5150"
    targets = build_targets({"hook": f"json://bob:{secret}@127.0.0.1:{receiver.port}/hook"})
    caplog.set_level(logging.INFO, logger="notifier.delivery")
    # The clock is the test's: however slow a send is here, the alert is tried
    # once, then once more after max_age has passed.
    now = [1000.0]
    deliverer = await start_deliverer(targets, clock=lambda: now[0], max_age=100.0, backoff=lambda attempt: 10.0)
    deliverer.enqueue([make_alert("hook", title="Stale alert")])
    assert await wait_until(lambda: deliverer.results.count("failed") == 1)
    now[0] += 200.0
    deliverer.wake()
    assert await wait_until(lambda: deliverer.results.count("dead") == 1)
    (row,) = outbox.rows()
    assert row.state == "dead" and row.attempts == 2 and "500" in row.last_error
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert "giving up" in message and "hook (json://bob:****@127.0.0.1" in message and "Stale alert" in message
    assert secret not in caplog.text
    # Dead rows are never retried.
    count = len(receiver.requests)
    deliverer.wake()
    assert await deliverer.drain(timeout=1) and len(receiver.requests) == count


async def test_backoff_and_max_age_follow_the_injected_clock(start_deliverer, receiver, outbox):
    """Retry times come from the injected clock and backoff; the last try is at max_age, then dead."""
    now = [1000.0]
    receiver.fail(500)
    deliverer = await start_deliverer(
        build_targets({"hook": receiver.json_url()}),
        clock=lambda: now[0],
        backoff=lambda attempt: 60.0 * attempt,
        max_age=100.0,
    )
    deliverer.enqueue([make_alert("hook")])
    assert await wait_until(lambda: len(deliverer.results) == 1)
    assert deliverer.results[0].next_at == 1060.0  # now + backoff(1)
    now[0] = 1060.0
    deliverer.wake()
    assert await wait_until(lambda: len(deliverer.results) == 2)
    assert deliverer.results[1].next_at == 1100.0  # capped at created + max_age, not 1180
    now[0] = 1100.0
    deliverer.wake()
    assert await wait_until(lambda: len(deliverer.results) == 3)
    assert deliverer.results[2].outcome == "dead" and deliverer.results[2].attempt == 3
    assert len(receiver.requests) == 3


async def test_burst_to_one_ntfy_target_is_not_throttled(start_deliverer, receiver):
    """Three alerts to one ntfy target arrive well under a second apart (no 5.5 s Apprise throttle)."""
    deliverer = await start_deliverer(build_targets({"phone": receiver.ntfy_url("alerts")}))
    started = time.time()
    deliverer.enqueue([make_alert("phone") for _ in range(3)])
    assert await receiver.wait_for_async(lambda r: len(r.received) == 3, timeout=5)
    arrivals = [d.at for d in receiver.received]
    assert max(arrivals) - started < 0.5


async def test_slow_target_does_not_delay_another(start_deliverer, receiver, other_receiver):
    """With a target taking 2 s per send (and more queued than its slots), another target gets
    every alert at once."""
    receiver.slow(2.0)
    targets = build_targets({"slow": receiver.json_url(), "fast": other_receiver.json_url()})
    deliverer = await start_deliverer(targets, max_in_flight=4, per_target=2)
    started = time.time()
    deliverer.enqueue([make_alert("slow", "fast") for _ in range(6)])
    assert await other_receiver.wait_for_async(lambda r: len(r.received) == 6, timeout=5)
    assert max(d.at for d in other_receiver.received) - started < 1.0
    assert len(receiver.received) == 0 and len(receiver.requests) <= 2


async def test_in_flight_sends_are_bounded(start_deliverer, receiver, other_receiver):
    """No more than per_target sends per target and max_in_flight in all are under way."""
    receiver.hang()
    other_receiver.hang()
    targets = build_targets({"a": receiver.json_url(), "b": other_receiver.json_url()})
    deliverer = await start_deliverer(targets, max_in_flight=5, per_target=3, send_timeout=30.0)
    deliverer.enqueue([make_alert("a", "b") for _ in range(10)])
    assert await wait_until(lambda: len(receiver.requests) + len(other_receiver.requests) == 5)
    assert deliverer.in_flight == 5
    assert len(receiver.requests) <= 3 and len(other_receiver.requests) <= 3
    # Give the scheduler a chance to overstep (it must not); a bound can only be seen over time.
    assert not await wait_until(lambda: len(receiver.requests) + len(other_receiver.requests) > 5, timeout=0.3)
    receiver.recover()
    other_receiver.recover()


async def test_event_loop_keeps_running_during_slow_sends(start_deliverer, receiver):
    """Sends run off the event loop: a ticker keeps its pace while a send takes a second."""
    receiver.slow(1.0)
    deliverer = await start_deliverer(build_targets({"slow": receiver.json_url()}))
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    deliverer.enqueue([make_alert("slow") for _ in range(3)])
    assert await receiver.wait_for_async(lambda r: len(r.received) == 3, timeout=5)
    task.cancel()
    # Each send takes 1 s; a blocked loop would show a gap that long.
    assert len(gaps) > 20 and max(gaps) < 0.5


async def test_pending_rows_resume_after_restart(tmp_path, receiver):
    """Rows still pending when a deliverer closes are sent by the next one on the same file."""
    path = tmp_path / "state.db"
    receiver.refuse()
    targets = build_targets({"hook": receiver.json_url()})
    with Outbox(path) as box:
        first = Deliverer(box, targets, backoff=lambda attempt: 0.05)
        await first.start()
        first.enqueue([make_alert("hook", title=f"kept {n}") for n in range(3)])
        await first.aclose()
    receiver.recover()
    with Outbox(path) as box:
        second = Deliverer(box, targets)
        await second.start()
        try:
            assert await receiver.wait_for_async(lambda r: len(r.received) == 3)
            assert await second.drain(timeout=5)
        finally:
            await second.aclose()
    assert sorted(receiver.titles) == ["kept 0", "kept 1", "kept 2"]


async def test_unknown_target_name_is_a_dead_row_and_an_error(start_deliverer, receiver, outbox, caplog):
    """An alert naming no known target is kept as a dead row and logged; known targets still get it."""
    deliverer = await start_deliverer(build_targets({"hook": receiver.json_url()}))
    deliverer.enqueue([make_alert("hook", "nowhere")])
    assert await receiver.wait_for_async(lambda r: len(r.received) == 1)
    states = {r.target: r.state for r in outbox.rows()}
    assert await wait_until(lambda: {r.target: r.state for r in outbox.rows()}["hook"] == "sent")
    assert states["nowhere"] == "dead"
    assert "no target or tag named 'nowhere'" in caplog.text
    assert deliverer.results.count("dead", "nowhere") == 1


async def test_rows_of_a_removed_target_die_after_reload(start_deliverer, receiver, outbox):
    """After replace_targets drops a target, its pending rows are marked dead, not sent elsewhere."""
    receiver.fail(500)
    deliverer = await start_deliverer(build_targets({"old": receiver.json_url()}), backoff=lambda attempt: 0.05)
    deliverer.enqueue([make_alert("old")])
    assert await wait_until(lambda: deliverer.results.count("failed") >= 1)
    deliverer.replace_targets(build_targets({"new": "console://"}))
    assert await wait_until(lambda: outbox.rows()[0].state == "dead")
    assert "no target 'old' is configured any more" in outbox.rows()[0].last_error


async def test_alerts_to_a_tag_reach_every_url_with_that_tag(start_deliverer, receiver, other_receiver, tmp_path):
    """A rule naming a targets_from tag gets one row, and one delivery, per tagged URL."""
    config = tmp_path / "apprise.txt"
    config.write_text(f"ops={receiver.json_url()}\nops={other_receiver.ntfy_url('ops')}\n")
    deliverer = await start_deliverer(build_targets({}, config))
    deliverer.enqueue([make_alert("ops", title="Tagged")])
    assert await receiver.wait_for_async(lambda r: r.titles == ["Tagged"])
    assert await other_receiver.wait_for_async(lambda r: r.titles == ["Tagged"])


async def test_a_failing_result_callback_does_not_stop_delivery(start_deliverer, receiver):
    """An on_result observer that raises is logged and ignored."""

    def broken(result) -> None:
        raise RuntimeError("observer bug")

    deliverer = await start_deliverer(build_targets({"hook": receiver.json_url()}), on_result=broken)
    deliverer.enqueue([make_alert("hook"), make_alert("hook")])
    assert await receiver.wait_for_async(lambda r: len(r.received) == 2)


async def test_drain_reports_unfinished_work(start_deliverer, receiver):
    """drain() is False while a send is still under way when its timeout passes."""
    receiver.slow(1.0)
    deliverer = await start_deliverer(build_targets({"hook": receiver.json_url()}))
    deliverer.enqueue([make_alert("hook")])
    assert not await deliverer.drain(timeout=0.2)
    assert await deliverer.drain(timeout=5)


def test_bad_limits_are_refused(outbox):
    """Zero slots or a non-positive max_age are configuration errors."""
    targets = build_targets({"c": "console://"})
    with pytest.raises(ValueError, match="at least 1"):
        Deliverer(outbox, targets, per_target=0)
    with pytest.raises(ValueError, match="positive"):
        Deliverer(outbox, targets, max_age=0)


async def test_aclose_never_hangs_when_a_wake_up_races_the_stop(outbox):
    """Stopping right as the scheduler is woken still stops it (no cancellation is swallowed)."""
    targets = build_targets({"screen": "console://"})
    for spins in range(4):
        for _ in range(25):
            deliverer = Deliverer(outbox, targets)
            await deliverer.start()
            await asyncio.sleep(0)
            deliverer.wake()
            for _ in range(spins):
                await asyncio.sleep(0)
            async with asyncio.timeout(2):
                await deliverer.aclose()


@pytest.mark.parametrize("straight", [True, False])
async def test_a_fresh_row_goes_straight_from_enqueue_or_through_the_scheduler_alike(
    start_deliverer, receiver, straight
):
    """A row due as written is under way when enqueue returns (straight) or after the scheduler's round (plain); each alert arrives once either way."""
    deliverer = await start_deliverer(build_targets({"hook": receiver.json_url()}))
    deliverer.straight = straight
    alerts = [make_alert("hook") for _ in range(3)]
    for alert in alerts:
        deliverer.enqueue([alert])
        # Straight: the send was handed to its thread inside enqueue; plain: nothing runs before the round.
        assert deliverer.in_flight == (1 if straight else 0)
        assert await receiver.wait_for_async(lambda r, title=alert.title: title in r.titles)
        assert await deliverer.drain(timeout=5)
    assert receiver.titles == [alert.title for alert in alerts]
    assert deliverer.results.count("sent") == 3 and deliverer.outbox.depth() == 0


async def test_rows_with_something_in_their_way_are_left_to_the_scheduler(start_deliverer, receiver, tmp_path):
    """Muted, a policy, or an older pending row of the target: enqueue starts no send itself."""
    from notifier.delivery.policy import TargetPolicy, parse_budget
    from tests.delivery.test_digest import Spec

    with Outbox(tmp_path / "muted.db") as box:
        muted = await start_deliverer(build_targets({"hook": receiver.json_url("/hook")}), box=box, muted=True)
        muted.enqueue([make_alert("hook")])
        assert muted.in_flight == 0
        assert await wait_until(lambda: [r.held for r in box.rows()] == ["muted"])
        await muted.aclose(grace=0.5)

    limited = Spec(receiver.json_url("/limited"), TargetPolicy(budget=parse_budget("5/h")))
    deliverer = await start_deliverer(
        build_targets({"hook": receiver.json_url("/hook"), "limited": limited}), backoff=lambda attempt: 1.0
    )
    deliverer.enqueue([make_alert("limited", title="budgeted")])
    assert deliverer.in_flight == 0  # the budget's plan decides, in the scheduler's round
    assert await receiver.wait_for_async(lambda r: "budgeted" in r.titles)
    assert await deliverer.drain(timeout=5)

    receiver.fail(500)
    deliverer.enqueue([make_alert("hook", title="first")])
    assert await wait_until(lambda: any(r.attempts for r in deliverer.outbox.rows("pending")), timeout=5)
    deliverer.enqueue([make_alert("hook", title="second")])  # "first" still waits for its retry
    assert deliverer.in_flight == 0
    receiver.recover()
    assert await wait_until(lambda: deliverer.results.count("sent") == 3, timeout=10)
    # The scheduler sent "second" at once, beside "first"'s retry, as it always did.
    assert sorted(t for t in receiver.titles if t in ("first", "second")) == ["first", "second"]
