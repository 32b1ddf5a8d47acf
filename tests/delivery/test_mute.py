"""Muting delivery (Home Assistant's switch): every target holds its alerts; unmuting sends one digest each."""

from __future__ import annotations

from notifier.delivery import Outbox, build_targets
from notifier.delivery.policy import TargetPolicy
from tests.delivery.conftest import make_alert, wait_until


class Spec:
    """What build_targets reads from a rule file's target: a URL and a policy."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.policy = TargetPolicy()


async def test_muted_holds_every_target_and_unmuting_sends_one_digest(start_deliverer, receiver):
    """A target without quiet hours holds everything while muted; unmuted, the two alerts arrive as one digest."""
    targets = build_targets({"hook": Spec(receiver.json_url())})  # type: ignore[arg-type]
    deliverer = await start_deliverer(targets, muted=True)
    box: Outbox = deliverer.outbox
    deliverer.enqueue([make_alert("hook", rule="Likes", title="2,000 likes"),
                       make_alert("hook", rule="DMs", title="New DM")])
    assert await wait_until(lambda: [r.held for r in box.rows()] == ["muted", "muted"])
    deliverer.enqueue([make_alert("hook", title="urgent one", urgent=True)])
    assert await receiver.wait_for_async(lambda r: len(r.received) == 1)
    assert receiver.titles == ["urgent one"]

    deliverer.set_muted(False)
    assert await receiver.wait_for_async(lambda r: len(r.received) == 2)
    assert receiver.received[1].title == "2 alerts while notifications were muted"
    assert await deliverer.drain(timeout=5)
    assert len(receiver.received) == 2


async def test_muting_holds_what_is_enqueued_after(start_deliverer, receiver):
    """set_muted(True) on a running deliverer: the next alert waits instead of going out."""
    targets = build_targets({"hook": Spec(receiver.json_url())})  # type: ignore[arg-type]
    deliverer = await start_deliverer(targets)
    deliverer.enqueue([make_alert("hook", title="before")])
    assert await receiver.wait_for_async(lambda r: len(r.received) == 1)
    deliverer.set_muted(True)
    assert deliverer.muted
    deliverer.enqueue([make_alert("hook", title="after")])
    box: Outbox = deliverer.outbox
    assert await wait_until(lambda: [r.held for r in box.rows("pending")] == ["muted"])
    assert receiver.titles == ["before"]
    deliverer.set_muted(False)
    assert await receiver.wait_for_async(lambda r: len(r.received) == 2)
    assert receiver.titles == ["before", "after"]  # one alert that waited goes as itself
