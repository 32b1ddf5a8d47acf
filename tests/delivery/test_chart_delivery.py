"""Charts on the way out: PNG attachments, inline in email, sparklines elsewhere, chart: false, retries."""

from __future__ import annotations

import base64
import io
import tempfile
from types import SimpleNamespace

from PIL import Image

from notifier.alert import Chart
from notifier.delivery import build_targets, send_once
from notifier.delivery.attach import takes_attachments
from notifier.delivery.digest import digest_alert
from tests.delivery.conftest import make_alert, wait_until

TWEET = "1850000000000000000"
CHART = Chart(
    TWEET, "likes", tuple((1_767_000_000.0 + i * 60, 900.0 + i * 5) for i in range(40)),
    line=1000.0, line_label="1,000 likes", window=None,
)


def _png_size(data: bytes) -> tuple[int, int]:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image.size


def _attachments(delivery) -> list[dict]:
    return delivery.json.get("attachments") or []


async def test_json_receiver_gets_the_png_as_an_attachment(receiver, tmp_path, monkeypatch):
    """json:// carries the chart as a base64 PNG attachment of 600×200; its temporary file is gone after."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    outcome = await send_once(receiver.json_url(), title="Passed 1,000 likes", body="Now 1,100", charts=(CHART,))
    assert outcome.ok
    [delivery] = receiver.received
    [attached] = _attachments(delivery)
    assert attached["filename"] == "likes.png" and attached["mimetype"] == "image/png"
    assert _png_size(base64.b64decode(attached["base64"])) == (600, 200)
    assert delivery.json["message"] == "Now 1,100"  # the body as it was: the picture says the rest
    assert list(tmp_path.iterdir()) == []


async def test_email_carries_the_chart_inline_in_its_html(smtp):
    """mailto:// sends HTML whose <img> points at a Content-ID'd PNG part of the same mail."""
    outcome = await send_once(
        smtp.url(to="me@example.com"), title="Passed 1,000 likes", body="**1,100** likes", charts=(CHART,),
    )
    assert outcome.ok
    assert await smtp.wait_for_async(lambda s: len(s.mails) == 1)
    message = smtp.mails[0].message
    assert message.get_content_type() == "multipart/related"
    assert '<img src="cid:likes.png">' in smtp.mails[0].html
    assert "<strong>1,100</strong>" in smtp.mails[0].html
    [image] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<likes.png>"
    assert image.get_content_disposition() == "inline"
    assert _png_size(image.get_content()) == (600, 200)


async def test_a_service_without_attachments_gets_a_sparkline_line(receiver):
    """A service Apprise sends no files to (Gotify) gets the body plus one sparkline line."""
    outcome = await send_once(
        f"gotify://127.0.0.1:{receiver.port}/token", title="Passed 1,000 likes", body="Now 1,100",
        charts=(CHART,),
    )
    assert outcome.ok
    [delivery] = receiver.received
    body = delivery.json["message"]
    first, line = body.split("\n")
    assert first == "Now 1,100"
    assert line.startswith("likes ▁") and line.endswith("900 → 1,095 over 39 min")


def test_attachment_support_comes_from_the_plugin():
    """Apprise's plugin attribute decides; a Slack webhook, which drops files, gets the sparkline."""
    import apprise

    def plugin(url: str):
        return apprise.Apprise.instantiate(url)

    assert takes_attachments(plugin("tgram://123456789:abcdefg_hijklmnop/12315544/"))
    assert takes_attachments(plugin("pover://" + "u" * 30 + "@" + "a" * 30))
    assert takes_attachments(plugin("slack://xoxb-1234-1234-abc123/#general"))
    assert not takes_attachments(plugin("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general"))
    assert not takes_attachments(plugin("gotify://example.com/token"))


async def test_chart_false_on_a_target_and_a_retry_that_still_has_the_chart(start_deliverer, receiver):
    """A target with chart: false gets no attachment; a send that failed once is retried with the chart."""
    targets = build_targets({
        "hook": receiver.json_url(),
        "plain": SimpleNamespace(url=receiver.json_url("/plain"), policy=None, chart=False),
    })
    receiver.fail(500, times=1)
    deliverer = await start_deliverer(targets)
    deliverer.enqueue([make_alert("hook", "plain", charts=(CHART,))])
    assert await deliverer.drain(timeout=10)
    assert await wait_until(lambda: len(receiver.received) == 2)
    by_path = {delivery.path: delivery for delivery in receiver.received}
    assert len(_attachments(by_path["/hook"])) == 1
    assert _attachments(by_path["/plain"]) == []
    assert len(receiver.requests) == 3  # one of them failed first and went again, from the outbox


def test_a_digest_carries_one_chart_per_post():
    """Alerts about two posts, three of them on the same post, fold into a digest with two charts, the newest."""
    older = Chart(TWEET, "likes", ((0.0, 1.0),))
    newer = Chart(TWEET, "likes", ((0.0, 1.0), (60.0, 2.0)))
    other = Chart("1850000000000000001", "views", ((0.0, 5.0),))
    alerts = [
        make_alert("hook", ts=100.0, charts=(older,)), make_alert("hook", ts=300.0, charts=(newer,)),
        make_alert("hook", ts=200.0, charts=(other,)), make_alert("hook", ts=250.0),
    ]
    from datetime import UTC

    digest = digest_alert(alerts, target="hook", reason="during quiet hours", now=400.0, zone=UTC)
    assert digest.charts == (newer, other)


async def test_a_digest_of_three_posts_is_one_ntfy_notification_with_one_grid(receiver):
    """ntfy takes one attachment a message: three posts' charts go as one grid PNG with the text, in one request."""
    from urllib.parse import parse_qs, urlsplit

    charts = tuple(
        Chart(f"18500000000000000{n:02d}", "likes", ((1_767_000_000.0, 10.0 * n), (1_767_000_600.0, 50.0 * n)))
        for n in range(1, 4)
    )
    outcome = await send_once(
        receiver.ntfy_url("digest"), title="3 alerts during quiet hours", body="**Likes** (3)", charts=charts,
    )
    assert outcome.ok, outcome.reason
    [request] = receiver.requests  # not one per chart, seconds apart
    query = parse_qs(urlsplit(request.path).query)
    assert query["title"] == ["3 alerts during quiet hours"] and query["message"]
    assert query["filename"] == ["charts.png"]
    assert _png_size(request.body) == (1200, 400)


def test_a_digest_keeps_the_charts_of_at_most_six_posts():
    """A digest about ten posts carries the newest six posts' charts, which fit one picture."""
    from datetime import UTC

    alerts = [
        make_alert("hook", ts=float(n), charts=(Chart(f"18500000000000000{n:02d}", "likes", ((0.0, 1.0),)),))
        for n in range(10)
    ]
    digest = digest_alert(alerts, target="hook", reason="during quiet hours", now=20.0, zone=UTC)
    assert [chart.key[-2:] for chart in digest.charts] == ["09", "08", "07", "06", "05", "04"]


def test_a_telegram_digest_longer_than_a_caption_gets_sparklines_not_a_second_message():
    """Telegram sends text over 1,024 characters apart from its photo: a long digest carries sparklines instead."""
    import apprise

    from notifier.delivery.attach import attached

    plugin = apprise.Apprise.instantiate("tgram://123456789:abcdefg_hijklmnop/12315544/")
    charts = (CHART, Chart("1850000000000000001", "likes", ((0.0, 1.0), (60.0, 5.0))))
    with attached(plugin, "tgram://", "short digest", charts) as (body, attachment):
        assert attachment is not None and len(attachment) == 1 and body == "short digest"
    long_body = "- 06:12 CEST Tweet passed 3,000 likes\n" * 40
    with attached(plugin, "tgram://", long_body, charts) as (body, attachment):
        assert attachment is None
        assert body.startswith(long_body) and body.count("likes ") >= 2


def test_a_chart_from_memory_is_the_same_request_as_from_a_file(receiver):
    """json:// and ntfy:// get the chart from memory (no temp file); the service sees byte for byte what a file sends."""
    import apprise

    from notifier.delivery.attach import MEMORY_SCHEMES, _schemes, attached

    digest = tuple(
        Chart(f"18500000000000000{n:02d}", "likes", ((1_767_000_000.0, n), (1_767_000_600.0, 9.0 * n))) for n in (1, 2)
    )
    for url in (receiver.json_url(), receiver.ntfy_url("alerts")):
        for charts in ((CHART,), digest):
            sent = []
            for memory in (True, False):
                plugin = apprise.Apprise.instantiate(url)
                assert plugin is not None and _schemes(plugin) & MEMORY_SCHEMES
                with attached(plugin, url, "Now 1,100", charts, memory=memory) as (body, attach):
                    assert (type(attach[0]).__name__ == "AttachMemory") is memory
                    assert plugin.notify(body=body, title="Passed 1,000 likes", attach=attach)
                request = receiver.requests[-1]
                sent.append((request.method, request.path, request.body))
            assert sent[0] == sent[1]


async def test_the_png_drawn_ahead_is_the_png_drawn_at_the_send(start_deliverer, receiver):
    """enqueue draws the chart ahead on its own thread; the target gets exactly draw()'s bytes, and a console none."""
    from notifier.charts.png import draw
    from notifier.delivery import attach

    chart = Chart(TWEET, "likes", tuple((1_767_100_000.0 + i * 60, 50.0 + i * i) for i in range(30)), line=900.0)
    deliverer = await start_deliverer(build_targets({"hook": receiver.json_url(), "screen": "console://"}))
    deliverer.enqueue([make_alert("screen", charts=(chart,))])
    assert (chart,) not in attach._ahead  # nobody would look at the picture
    deliverer.enqueue([make_alert("hook", charts=(chart,))])
    assert (chart,) in attach._ahead
    assert await deliverer.drain(timeout=10)
    assert await wait_until(lambda: len(receiver.received) == 1)
    [attached] = _attachments(receiver.received[0])
    assert base64.b64decode(attached["base64"]) == draw(chart) == attach._png_of((chart,), ahead=False)
