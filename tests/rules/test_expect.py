"""Rule tests: `notifier replay --expect` compares fired alerts with a golden file, like promtool."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from notifier.alert import Alert
from notifier.cli import main
from notifier.rules.expect import ExpectFileError, compare, dump_expected, load_expected

from .helpers import TWEET, write_rules

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_RULES = ROOT / "rules.example.yaml"
LAUNCH_DAY = ROOT / "examples" / "launch-day.jsonl"
LAUNCH_DAY_EXPECTED = ROOT / "examples" / "launch-day.expected.yaml"

RULES = f"""
- name: Likes
  tweets: ["{TWEET}"]
  every: {{likes: 1000}}
"""

# 2023-11-14 22:13:20 UTC
T0 = 1_700_000_000


def likes(count: int, ts: float) -> str:
    return json.dumps({"ts": ts, "topic": f"/tweet_engagement/{TWEET}",
                       "payload": {"tweet_engagement": {"like_count": str(count)}}})


@pytest.fixture
def setup(tmp_path: Path):
    """A rule file and a recording that fires 'Tweet passed 1,000 likes' then '2,000'."""
    rules = write_rules(tmp_path, RULES)
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join([likes(10, T0), likes(1500, T0 + 60), likes(2100, T0 + 120.9)]) + "\n")
    return rules, events


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "expected.yaml"
    path.write_text(text)
    return path


GOOD = f"""\
alerts:
  - at: "2023-11-14 22:14:20"
    rule: Likes
    key: "{TWEET}"
    title: Tweet passed 1,000 likes
  - at: 2023-11-14 22:15:20
    rule: Likes
    key: {TWEET}
    title: "Tweet passed 2,000 likes"
"""


def test_the_launch_day_golden_file_holds() -> None:
    """examples/launch-day.expected.yaml is exactly what the example rules fire on the launch day."""
    assert main(["replay", str(EXAMPLE_RULES), str(LAUNCH_DAY), "--expect", str(LAUNCH_DAY_EXPECTED)]) == 0
    assert len(load_expected(LAUNCH_DAY_EXPECTED).alerts) >= 10


def test_matching_alerts_exit_0(setup, tmp_path, capsys) -> None:
    """Alerts equal in time (to the second), rule, key and title pass; unquoted YAML values work."""
    rules, events = setup
    assert main(["replay", str(rules), str(events), "--expect", str(write(tmp_path, GOOD))]) == 0
    assert capsys.readouterr().out.startswith("ok: the 2 alerts fired are the ones")


def test_a_different_title_prints_a_diff_and_exits_1(setup, tmp_path, capsys) -> None:
    """A changed title shows as - expected / + fired lines; the exit code is 1."""
    rules, events = setup
    expected = write(tmp_path, GOOD.replace("2,000 likes", "2,500 likes"))
    assert main(["replay", str(rules), str(events), "--expect", str(expected)]) == 1
    captured = capsys.readouterr()
    assert f"-2023-11-14 22:15:20 UTC  Likes [{TWEET}]: Tweet passed 2,500 likes" in captured.out
    assert f"+2023-11-14 22:15:20 UTC  Likes [{TWEET}]: Tweet passed 2,000 likes" in captured.out
    assert "FAILED" in captured.err and "--format expect" in captured.err


def test_a_missing_and_an_extra_alert_fail(setup, tmp_path, capsys) -> None:
    """Fewer or more alerts than expected both fail."""
    rules, events = setup
    one = GOOD.split("  - at: 2023-11-14 22:15:20")[0]
    assert main(["replay", str(rules), str(events), "--expect", str(write(tmp_path, one))]) == 1
    assert main(["replay", str(rules), str(events), "--expect", str(write(tmp_path, "alerts: []\n"))]) == 1
    assert "+2023-11-14 22:14:20" in capsys.readouterr().out


def test_time_counts_to_the_second(setup, tmp_path) -> None:
    """An alert a second later than expected is a mismatch (the replay's clock is part of the test)."""
    rules, events = setup
    late = write(tmp_path, GOOD.replace("22:15:20", "22:15:21"))
    assert main(["replay", str(rules), str(events), "--expect", str(late)]) == 1


def test_without_times_only_the_order_counts(setup, tmp_path) -> None:
    """A file with no at: compares rule, key and title in order."""
    rules, events = setup
    untimed = "\n".join(line for line in GOOD.splitlines() if "at:" not in line).replace("    rule:", "  - rule:")
    assert main(["replay", str(rules), str(events), "--expect", str(write(tmp_path, untimed + "\n"))]) == 0


def test_silence_can_be_expected(tmp_path, capsys) -> None:
    """alerts: [] passes when nothing fires."""
    rules = write_rules(tmp_path, RULES)
    events = tmp_path / "events.jsonl"
    events.write_text(likes(10, T0) + "\n" + likes(900, T0 + 1) + "\n")
    assert main(["replay", str(rules), str(events), "--expect", str(write(tmp_path, "alerts: []\n"))]) == 0


def test_format_expect_writes_a_file_that_passes(setup, tmp_path, capsys) -> None:
    """--format expect prints a golden file; checking the same replay against it passes."""
    rules, events = setup
    assert main(["replay", str(rules), str(events), "--format", "expect"]) == 0
    golden = write(tmp_path, capsys.readouterr().out)
    assert golden.read_text().startswith("# The alerts `notifier replay")
    assert main(["replay", str(rules), str(events), "--expect", str(golden)]) == 0


def test_dump_keeps_any_title_exact(tmp_path) -> None:
    """Titles with quotes, colons, '#' and non-ASCII survive a dump and load unchanged."""
    title = 'He said: "5,000 ❤" # not a comment \\ ok'
    alert = Alert("R: x", "/tweet_engagement/1", "1", title, "", ("t",), T0 + 0.7)
    path = write(tmp_path, dump_expected([alert]))
    assert load_expected(path).alerts[0].title == title
    assert compare(load_expected(path), [alert]) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("alerts:\n  - rule: A\n    key: '1'\n    titel: x\n", "expected.yaml:4:5: unknown key 'titel' in alert 1 — did you mean 'title'?"),
        ("alert: []\n", "expected.yaml:1:1: unknown key 'alert' at the top level — did you mean 'alerts'?"),
        ("alerts:\n  - at: yesterday\n    rule: A\n    key: '1'\n    title: x\n",
         "expected.yaml:2:9: at: 'yesterday' of alert 1 is not a time"),
        ("alerts:\n  - at: 5\n    rule: A\n    key: '1'\n    title: x\n  - rule: A\n    key: '1'\n    title: y\n",
         "expected.yaml:6:1: alert 2 has no at: while others have"),
        ("alerts:\n  - rule: A\n    key: '1'\n", "expected.yaml:2:5: alert 1 has no title:"),
        ("alerts: {}\n", "expected.yaml:1:9: alerts must be a list"),
        ("- rule: A\n", "expected.yaml:1:1: the file must be a mapping with an alerts: list"),
        ("alerts: [\n", "expected.yaml:2:1: this is not valid YAML"),
    ],
)
def test_bad_expected_files_name_the_place_and_the_fix(tmp_path, text: str, problem: str) -> None:
    """Every problem of an expected file is reported as file:line:column: what — fix."""
    with pytest.raises(ExpectFileError) as caught:
        load_expected(write(tmp_path, text))
    assert any(problem in line for line in caught.value.problems), caught.value.problems


def test_bad_expected_file_exits_2(setup, tmp_path, capsys) -> None:
    """A broken or missing expected file exits 2 before anything is compared."""
    rules, events = setup
    assert main(["replay", str(rules), str(events), "--expect", str(write(tmp_path, "alert: []\n"))]) == 2
    assert "unknown key 'alert'" in capsys.readouterr().err
    assert main(["replay", str(rules), str(events), "--expect", str(tmp_path / "none.yaml")]) == 2
    assert "cannot read it" in capsys.readouterr().err


def test_format_expect_cannot_be_combined(setup, capsys) -> None:
    """--format expect with --explain is a usage error, not a mixed output."""
    rules, events = setup
    assert main(["replay", str(rules), str(events), "--format", "expect", "--explain"]) == 2
    assert "cannot be combined" in capsys.readouterr().err
