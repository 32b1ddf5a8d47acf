"""console://: alerts printed to standard output for a person to read."""

from __future__ import annotations

import time

from notifier.delivery import build_targets, send_once
from notifier.delivery.console import format_alert, label_of
from notifier.delivery.send import NOTIFY_TYPES
from notifier.times import format_time
from tests.delivery.conftest import make_alert


def test_format_alert_layout():
    """Time with its zone and the title on the first line, no log-like level; the message indented below."""
    noon = time.mktime((2025, 6, 1, 12, 0, 3, 0, 0, -1))
    text = format_alert("Launch passed 1,000 likes", "1,000 likes\nhttps://x.com/i/status/1", now=noon)
    assert text == (
        f"[{format_time(noon)}] Launch passed 1,000 likes\n"
        "  1,000 likes\n"
        "  https://x.com/i/status/1\n"
    )


def test_format_alert_without_title_or_repeated_body():
    """No title: the first body line leads; a body that repeats the title is not printed twice."""
    noon = time.mktime((2025, 6, 1, 12, 0, 3, 0, 0, -1))
    assert format_alert("", "New DM\nfrom 42", now=noon) == f"[{format_time(noon)}] New DM\n  from 42\n"
    assert format_alert("Same", "Same", now=noon) == f"[{format_time(noon)}] Same\n"


async def test_console_url_prints_and_counts_as_sent(capsys):
    """Sending to console:// prints the alert on stdout and counts as sent."""
    outcome = await send_once("console://", title="Tweet passed 2,000 likes", body="2,000 likes", notify_type="success")
    assert outcome.ok
    out = capsys.readouterr().out
    assert "] Tweet passed 2,000 likes\n" in out and "  2,000 likes\n" in out


NOON = time.mktime((2025, 6, 1, 12, 0, 3, 0, 0, -1))


async def test_console_prints_the_time_it_is_given(capsys):
    """The printed time is the caller's ``now``, not the wall clock; console://NAME labels the title."""
    outcome = await send_once("console://phone", title="New DM", body="from 42", notify_type="info", now=NOON)
    assert outcome.ok
    assert capsys.readouterr().out == f"[{format_time(NOON)}] [phone] New DM\n  from 42\n"


async def test_deliverer_stamps_console_alerts_with_the_alerts_time(start_deliverer, capsys):
    """The deliverer prints when the alert fired, not when it let it out (as `notifier replay` does)."""
    deliverer = await start_deliverer(build_targets({"screen": "console://"}), clock=lambda: NOON + 3600)
    deliverer.enqueue([make_alert("screen", title="Launch passed 1,000 likes", ts=NOON)])
    assert await deliverer.drain(timeout=5)
    assert capsys.readouterr().out.startswith(f"[{format_time(NOON)}] Launch passed 1,000 likes\n")


def test_plain_console_urls_and_their_labels():
    """console:// and console://NAME are read here; a user, port, path or query is left to Apprise."""
    assert label_of("console://") == "" and label_of("console://phone") == "phone"
    assert label_of("CONSOLE://Phone_1") == "Phone_1"
    for url in ("console://phone?format=html", "console://a/b", "console://u@h", "console://h:1", "json://x"):
        assert label_of(url) is None


async def test_console_url_with_options_still_goes_through_apprise(capsys):
    """A console URL with Apprise options is sent by Apprise, which applies them (format=html)."""
    outcome = await send_once("console://phone?format=html", title="Title", body="Body", notify_type="success")
    out = capsys.readouterr().out
    assert outcome.ok and "] [phone] Title\n" in out and "<p>Body</p>" in out


async def test_targets_from_config_may_list_console_urls(tmp_path, capsys):
    """An Apprise config file (targets_from) naming console:// gives a target that prints."""
    config = tmp_path / "apprise.txt"
    config.write_text("screen=console://\n")
    (target,) = build_targets({}, config).resolve("screen")
    assert target.masked == "console://"
    outcome = await send_once(target.url, title="From the config", body="", notify_type="info", now=NOON)
    assert outcome.ok and capsys.readouterr().out == f"[{format_time(NOON)}] From the config\n"


async def test_empty_notification_fails_as_apprise_failed_it():
    """Nothing to print is a failed send, as it was when Apprise sent console:// for us."""
    outcome = await send_once("console://", title="", body="")
    assert not outcome.ok and outcome.status == "FAILURE" and "No message content" in outcome.reason


def test_notify_types_are_apprises():
    """The notify types sent as they are (others become info) are exactly Apprise's NotifyType values."""
    from apprise.common import NotifyType

    assert {kind.value for kind in NotifyType} == NOTIFY_TYPES
