"""Tap to open and urgency as service URL parameters, and the body format each service gets."""

from __future__ import annotations

import logging

import pytest

from notifier.alert import Alert
from notifier.delivery import build_targets
from notifier.delivery.formats import format_for
from notifier.delivery.render import dialect_for, render
from notifier.delivery.tap import Tap, tap_of, with_tap
from tests.delivery.conftest import make_alert

POST_URL = "https://x.com/i/status/1850000000000000000"


def alert(**overrides: object) -> Alert:
    values: dict[str, object] = {"fields": {"url": POST_URL}, "kind": "milestones"}
    values.update(overrides)
    return make_alert("phone", **values)


# ------------------------------------------------------------------ pure


def test_tap_of_maps_urgent_milestones_and_typing():
    """urgent → max, typing → low, anything else → default; the click is the alert's https link."""
    assert tap_of(alert()) == Tap(POST_URL, "default", "tada")
    assert tap_of(alert(urgent=True)).priority == "max"
    typing = tap_of(alert(kind="typing", fields={"url": "https://x.com/messages/1-2"}))
    assert typing == Tap("https://x.com/messages/1-2", "low", "pencil2")
    assert tap_of(alert(fields={})).click is None


@pytest.mark.parametrize(
    ("url", "tap", "expected"),
    [
        ("ntfy://h/t", Tap(POST_URL, "max", "tada"),
         "ntfy://h/t?click=https%3A%2F%2Fx.com%2Fi%2Fstatus%2F1850000000000000000&priority=max&tags=tada"),
        ("ntfy://h/t", Tap(None, "default", None), "ntfy://h/t"),
        ("ntfys://h/t?priority=min&Tags=x", Tap("https://x.com/a", "max", "tada"),
         "ntfys://h/t?priority=min&Tags=x&click=https%3A%2F%2Fx.com%2Fa"),
        ("ntfy://h/t?xtags=x&click=https://e.org", Tap(POST_URL, "low", "tada"),
         "ntfy://h/t?xtags=x&click=https://e.org&priority=low"),
        ("pover://u@t", Tap("https://x.com/a", "max"), "pover://u@t?url=https%3A%2F%2Fx.com%2Fa&priority=high"),
        ("pover://u@t?priority=emergency", Tap(None, "max"), "pover://u@t?priority=emergency"),
        ("pover://u@t", Tap(None, "low"), "pover://u@t?priority=moderate"),
        ("tgram://1:abc/2", Tap(POST_URL, "low"), "tgram://1:abc/2?silent=yes"),
        ("tgram://1:abc/2", Tap(POST_URL, "max"), "tgram://1:abc/2"),
        ("json://h/hook", Tap(POST_URL, "max", "tada"), "json://h/hook"),
    ],
)
def test_with_tap_adds_only_what_the_url_lacks(url, tap, expected):
    """Each service gets its own parameter names; a parameter the user's URL has is never replaced."""
    assert with_tap(url, tap) == expected


@pytest.mark.parametrize(
    ("url", "fmt"),
    [
        ("slack://T/B/C", "markdown"), ("tgram://1:abc/2", "markdown"), ("discord://1/abc", "markdown"),
        ("https://discord.com/api/webhooks/1/abc", "markdown"), ("https://hooks.slack.com/services/T/B/C", "markdown"),
        ("mailtos://u:p@example.com", "markdown"), ("pover://u@t", "markdown"),
        ("json://h/hook", "markdown"), ("ntfy://h/t", "text"), ("gotify://h/t", "text"),
        ("https://example.com/hook", "text"),
    ],
)
def test_one_format_per_service(url, fmt):
    """Markdown where the service renders it (or a program reads the source), plain text elsewhere."""
    assert format_for(url) == fmt


def test_plain_text_services_lose_notifiers_bold():
    """A plain-text service gets a digest's **Rule** as Rule; a Markdown one keeps it."""
    assert render("**Launch** (2)\n- a", dialect_for("ntfy://h/t")) == "Launch (2)\n- a"
    assert render("**Launch** (2)", dialect_for("slack://T/B/C")) == "**Launch** (2)"


# ------------------------------------------------------------- real sends


async def test_ntfy_receives_click_priority_and_tags(start_deliverer, receiver):
    """An urgent milestone reaches an ntfy server with X-Click (the post), X-Priority max and X-Tags tada."""
    deliverer = await start_deliverer(build_targets({"phone": receiver.ntfy_url("alerts")}))
    deliverer.enqueue([alert(urgent=True, title="“Launching today…” passed 1,000 likes")])
    assert await receiver.wait_for_async(lambda r: len(r.received) == 1)
    (delivery,) = receiver.received
    headers = {name.lower(): value for name, value in delivery.headers.items()}
    assert headers["x-click"] == POST_URL
    assert headers["x-priority"] == "max"
    assert headers["x-tags"] == "tada"
    assert delivery.json["title"] == "“Launching today…” passed 1,000 likes"
    assert "x-markdown" not in headers  # plain text on ntfy's phone app


async def test_typing_goes_out_at_low_priority(start_deliverer, receiver):
    """A typing alert reaches ntfy at low priority, its click the conversation."""
    deliverer = await start_deliverer(build_targets({"phone": receiver.ntfy_url("alerts")}))
    deliverer.enqueue([alert(kind="typing", fields={"url": "https://x.com/messages/1-2"})])
    assert await receiver.wait_for_async(lambda r: len(r.received) == 1)
    headers = {name.lower(): value for name, value in receiver.received[0].headers.items()}
    assert (headers["x-priority"], headers["x-click"], headers["x-tags"]) == ("low", "https://x.com/messages/1-2",
                                                                              "pencil2")


async def test_the_users_own_ntfy_parameters_win(start_deliverer, receiver):
    """priority, click and tags in the target's URL are what ntfy gets, whatever the alert says."""
    url = receiver.ntfy_url("alerts", priority="min", click="https://example.org/mine", tags="mine")
    deliverer = await start_deliverer(build_targets({"phone": url}))
    deliverer.enqueue([alert(urgent=True)])
    assert await receiver.wait_for_async(lambda r: len(r.received) == 1)
    headers = {name.lower(): value for name, value in receiver.received[0].headers.items()}
    assert headers["x-priority"] == "min"
    assert headers["x-click"] == "https://example.org/mine"
    assert headers["x-tags"] == "mine"


async def test_the_dressed_url_is_never_logged_with_its_password(start_deliverer, receiver, caplog):
    """With the tap's parameters added, even Apprise's debug lines show the URL's password masked."""
    url = receiver.ntfy_url("alerts").replace("ntfy://", "ntfy://bob:hunter2secret@")
    deliverer = await start_deliverer(build_targets({"phone": url}))
    # Apprise's own logger too: a run's logging set-up may have left it at WARNING.
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="apprise"):
        deliverer.enqueue([alert(urgent=True)])
        assert await receiver.wait_for_async(lambda r: len(r.received) == 1)
    assert "click=https%3A%2F%2Fx.com" in caplog.text  # Apprise did log the dressed URL...
    assert "hunter2secret" not in caplog.text  # ...in its privacy form
    assert receiver.received[0].headers.get("Authorization", "").startswith("Basic ")


async def test_ntfy_gets_plain_text_and_json_the_markdown_source(receiver):
    """Over real sockets: ntfy's message has no asterisks, json:// keeps the Markdown for its program."""
    from notifier.delivery import send_once

    assert (await send_once(receiver.ntfy_url("alerts"), title="2 alerts", body="**Launch** (2)")).ok
    assert (await send_once(receiver.json_url(), title="2 alerts", body="**Launch** (2)")).ok
    assert sorted(d.json["message"] for d in receiver.received) == ["**Launch** (2)", "Launch (2)"]
