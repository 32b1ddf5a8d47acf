"""`notifier run` looking up a post a rule names by id: fake stream + fake X web API → subprocess → receiver."""

from __future__ import annotations

import json
from pathlib import Path

from tests.account.runs import AUTH_TOKEN, CT0, Run
from tests.daemon.process import NotifierProcess, child_env, wait_until
from tests.fakes.live_pipeline import FakeLivePipeline
from tests.fakes.receiver import Receiver
from tests.fakes.x_web import FakeXWeb

WORDS = "Launching today: the app that tells you when your post takes off"


def launch_rule(post: str) -> str:
    return f'  - name: Launch\n    tweets: ["{post}"]\n    every: {{likes: 1000}}\n'


def subscribed(stream: FakeLivePipeline, post: str) -> None:
    stream.wait_for(lambda f: any(f"/tweet_engagement/{post}" in live for live in f.sessions.values()), timeout=15)


def test_a_post_named_by_id_is_looked_up_once_and_its_alerts_quote_its_words(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """One lookup: the milestone's title quotes the post; after a restart the words come from the state file."""
    web.add_user("7", "brand", "Brand")
    post = web.add_post("7", WORDS, likes=10)
    run.rules(launch_rule(post))
    child = run.start("-v")
    child.wait_for_event("post_looked_up", timeout=15)
    subscribed(stream, post)
    stream.push_engagement(post, like_count=400)
    stream.push_engagement(post, like_count=1200)
    assert receiver.wait_for(lambda r: len(r.received) >= 1, timeout=15), child.stderr
    assert receiver.titles == ["“Launching today: the app that tells you…” passed 1,000 likes"]
    run.stop(child)

    again = run.start("-v")
    (started,) = again.wait_for_event("post_lookup_started", timeout=15)
    assert (started["known"], started["pending"]) == (1, 0)
    subscribed(stream, post)
    stream.push_engagement(post, like_count=2100)
    assert receiver.wait_for(lambda r: len(r.received) >= 2, timeout=15), again.stderr
    assert receiver.titles[1] == "“Launching today: the app that tells you…” passed 2,000 likes"
    run.stop(again)
    assert web.lookups(post) == 1


def test_a_stale_lookup_query_id_keeps_the_daemon_alive_with_one_log_line(
    run: Run, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """X rotated TweetResultByRestId: one error naming the setting, alerts name the post by id, the run goes on."""
    post = web.add_post("7", WORDS, likes=10)
    web.front_end = "none"  # x.com's web app offers no new id either
    web.stale("TweetResultByRestId")
    run.rules(launch_rule(post))
    child = run.start()
    (error,) = child.wait_for_event("post_lookup_rejected", timeout=15)
    assert "account.graphql.TweetResultByRestId" in error["message"]
    subscribed(stream, post)
    stream.push_engagement(post, like_count=400)
    stream.push_engagement(post, like_count=1200)
    assert receiver.wait_for(lambda r: len(r.received) >= 1, timeout=15), child.stderr
    assert receiver.titles == ["Tweet passed 1,000 likes"]
    wait_until(lambda: web.lookups() >= 3, timeout=15, what="the lookup to try again")  # poll: 1s
    assert child.running
    assert len(child.events("post_lookup_rejected")) == 1
    run.stop(child)


def test_without_an_account_in_the_rule_file_nothing_is_looked_up(
    tmp_path: Path, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver
) -> None:
    """Cookies from the environment only: the stream runs, titles name the post by id, X's web API is never asked."""
    post = web.add_post("7", WORDS, likes=10)
    (tmp_path / "rules.yaml").write_text(
        f"version: 1\ntargets:\n  hook: {json.dumps(receiver.json_url())}\n"
        "defaults:\n  notify: [hook]\nrules:\n" + launch_rule(post)
    )
    env = child_env(
        NOTIFIER_API_BASE=stream.url, NOTIFIER_WEB_API_BASE=web.url, HOME=str(tmp_path),
        NOTIFIER_AUTH_TOKEN=AUTH_TOKEN, NOTIFIER_CT0=CT0,
    )
    child = NotifierProcess(["rules.yaml", "--state", "state.db", "-v"], env=env, cwd=tmp_path)
    try:
        subscribed(stream, post)
        stream.push_engagement(post, like_count=400)
        stream.push_engagement(post, like_count=1200)
        assert receiver.wait_for(lambda r: len(r.received) >= 1, timeout=15), child.stderr
        assert receiver.titles == ["Tweet passed 1,000 likes"]
        assert child.events("post_lookup_started") == [] and web.lookups() == 0
    finally:
        child.kill()
