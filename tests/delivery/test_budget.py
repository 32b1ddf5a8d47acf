"""Budgets: N sends per sliding period and target, overflow folded into one digest; a fake clock, a real receiver."""

from __future__ import annotations

from notifier.delivery import Outbox, build_targets
from notifier.delivery.policy import TargetPolicy, parse_budget, parse_quiet
from tests.delivery.conftest import make_alert, wait_until
from tests.delivery.test_digest import FakeClock, Spec, utc

NOON = utc(2024, 6, 2, 12, 0)


def budget_targets(receiver, budget: str = "3/h", **policy: object):
    """'hook' (json://) with ``budget``; 'other' (another path) without any policy."""
    return build_targets({
        "hook": Spec(receiver.json_url("/hook"), TargetPolicy(budget=parse_budget(budget), **policy)),  # type: ignore[arg-type]
        "other": receiver.json_url("/other"),
    })


def arrived(receiver, path: str = "/hook") -> list[str | None]:
    return [d.title for d in receiver.received if d.path == path]


async def test_overflow_waits_and_goes_out_as_one_digest_when_the_budget_frees(start_deliverer, receiver):
    """3/h and five alerts from two rules: three now, the other two as one digest an hour after the first send."""
    clock = FakeClock(NOON)
    deliverer = await start_deliverer(budget_targets(receiver), clock=clock)
    box: Outbox = deliverer.outbox
    alerts = [make_alert("hook", "other", rule=f"Rule {n % 2}", title=f"alert {n}", ts=NOON + n) for n in range(5)]
    deliverer.enqueue(alerts)
    assert await receiver.wait_for_async(lambda r: len(arrived(r)) == 3 and len(arrived(r, "/other")) == 5)
    assert await deliverer.drain(timeout=5)
    assert sorted(arrived(receiver)) == ["alert 0", "alert 1", "alert 2"]
    held = box.rows("pending", target="hook")
    assert [(r.held, r.not_before) for r in held] == [("budget", NOON + 3600)] * 2

    clock.now = NOON + 3599
    deliverer.wake()
    assert await deliverer.drain(timeout=1)
    assert len(arrived(receiver)) == 3

    clock.now = NOON + 3600
    deliverer.wake()
    assert await receiver.wait_for_async(lambda r: len(arrived(r)) == 4)
    digest = [d for d in receiver.received if d.path == "/hook"][-1]
    assert digest.title == "2 alerts over the budget of 3/h"
    assert digest.message.splitlines() == [
        "**Rule 0** (1)", "- 12:00 UTC alert 4", "**Rule 1** (1)", "- 12:00 UTC alert 3",
    ]
    # The target without a budget got everything at once, and nothing twice.
    assert sorted(arrived(receiver, "/other")) == [f"alert {n}" for n in range(5)]


async def test_a_digest_counts_as_one_send(start_deliverer, receiver):
    """After the digest, the budget has room for count - 1 more sends in the period, not fewer."""
    clock = FakeClock(NOON)
    deliverer = await start_deliverer(budget_targets(receiver, "2/h"), clock=clock)
    deliverer.enqueue([make_alert("hook", title=f"first {n}") for n in range(5)])
    assert await receiver.wait_for_async(lambda r: len(arrived(r)) == 2)
    assert await deliverer.drain(timeout=5)

    clock.now = NOON + 3600
    deliverer.wake()
    assert await receiver.wait_for_async(lambda r: len(arrived(r)) == 3)
    assert arrived(receiver)[-1] == "3 alerts over the budget of 2/h"
    assert await deliverer.drain(timeout=5)

    clock.now = NOON + 3601
    deliverer.enqueue([make_alert("hook", title="fits"), make_alert("hook", title="over")])
    assert await receiver.wait_for_async(lambda r: len(arrived(r)) == 4)
    assert await deliverer.drain(timeout=5)
    assert arrived(receiver)[-1] == "fits"
    (over,) = deliverer.outbox.rows("pending")
    assert (over.alert.title, over.held, over.not_before) == ("over", "budget", NOON + 3600 + 3600)


async def test_send_history_survives_a_restart(start_deliverer, receiver, tmp_path):
    """The budget is read from sent rows in the outbox: a restarted deliverer still holds the fourth alert."""
    path = tmp_path / "budget.db"
    clock = FakeClock(NOON)
    first_box = Outbox(path)
    first = await start_deliverer(budget_targets(receiver), box=first_box, clock=clock)
    first.enqueue([make_alert("hook", title=f"sent {n}") for n in range(3)])
    assert await receiver.wait_for_async(lambda r: len(arrived(r)) == 3)
    assert await first.drain(timeout=5)
    await first.aclose()
    first_box.close()

    clock.now = NOON + 600
    with Outbox(path) as second_box:
        second = await start_deliverer(budget_targets(receiver), box=second_box, clock=clock)
        second.enqueue([make_alert("hook", title="fourth")])
        assert await wait_until(lambda: [r.held for r in second_box.rows("pending")] == ["budget"])
        assert second_box.rows("pending")[0].not_before == NOON + 3600
        assert len(arrived(receiver)) == 3
        await second.aclose()


async def test_a_finished_send_is_not_counted_twice(start_deliverer, receiver):
    """3/h and three alerts, one send at a time, the scheduler woken as each send is recorded: all three go now."""
    clock = FakeClock(NOON)
    woken: list = []
    # Waking the scheduler from the result callback lets it run right after a
    # send is recorded as sent, before anything else: a send counted both as
    # sent and as under way would hold the third alert for an hour.
    deliverer = await start_deliverer(
        budget_targets(receiver), clock=clock, per_target=1, on_result=lambda result: woken[0].wake(),
    )
    woken.append(deliverer)
    deliverer.enqueue([make_alert("hook", title=f"alert {n}") for n in range(3)])
    assert await receiver.wait_for_async(lambda r: len(arrived(r)) == 3)
    assert await deliverer.drain(timeout=5)
    assert deliverer.outbox.rows("pending") == []


async def test_minute_budget_slides(start_deliverer, receiver):
    """1/m: one send, the next waits until a minute after it, not until the next full minute."""
    clock = FakeClock(NOON + 45)
    deliverer = await start_deliverer(budget_targets(receiver, "1/m"), clock=clock)
    deliverer.enqueue([make_alert("hook", title="a")])
    assert await receiver.wait_for_async(lambda r: len(arrived(r)) == 1)
    assert await deliverer.drain(timeout=5)
    clock.now = NOON + 50
    deliverer.enqueue([make_alert("hook", title="b")])
    assert await wait_until(lambda: [r.not_before for r in deliverer.outbox.rows("pending")] == [NOON + 105])
    clock.now = NOON + 105
    deliverer.wake()
    assert await receiver.wait_for_async(lambda r: len(arrived(r)) == 2)
    assert arrived(receiver) == ["a", "b"]


async def test_urgent_alerts_skip_quiet_hours_but_not_the_budget(start_deliverer, receiver):
    """At night with a used-up budget an urgent alert waits for the budget, then goes (not at 07:00)."""
    night = utc(2024, 6, 1, 23, 0)
    clock = FakeClock(night)
    targets = budget_targets(receiver, "1/h", quiet=parse_quiet("22:00-07:00"), tz="UTC")
    deliverer = await start_deliverer(targets, clock=clock)
    deliverer.enqueue([make_alert("hook", title="urgent 1", urgent=True)])
    assert await receiver.wait_for_async(lambda r: len(arrived(r)) == 1)
    assert await deliverer.drain(timeout=5)
    clock.now = night + 60
    deliverer.enqueue([make_alert("hook", title="urgent 2", urgent=True)])
    assert await wait_until(lambda: [r.held for r in deliverer.outbox.rows("pending")] == ["budget"])
    clock.now = night + 3600
    deliverer.wake()
    assert await receiver.wait_for_async(lambda r: len(arrived(r)) == 2)
    assert arrived(receiver)[-1] == "urgent 2"
