"""`notifier check` and `replay --explain` on rule files that watch a whole account."""

from __future__ import annotations

import json

from notifier.cli import main
from notifier.commands.check import XCHAT_NOTE

from .test_load import full

RULES = """\
    version: 1
    account:
      cookies: cookies.json
      {poll}
    targets:
      team: json://localhost/team
    defaults:
      notify: [team]
    rules:
      - name: Mine
        tweets: {{from: me, within: 3d, max_posts: 2}}
        when: likes > 1000
      - name: Brand
        tweets: {{from: "@Brand", within: 2d, replies: false}}
        every: {{likes: 1000}}
      - name: Any new DM
        dms: any
        on: message
        requests: false
"""
NOW = 1_780_000_000.0


def rules_file(tmp_path, poll="poll: 2m"):
    return full(tmp_path, RULES.format(poll=poll))


def test_check_shows_each_followed_account_its_window_and_the_xchat_limit(tmp_path, capsys):
    """check lists the follows with their windows, the poll interval, and says plainly what dms: any cannot see."""
    assert main(["check", str(rules_file(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "Account watching\n  follows me: posts of the last 3 days, no replies, at most 2\n" in out
    assert "  follows @brand: posts of the last 2 days, no replies, at most 50\n" in out
    assert "  dms: any: every conversation the DM inbox shows, not message requests\n" in out
    assert "  asks X every 2 minutes (account.poll)\n" in out
    assert "every 1,000 likes · follows @brand: posts of the last 2 days, no replies, at most 50 · notify team" in out
    assert f"  note: {XCHAT_NOTE}\n" in out
    assert "end-to-end encrypted (XChat)" in XCHAT_NOTE and "do not appear" in XCHAT_NOTE
    assert "warning" not in out
    assert "Topics found at run time (account watching)\n" in out
    assert "  /tweet_engagement/<post> for each post of @brand it finds: posts of the last 2 days" in out
    assert "  /dm_update/<conversation> for each conversation the DM inbox shows, new ones too" in out


def test_check_prints_what_polling_costs_against_x_limits(tmp_path, capsys):
    """Two follows every 2 minutes cost 15 of UserTweets' 50 per 15 minutes; the inbox every 10 s, no limit listed."""
    assert main(["check", str(rules_file(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert ("  costs UserTweets: 15 requests per 15 minutes, 30% of X's 50\n"
            "  costs user_updates: 90 requests per 15 minutes (X lists no limit)\n") in out


def test_check_warns_when_polling_spends_more_than_80_percent_of_a_limit(tmp_path, capsys):
    """A poll of 30 s for two accounts is 60 of 50 timeline requests: check warns and says what to change."""
    assert main(["check", str(rules_file(tmp_path, "poll: 30s"))]) == 0
    out = capsys.readouterr().out
    assert "UserTweets: 60 requests per 15 minutes, 120% of X's 50" in out
    assert "  warning: account.poll spends 120% of X's 50 UserTweets requests per 15 minutes" in out
    assert "a longer account.poll" in out


def test_the_cost_of_polling_adds_up_per_endpoint():
    """Follows add up on their endpoint; replies use UserTweetsAndReplies; the inbox never polls slower than 10 s."""
    from notifier.rulefile.account import cost_warning, polling_cost

    costs = polling_cost([False, True, False], 60.0, True)
    assert [(c.endpoint, c.requests, c.limit) for c in costs] == [
        ("UserTweets", 30.0, 50), ("UserTweetsAndReplies", 15.0, 50), ("user_updates", 90.0, None),
    ]
    assert cost_warning(costs) is None
    assert cost_warning(polling_cost([False] * 3, 60.0, False)) is not None  # 45 of 50: above 80 %
    assert polling_cost([], 5.0, True)[0].requests == 180.0  # a poll shorter than 10 s reads the inbox as often


def test_check_of_a_file_without_account_watching_is_as_before(tmp_path, capsys):
    """No follows, no dms: any, no overrides: no account-watching section at all."""
    path = full(tmp_path, """\
        version: 1
        account:
          poll: 1s
        targets: {team: json://localhost/team}
        rules:
          - {name: A, tweets: ["1"], when: likes > 5, notify: [team]}
    """)
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Account watching" not in out and "XChat" not in out and "found at run time" not in out


def discovery_line(account, posts, ts=NOW):
    return json.dumps({"ts": ts, "topic": "/notifier/discovery",
                       "payload": {"discovery": {"account": account, "posts": posts}}})


def test_replay_explain_says_why_each_discovered_post_is_or_is_not_watched(tmp_path, capsys):
    """replay --explain on a discovery line: per post and follow rule, watched, or a reply, too old, beyond max_posts."""
    posts = [
        {"id": "1900000000000000004", "created_at": NOW - 600, "reply": True},
        {"id": "1900000000000000003", "created_at": NOW - 3600},
        {"id": "1900000000000000002", "created_at": None},
        {"id": "1900000000000000001", "created_at": NOW - 7200},
        {"id": "1900000000000000000", "created_at": NOW - 5 * 86400},
    ]
    events = tmp_path / "events.jsonl"
    events.write_text(discovery_line("me", posts) + "\n" + discovery_line("@nobody", [{"id": "5"}]) + "\n")
    assert main(["replay", str(rules_file(tmp_path)), str(events), "--explain"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:7] == [
        "line 1 · 2026-05-28 20:26:40 UTC · /notifier/discovery",
        "  me: 5 posts found",
        "  Mine: not watched — post 1900000000000000004 (10 minutes old): a reply (replies: true would watch it)",
        "  Mine: watched — post 1900000000000000003 (1 hour old): inside the window (within: 3 days), "
        "among the 2 newest that fit",
        "  Mine: watched — post 1900000000000000002 (time unknown): inside the window (within: 3 days), "
        "among the 2 newest that fit",
        "  Mine: not watched — post 1900000000000000001 (2 hours old): beyond max_posts (2 newer posts are watched)",
        "  Mine: not watched — post 1900000000000000000 (5 days old): older than the window (within: 3 days)",
    ]
    assert out[7:] == ["line 2 · 2026-05-28 20:26:40 UTC · /notifier/discovery", "  @nobody: 1 post found",
                       "  no rule follows @nobody"]


def test_replay_explain_json_on_a_discovery_line(tmp_path, capsys):
    """--format json --explain gives one object per post and rule, with watched or not_watched."""
    events = tmp_path / "events.jsonl"
    events.write_text(discovery_line("@brand", [{"id": "7", "created_at": NOW - 60}]) + "\n")
    assert main(["replay", str(rules_file(tmp_path)), str(events), "--explain", "--format", "json"]) == 0
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (record["rule"], record["key"], record["outcome"], record["matched"]) == ("Brand", "7", "watched", True)


def test_replay_without_explain_passes_discovery_lines_quietly(tmp_path, capsys):
    """A plain replay counts discovery lines as events, prints no alert for them and skips none."""
    events = tmp_path / "events.jsonl"
    events.write_text(discovery_line("me", []) + "\n")
    assert main(["replay", str(rules_file(tmp_path)), str(events)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "replayed 1 events" in captured.err and "skipped" not in captured.err


def test_check_of_the_readme_rules_says_what_will_be_watched(tmp_path, capsys, monkeypatch):
    """The README's rules follow an account: check says topics come at run time, never a bare '0 topics'."""
    from tests.test_readme_quickstart import _quickstart_rules

    monkeypatch.setenv("NTFY_TOPIC", "notifier-k3v9q2x7-alerts")
    path = tmp_path / "rules.yaml"
    path.write_text(_quickstart_rules(), encoding="utf-8")
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    head = out.splitlines()[0]
    assert head.endswith("OK — 2 rules, 0 topics known now and more found at run time, 1 target"), head
    assert "  follows me: posts of the last 3 days, no replies, at most 50\n" in out
    assert "  (me is the account the cookies sign in to)\n" in out
    assert "  dms: any: every conversation the DM inbox shows" in out
    assert "Topics known now\n  (none)\n" in out
    assert "  /tweet_engagement/<post> for each post of me it finds" in out
