"""Muting delivery (Home Assistant's switch): every target holds its alerts; unmuting sends one digest each."""

from __future__ import annotations

from notifier.control.mute import Mute
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


async def test_a_rules_mute_holds_only_that_rule_until_it_ends(start_deliverer, receiver):
    """mute rule Likes: its alert waits until the rule's mute ends, the other rule's goes at once; health always goes."""
    now = [1_750_000_000.0]
    targets = build_targets({"hook": Spec(receiver.json_url())})  # type: ignore[arg-type]
    mute = Mute(rules={"Likes": now[0] + 600})
    deliverer = await start_deliverer(targets, clock=lambda: now[0], mute=mute)
    deliverer.enqueue([make_alert("hook", rule="Likes", title="muted one"),
                       make_alert("hook", rule="DMs", title="other rule"),
                       make_alert("hook", rule="(health)", title="stream down", kind="health")])
    assert await receiver.wait_for_async(lambda r: len(r.received) == 2)
    assert sorted(receiver.titles) == ["other rule", "stream down"]
    box: Outbox = deliverer.outbox
    assert await wait_until(lambda: [(r.held, r.not_before) for r in box.rows("pending")] == [("muted", now[0] + 600)])
    now[0] += 600
    deliverer.wake()
    assert await receiver.wait_for_async(lambda r: len(r.received) == 3)
    assert receiver.titles[-1] == "muted one"  # alone, it goes as itself
