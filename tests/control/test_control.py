"""The control topic end to end in one process: a fake ntfy, the subscriber, the one mute and real delivery."""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import AsyncIterator, Iterator
from datetime import UTC

import pytest

from notifier.control.keeper import MuteKeeper, MuteStore
from notifier.control.link import ControlLink, read_link
from notifier.control.mute import Mute
from notifier.control.obey import Obey
from notifier.control.subscriber import ControlSubscriber
from notifier.delivery import Outbox, build_targets
from notifier.delivery.actions import buttons_for
from notifier.delivery.policy import TargetPolicy
from tests.delivery.conftest import make_alert, wait_until
from tests.fakes.ntfy import FakeNtfy

POST = "https://x.com/i/status/1850000000000000000"
RULES = ["Launch tweet passes 1,000 likes", "New DM"]


class Spec:
    """What build_targets reads from a rule file's target: a URL and a policy."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.policy = TargetPolicy()


class Clock:
    """A clock the test moves: the mute's end comes without waiting an hour."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ntfy() -> Iterator[FakeNtfy]:
    with FakeNtfy(keepalive=0.2) as fake:
        yield fake


class Control:
    """The parts a run builds for its control topic, on the test's outbox, clock and fake ntfy."""

    def __init__(self, ntfy: FakeNtfy, box: Outbox, clock: Clock) -> None:
        link = read_link(f"ntfy://127.0.0.1:{ntfy.port}/control-topic")
        assert isinstance(link, ControlLink)
        self.link = link
        self.clock = clock
        self.store = MuteStore(box.path)
        self.keeper = MuteKeeper(self.store, clock=clock, zone=UTC)
        self.answers = 0
        self.obey = Obey(self.keeper, rules=lambda: RULES, zone=UTC, answer=self._answer, clock=clock)
        self.subscriber = ControlSubscriber(link, self.obey)
        self.task: asyncio.Task[None] | None = None

    def _answer(self) -> None:
        self.answers += 1

    async def start(self, ntfy: FakeNtfy) -> None:
        self.task = asyncio.create_task(self.subscriber.run())
        assert await ntfy.wait_for_async(lambda n: n.subscribers("control-topic") == 1)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        self.store.close()


@pytest.fixture
async def control(ntfy: FakeNtfy, outbox: Outbox) -> AsyncIterator[Control]:
    parts = Control(ntfy, outbox, Clock(1_750_000_000.0))
    yield parts
    await parts.stop()


def press(button_url: str, body: str) -> None:
    """What ntfy's app does when the http button is tapped: POST its body to its URL."""
    request = urllib.request.Request(button_url, data=body.encode(), method="POST")
    with urllib.request.urlopen(request, timeout=5):  # noqa: S310 - 127.0.0.1 only
        pass


async def test_mute_1h_from_the_button_holds_the_next_alerts_and_a_digest_follows_at_expiry(
    start_deliverer, ntfy: FakeNtfy, control: Control,
):
    """The Mute 1 h button publishes to the control topic; the next alerts wait; an hour later, one digest."""
    targets = build_targets({"phone": Spec(ntfy.apprise_url("alerts-topic"))})  # type: ignore[arg-type]
    deliverer = await start_deliverer(targets, clock=control.clock, mute=control.keeper.mute, control=control.link)
    control.keeper.listen(deliverer.set_mute)
    await control.start(ntfy)

    deliverer.enqueue([make_alert("phone", title="first", fields={"url": POST})])
    assert await ntfy.wait_for_async(lambda n: len(n.messages("alerts-topic")) == 1)
    (mute_button,) = [b for b in buttons_for(make_alert("phone"), control.link) if b.kind == "http"]
    press(mute_button.url, mute_button.body or "")
    assert await wait_until(lambda: control.keeper.mute.everything(control.clock()))
    assert control.keeper.mute.until == control.clock() + 3600

    deliverer.enqueue([make_alert("phone", title="second"), make_alert("phone", title="third")])
    assert await wait_until(lambda: [r.held for r in deliverer.outbox.rows("pending")] == ["muted", "muted"])
    control.clock.now += 1800
    deliverer.wake()
    assert await deliverer.drain(timeout=5)  # half-way through the hour nothing is due
    assert len(ntfy.messages("alerts-topic")) == 1
    assert [r.held for r in deliverer.outbox.rows("pending")] == ["muted", "muted"]

    control.clock.now += 1800
    control.keeper.poll()  # the mute's end is noticed (Home Assistant's switch would turn off)
    deliverer.wake()
    assert await ntfy.wait_for_async(lambda n: len(n.messages("alerts-topic")) == 2)
    digest = ntfy.messages("alerts-topic")[1]
    assert digest.title == "2 alerts while notifications were muted"
    assert control.keeper.mute == Mute()


async def test_a_command_published_before_the_subscription_is_never_obeyed(ntfy: FakeNtfy, control: Control):
    """mute 1h sent before notifier subscribed is not obeyed, not even after a reconnect asks since= the last one."""
    ntfy.publish("control-topic", "mute 1h")
    await control.start(ntfy)
    ntfy.publish("control-topic", "mute rule New DM 1d")  # a later command: obeyed, and a point to wait for
    assert await wait_until(lambda: "New DM" in control.keeper.mute.rules)
    assert not control.keeper.mute.everything(control.clock())

    ntfy.drop_subscribers()
    assert await ntfy.wait_for_async(lambda n: n.subscribers("control-topic") == 0)
    ntfy.publish("control-topic", "unmute rule new dm")  # sent while notifier was away: obeyed once it is back
    assert await wait_until(lambda: "New DM" not in control.keeper.mute.rules, timeout=10)
    assert await ntfy.wait_for_async(lambda n: n.subscribers("control-topic") == 1)
    assert not control.keeper.mute.everything(control.clock())
    assert any("since=" in path for method, path in ntfy.requests if method == "GET")


async def test_garbage_on_the_control_topic_changes_nothing(ntfy: FakeNtfy, control: Control):
    """Unknown words, a shell line, escapes, a huge message and an unknown rule: the mute and the state file unchanged."""
    await control.start(ntfy)
    before = control.store.read()
    for text in ["hello", "rm -rf ~/.local/state", "\x1b]0;pwned\x07mute", "mute 100d", "mute rule Nobody 1h",
                 "x" * 5000, "targets: {phone: json://evil}", "unmute; mute 1h"]:
        ntfy.publish("control-topic", text)
    ntfy.publish("control-topic", "status")  # answered: everything before it was read
    assert await wait_until(lambda: control.answers == 1)
    assert control.obey.ignored == 8
    assert control.keeper.mute == Mute()
    assert control.store.read() == before


def test_lines_that_are_not_json_objects_are_skipped():
    """A server that sends junk, a list, or a message without a time: skipped, counted, never a command."""
    obeyed: list[str] = []
    subscriber = ControlSubscriber(ControlLink("http://127.0.0.1:1", "t"), obeyed.append)
    subscriber._started = 100
    for line in [b"not json", b"[1, 2]", b'{"event": "message", "message": "mute 1h"}',
                 b'{"event": "message", "time": 99, "message": "mute 1h"}', b"\xff\xfe"]:
        subscriber._line(line)
    assert obeyed == []
    assert subscriber.ignored == 3
    subscriber._line(b'{"id": "a1", "event": "message", "time": 100, "message": "status"}')
    subscriber._line(b'{"id": "a1", "event": "message", "time": 100, "message": "status"}')
    assert obeyed == ["status"]


def test_a_command_that_fails_does_not_end_the_subscription():
    """Obeying raised (say, the outbox could not be written): logged, and the next message is read as usual."""
    seen: list[str] = []

    def obey(text: str) -> None:
        seen.append(text)
        raise OSError("disk full")

    subscriber = ControlSubscriber(ControlLink("http://127.0.0.1:1", "t"), obey)
    subscriber._started = 100
    assert subscriber._line(b'{"id": "a", "event": "message", "time": 100, "message": "status"}') == "message"
    assert subscriber._line(b'{"id": "b", "event": "message", "time": 101, "message": "unmute"}') == "message"
    assert seen == ["status", "unmute"]
