"""console://: alerts printed to standard output for a person to read."""

from __future__ import annotations

import time

from notifier.delivery import send_once
from notifier.delivery.console import format_alert


def test_format_alert_layout():
    """Time, type and title on the first line; the message indented below it."""
    noon = time.mktime((2025, 6, 1, 12, 0, 3, 0, 0, -1))
    text = format_alert("Launch passed 1,000 likes", "1,000 likes\nhttps://x.com/i/status/1", "success", now=noon)
    assert text == (
        "[12:00:03] SUCCESS  Launch passed 1,000 likes\n"
        "                    1,000 likes\n"
        "                    https://x.com/i/status/1\n"
    )


def test_format_alert_without_title_or_repeated_body():
    """No title: the first body line leads; a body that repeats the title is not printed twice."""
    noon = time.mktime((2025, 6, 1, 12, 0, 3, 0, 0, -1))
    assert format_alert("", "New DM\nfrom 42", "info", now=noon) == (
        "[12:00:03] INFO     New DM\n                    from 42\n"
    )
    assert format_alert("Same", "Same", "info", now=noon) == "[12:00:03] INFO     Same\n"


async def test_console_url_prints_through_apprise(capsys):
    """Sending to console:// through Apprise prints the alert on stdout and counts as sent."""
    outcome = await send_once("console://", title="Tweet passed 2,000 likes", body="2,000 likes", notify_type="success")
    assert outcome.ok
    out = capsys.readouterr().out
    assert "SUCCESS  Tweet passed 2,000 likes" in out and "2,000 likes\n" in out
