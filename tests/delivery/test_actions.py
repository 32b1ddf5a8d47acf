"""Buttons on ntfy alerts: Open and Mute 1 h on the wire as X-Actions, the user's own actions= winning."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from notifier.control.link import read_link
from notifier.delivery import Outbox, build_targets
from notifier.delivery.actions import Button, buttons_for, header_value, with_actions
from notifier.delivery.policy import TargetPolicy
from tests.delivery.conftest import make_alert, wait_until
from tests.fakes.ntfy import FakeNtfy, parse_actions

POST = "https://x.com/i/status/1850000000000000000"


class Spec:
    """What build_targets reads from a rule file's target: a URL and a policy."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.policy = TargetPolicy()


@pytest.fixture
def ntfy() -> Iterator[FakeNtfy]:
    with FakeNtfy() as fake:
        yield fake


def test_an_alert_gets_open_and_mute_a_digest_mute_until_tomorrow():
    """Open links the alert's post; the mute button posts `mute 1h` to the control topic, a digest's `mute until 07:00`."""
    control = read_link("ntfys://ntfy.sh/control-topic-1")
    assert not isinstance(control, str)
    alert = make_alert("phone", fields={"url": POST})
    assert buttons_for(alert, control) == (
        Button("view", "Open", POST),
        Button("http", "Mute 1 h", "https://ntfy.sh/control-topic-1", "mute 1h"),
    )
    digest = make_alert("phone", kind="digest")
    assert [b.label for b in buttons_for(digest, control)] == ["Mute until tomorrow"]
    assert buttons_for(digest, control)[0].body == "mute until 07:00"
    assert buttons_for(make_alert("phone", kind="health", fields={"url": POST}), control) == (
        Button("view", "Open", POST),
    )
    assert buttons_for(alert, None) == (Button("view", "Open", POST),)


def test_the_header_survives_apprises_two_decodings_and_its_split_on_semicolons():
    """The actions= parameter Apprise reads back is the header exactly, with its ';' and a '%' in a link."""
    from apprise import Apprise

    buttons = (Button("view", "Open", "https://x.com/search?q=a%20b"),
               Button("http", "Mute 1 h", "https://ntfy.sh/ctl", "mute 1h", "Bearer tk_1"))
    url = with_actions("ntfys://ntfy.sh/alerts-topic?priority=high", buttons)
    plugin = Apprise.instantiate(url)
    assert plugin is not None
    assert plugin._NotifyNtfy__actions == header_value(buttons)
    assert parse_actions(header_value(buttons))[1] == {
        "action": "http", "label": "Mute 1 h", "url": "https://ntfy.sh/ctl", "method": "POST",
        "body": "mute 1h", "headers": {"Authorization": "Bearer tk_1"}, "clear": "true",
    }


def test_the_users_own_actions_win_and_other_services_are_untouched():
    """A URL with actions= keeps its own; a json:// URL gets no parameter."""
    buttons = (Button("view", "Open", POST),)
    own = "ntfys://ntfy.sh/alerts-topic?Actions=view,Mine,https://example.com"
    assert with_actions(own, buttons) == own
    assert with_actions("json://127.0.0.1/hook", buttons) == "json://127.0.0.1/hook"


async def test_actions_on_the_wire_and_a_digest_button(start_deliverer, ntfy):
    """One alert carries Open and Mute 1 h; after unmuting, the digest carries Mute until tomorrow."""
    control = read_link(f"ntfy://127.0.0.1:{ntfy.port}/control-topic")
    targets = build_targets({"phone": Spec(ntfy.apprise_url("alerts-topic"))})  # type: ignore[arg-type]
    deliverer = await start_deliverer(targets, control=control)
    deliverer.enqueue([make_alert("phone", title="2,000 likes", fields={"url": POST})])
    assert await ntfy.wait_for_async(lambda n: len(n.messages("alerts-topic")) == 1)
    sent = ntfy.messages("alerts-topic")[0]
    assert sent.header("X-Actions") == (
        f"view, Open, {POST}; "
        f"http, Mute 1 h, http://127.0.0.1:{ntfy.port}/control-topic, method=POST, body=mute 1h, clear=true"
    )
    assert [a["label"] for a in sent.actions] == ["Open", "Mute 1 h"]

    deliverer.set_muted(True)
    deliverer.enqueue([make_alert("phone", title="a"), make_alert("phone", title="b")])
    assert await wait_until(lambda: [r.held for r in deliverer.outbox.rows("pending")] == ["muted", "muted"])
    deliverer.set_muted(False)
    assert await ntfy.wait_for_async(lambda n: len(n.messages("alerts-topic")) == 2)
    digest = ntfy.messages("alerts-topic")[1]
    assert digest.title == "2 alerts while notifications were muted"
    assert [(a["label"], a["body"]) for a in digest.actions] == [("Mute until tomorrow", "mute until 07:00")]
