"""One send through Apprise to real local servers, and how its result is read."""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifier.delivery import retry_delay, send_once


def test_retry_delay_doubles_from_one_second_to_five_minutes():
    """Without jitter the waits are 1, 2, 4, ... seconds, never above 300."""
    plain = [retry_delay(n, jitter=0.0) for n in range(1, 12)]
    assert plain[:5] == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert plain[-1] == 300.0 and max(plain) == 300.0


@given(attempt=st.integers(min_value=1, max_value=10_000), seed=st.integers())
def test_retry_delay_jitter_stays_within_bounds(attempt, seed):
    """Jitter only shortens a wait, by at most 20 %, and the cap holds for any attempt."""
    full = min(300.0, 2.0 ** min(attempt - 1, 30))
    delay = retry_delay(attempt, rand=random.Random(seed))
    assert 0.8 * full <= delay <= full


def test_retry_delay_jitter_varies():
    """Two targets failing together do not retry at the same instant."""
    assert len({round(retry_delay(5), 6) for _ in range(20)}) > 1


async def test_json_sent_with_title_body_and_type(receiver):
    """json:// posts title, message and the notify type; the result says sent."""
    outcome = await send_once(receiver.json_url(), title="Passed 1,000", body="**1,000** likes", notify_type="warning")
    assert outcome.ok and outcome.reason == "" and outcome.status == "SUCCESS"
    (delivery,) = receiver.received
    assert delivery.path == "/hook"
    assert delivery.json["title"] == "Passed 1,000"
    assert delivery.json["message"] == "**1,000** likes"
    assert delivery.json["type"] == "warning"


async def test_ntfy_to_a_self_hosted_server(receiver):
    """ntfy://host:port/topic posts JSON with the topic to the server's root over http."""
    outcome = await send_once(receiver.ntfy_url("launch"), title="T", body="B")
    assert outcome.ok
    (delivery,) = receiver.received
    assert delivery.path == "/" and delivery.json == {"topic": "launch", "title": "T", "message": "B"}


async def test_mail_renders_markdown_as_html(smtp):
    """mailto:// sends a mail whose subject is the title and whose HTML part renders the Markdown."""
    outcome = await send_once(
        smtp.url(to="me@example.com", user="bob", password="pw"),
        title="Launch tweet passed 1,000 likes",
        body="**1,000** likes\n\nhttps://x.com/i/status/1",
        notify_type="success",
    )
    assert outcome.ok
    assert await smtp.wait_for_async(lambda s: len(s.mails) == 1)
    mail = smtp.mails[0]
    assert mail.subject == "Launch tweet passed 1,000 likes"
    assert mail.recipients == ("me@example.com",) and mail.login == "bob"
    assert "<strong>1,000</strong>" in mail.html
    assert "1,000 likes" in mail.text and "**" not in mail.text


async def test_http_error_is_a_failure_with_apprise_reason(receiver):
    """A 500 answer is a failed send whose reason is Apprise's own words, status included."""
    receiver.fail(500)
    outcome = await send_once(receiver.json_url(), title="T", body="B")
    assert not outcome.ok and outcome.status == "FAILURE"
    assert "500" in outcome.reason
    assert receiver.received == [] and len(receiver.requests) == 1


async def test_refused_connection_is_a_failure(receiver):
    """A closed port is a failed send, not an exception."""
    receiver.refuse()
    outcome = await send_once(receiver.json_url(), title="T", body="B")
    assert not outcome.ok and "Connection error" in outcome.reason


async def test_hanging_server_fails_within_the_read_timeout(receiver):
    """With rto=0.5 a server that never answers fails the send in about half a second."""
    receiver.hang()
    started = time.monotonic()
    outcome = await send_once(receiver.json_url(rto="0.5"), title="T", body="B")
    assert not outcome.ok and time.monotonic() - started < 3.0
    assert receiver.received == []


async def test_call_timeout_bounds_a_hanging_send(receiver):
    """The send's own timeout reports a hung service as a failure (TIMEOUT) on time."""
    receiver.hang()
    started = time.monotonic()
    outcome = await send_once(receiver.json_url(), title="T", body="B", timeout=0.3)
    assert not outcome.ok and outcome.status == "TIMEOUT"
    assert "did not finish" in outcome.reason
    assert time.monotonic() - started < 2.0
    receiver.recover()


async def test_unusable_url_is_a_failure_not_an_exception():
    """A URL Apprise cannot load yields a failed outcome explaining what to do."""
    outcome = await send_once("nosuchservice://x", title="T", body="B")
    assert not outcome.ok and "notifier check" in outcome.reason


@pytest.mark.parametrize("notify_type", ["info", "success", "warning", "failure"])
async def test_every_notify_type_reaches_the_service(receiver, notify_type):
    """Each of Apprise's notify types is passed through as given."""
    assert (await send_once(receiver.json_url(), title="T", body="B", notify_type=notify_type)).ok
    assert receiver.received[-1].json["type"] == notify_type


async def test_unknown_notify_type_falls_back_to_info(receiver):
    """A type Apprise does not know is sent as info rather than failing the alert."""
    assert (await send_once(receiver.json_url(), title="T", body="B", notify_type="surge")).ok
    assert receiver.received[-1].json["type"] == "info"


async def test_empty_body_sends_the_title(receiver):
    """Apprise needs a body: an alert with only a title still goes out."""
    assert (await send_once(receiver.json_url(), title="Only a title", body="")).ok
    assert receiver.received[-1].json["message"] == "Only a title"


def test_a_kept_apprise_object_sends_the_same_request_as_a_fresh_one(receiver):
    """json:// reuses its idle Apprise object; the request is byte for byte a fresh object's; ntfy's is never kept."""
    from notifier.delivery import send

    url = receiver.json_url()
    sent = []
    for reuse in (False, True, True):
        outcome = send._notify_blocking(
            url, title="Passed 1,000 likes", body="Now 1,100", notify_type="info", body_format="markdown", reuse=reuse,
        )
        assert outcome.ok, outcome.reason
        request = receiver.requests[-1]
        sent.append((request.method, request.path, request.headers, request.body))
    assert sent[0] == sent[1] == sent[2]
    assert len(send._kept[url]) == 1  # kept after the first send, taken and given back by the others
    ntfy = receiver.ntfy_url("alerts")
    assert send._notify_blocking(ntfy, title="t", body="b", notify_type="info", body_format="markdown").ok
    assert ntfy not in send._kept  # Apprise throttles ntfy per object: a fresh one each send
