"""Rule state follows the post: a reload that stops and resumes watching a tweet forgets nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from notifier.run.daemon import EXIT_OK

from .conftest import OTHER_TWEET, TWEET
from .inprocess import TOPIC, console_rules, engagement
from .test_replay_same import Recorder, make


def every(tweet: str) -> str:
    """A rule file whose one milestone rule (announcing a milestone already met) watches ``tweet``."""
    return console_rules(f"""\
  - name: Every
    tweets: ["{tweet}"]
    every: {{likes: 1000}}
    initial: fire
""")


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Recorder]:
    """A daemon past startup() on an empty recording, watching TWEET; shut down afterwards."""
    (tmp_path / "rules.yaml").write_text(every(TWEET))
    recording = tmp_path / "empty.jsonl"
    recording.write_text("")
    started = make(tmp_path, tmp_path / "rules.yaml", recording)
    assert await started.startup() == EXIT_OK
    try:
        yield started
    finally:
        await started.shutdown()


async def test_a_milestone_is_not_announced_again_after_a_reload_round_trip(
    daemon: Recorder, tmp_path: Path
) -> None:
    """A rule stops watching a tweet, a reload later watches it again: its milestone mark is remembered."""
    assert daemon.handle(TOPIC, engagement(like_count=500), 1.0) == []
    assert [alert.title for alert in daemon.handle(TOPIC, engagement(like_count=1500), 2.0)] == [
        "Tweet passed 1,000 likes"
    ]
    rules = tmp_path / "rules.yaml"
    rules.write_text(every(OTHER_TWEET))
    assert await daemon.parts.reloader.reload()
    daemon.handle(f"/tweet_engagement/{OTHER_TWEET}", engagement(like_count=10), 3.0)
    rules.write_text(every(TWEET))
    assert await daemon.parts.reloader.reload()
    # As after a restart: 1,000 was announced, so 1,600 says nothing; 2,100 is news.
    assert daemon.handle(TOPIC, engagement(like_count=1600), 4.0) == []
    assert [alert.title for alert in daemon.handle(TOPIC, engagement(like_count=2100), 5.0)] == [
        "Tweet passed 2,000 likes"
    ]
