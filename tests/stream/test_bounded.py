"""Bounded inputs of the stream layer: cookie files, recording lines and counts no post can have."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from notifier import CredentialsError
from notifier.stream import load_cookies
from notifier.stream.parse import _parse, parse_message
from notifier.stream.recording import bounded_lines, read_recorded

TOPIC = "/tweet_engagement/1850000000000000000"


def engagement_line(**counts: object) -> str:
    return json.dumps({"topic": TOPIC, "payload": {"tweet_engagement": counts}})


def test_a_cookie_file_over_1_mb_is_refused(tmp_path: Path) -> None:
    """A cookie file over 1 MB is refused with its name and size, never sent as a header."""
    path = tmp_path / "cookies.json"
    path.write_text(json.dumps({"auth_token": "a" * 40, "ct0": "b" * 32, "junk": "x" * (1 << 20)}))
    with pytest.raises(CredentialsError, match=r"over 1 MB") as caught:
        load_cookies(path)
    assert str(path) in str(caught.value)


def test_a_cookie_file_just_under_the_bound_still_loads(tmp_path: Path) -> None:
    """The bound refuses only what no cookie export is: a large but real file still loads."""
    path = tmp_path / "cookies.json"
    path.write_text(json.dumps({"auth_token": "a" * 40, "ct0": "b" * 32, "other": "x" * 500_000}))
    assert load_cookies(path).ct0 == "b" * 32


@pytest.mark.parametrize(
    "counts",
    [
        {"like_count": "-3"},
        {"like_count": -3},
        {"retweet_count": str(10**12 + 1)},
        {"reply_count": 10**12 + 1},
        {"quote_count": "99999999999999999"},
        {"view_count_info": {"count": str(10**13), "state": "EnabledWithCount"}},
        {"like_count": "5", "view_count_info": {"count": -1}},
    ],
)
def test_a_count_that_cannot_be_real_makes_the_line_malformed(counts: dict) -> None:
    """A negative count or one over 10**12 makes the whole line unusable, on both parsing paths."""
    line = engagement_line(**counts)
    assert parse_message(line) is None
    assert _parse(line) is None


def test_the_largest_real_count_is_kept() -> None:
    """10**12 and 0 are still counts: only what no post can have is refused."""
    _, payload = parse_message(engagement_line(like_count=str(10**12), reply_count="0"))
    assert (payload.tweet_engagement.like_count, payload.tweet_engagement.reply_count) == (10**12, 0)


def test_a_recording_line_over_1_mb_is_skipped_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    """A recording line over 1 MB is skipped with a warning naming its line, counted, and reading goes on."""
    good = json.dumps({"ts": 1.0, "topic": TOPIC, "payload": {"tweet_engagement": {"like_count": "5"}}})
    huge = json.dumps({"ts": 2.0, "topic": TOPIC, "payload": {"tweet_engagement": {"x": "y" * (1 << 21)}}})
    text = "\n".join([good, huge, good.replace("1.0", "3.0")]) + "\n"
    skipped: list[int] = []
    with caplog.at_level(logging.WARNING):
        events = list(read_recorded(bounded_lines(io.StringIO(text), "events.jsonl"), on_skip=skipped.append))
    assert [event.line for event in events] == [1, 3]
    assert skipped == [2]
    assert "events.jsonl:2" in caplog.text and "over 1 MB" in caplog.text


def test_a_recording_without_newlines_is_read_in_bounded_pieces() -> None:
    """An endless line (a file of zeros) is refused piece by piece, never read whole."""

    class Endless(io.TextIOBase):
        def __init__(self) -> None:
            self.served = 0

        def readline(self, size: int = -1) -> str:
            assert 0 < size <= (1 << 20) + 1, "readline must be bounded"
            if self.served > 8 << 20:
                return ""
            self.served += size
            return "\0" * size

    lines = list(bounded_lines(Endless(), "/dev/zero"))
    assert len(lines) == 1 and len(lines[0]) < 100


async def test_a_deep_error_page_when_the_stream_opens_is_an_ordinary_failure():
    """A 503 whose body is 5 KB of nesting is a StreamError to reconnect from, not a RecursionError."""
    from notifier.exceptions import StreamError
    from notifier.stream.client import StreamClient
    from tests.fakes.live_pipeline import FakeLivePipeline

    with FakeLivePipeline(heartbeat_millis=300, own_user_id="1000") as stream:
        stream.fail_next(503, body=b'{"errors":' + b"[" * 5000)
        async with StreamClient(stream.cookies, api_base=stream.url) as live:
            with pytest.raises(StreamError) as caught:
                await live.get_streaming_session(["/tweet_engagement/1850"], auto_reconnect=False)
    assert "503" in str(caught.value)
