"""One session, one ct0: a rotated ct0 is used by the stream and the web client alike, and saved to the cookie file."""

from __future__ import annotations

import json
import stat

import pytest

from notifier.account import XWebClient
from notifier.stream.auth import SessionCookies, load_cookies
from notifier.stream.client import StreamClient
from tests.fakes.live_pipeline import FakeLivePipeline
from tests.fakes.x_web import FakeXWeb

AUTH = "auth-token-value-1234567890"
OLD = "old-csrf-token-value-12345"
NEW = "new-csrf-token-value-67890"
ROTATED = f"ct0={NEW}; Max-Age=21600; Path=/; Domain=.x.com; Secure; SameSite=Lax"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("cookies.json", json.dumps({"auth_token": AUTH, "ct0": OLD, "twid": "u%3D1000"})),
        ("export.json", json.dumps([
            {"domain": ".x.com", "name": "auth_token", "value": AUTH},
            {"domain": ".x.com", "name": "ct0", "value": OLD},
        ])),
        ("cookies.txt", f"# Netscape HTTP Cookie File\n#HttpOnly_.x.com\tTRUE\t/\tTRUE\t0\tauth_token\t{AUTH}\n"
                        f".x.com\tTRUE\t/\tTRUE\t0\tct0\t{OLD}\n.example.com\tTRUE\t/\tFALSE\t0\tct0\tother\n"),
    ],
)
def test_a_rotated_ct0_is_written_back_in_the_files_own_format(tmp_path, name, text):
    """The new ct0 replaces the old in a JSON object, a browser export or a cookies.txt; the file is mode 600."""
    path = tmp_path / name
    path.write_text(text)
    path.chmod(0o644)
    session = SessionCookies(load_cookies(path))
    assert session.accept([ROTATED]) is True
    assert session.cookies.ct0 == NEW and session.headers()["X-Csrf-Token"] == NEW
    again = load_cookies(path)
    assert (again.ct0, again.auth_token) == (NEW, AUTH)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert OLD not in path.read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_cookies_from_the_environment_are_rotated_in_memory_only():
    """Without a cookie file the new ct0 is used, and nothing is written."""
    session = SessionCookies(load_cookies(None, env={"NOTIFIER_AUTH_TOKEN": AUTH, "NOTIFIER_CT0": OLD}))
    assert session.accept(["other=1; Path=/", ROTATED]) and session.cookies.ct0 == NEW
    assert session.accept([ROTATED]) is False  # the same value again changes nothing


async def test_the_stream_reconnects_with_the_ct0_the_web_client_was_given(tmp_path):
    """X rotates ct0 on a web API answer; the stream's next connection sends the new one and is accepted."""
    with FakeXWeb(auth_token=AUTH, ct0=OLD) as web, FakeLivePipeline(
        heartbeat_millis=300, own_user_id="1000", auth_token=AUTH, ct0=OLD
    ) as stream:
        path = tmp_path / "cookies.json"
        path.write_text(json.dumps(web.cookies))
        session = SessionCookies(load_cookies(path))
        client = XWebClient(session, api_base=web.url, learned={"found_at": 2e9})
        web.rotate_ct0(NEW)
        await client.settings()
        stream.ct0 = NEW  # X now accepts only the new one, on the stream too
        async with StreamClient(session, api_base=stream.url) as live:
            live_session = await live.get_streaming_session(["/tweet_engagement/1850"], auto_reconnect=False)
            await live_session.aclose()
        await client.aclose()
        assert json.loads(path.read_text())["ct0"] == NEW

