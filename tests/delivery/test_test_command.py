"""``notifier test RULES [--target NAME]`` against real servers, run as the user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def notifier(*args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """Run ``python -m notifier ARGS`` and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "notifier", *args], capture_output=True, text=True, timeout=timeout
    )


def write_rules(path: Path, targets: dict[str, str], targets_from: str | None = None) -> Path:
    lines = ["version: 1"]
    if targets_from:
        lines.append(f"targets_from: {targets_from}")
    lines.append("targets:")
    lines += [f"  {name}: '{url}'" for name, url in targets.items()]
    lines += [
        "rules:",
        "  - name: Launch tweet passes 1,000 likes",
        '    tweets: ["1850000000000000000"]',
        "    when: likes > 1000",
        f"    notify: [{next(iter(targets))}]",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_every_target_gets_a_test_notification(tmp_path, receiver, smtp):
    """Each target receives the test message; one 'sent' line per target; exit 0."""
    rules = write_rules(
        tmp_path / "rules.yaml",
        {"hook": receiver.json_url(), "phone": receiver.ntfy_url("alerts"), "inbox": smtp.url()},
    )
    result = notifier("test", str(rules))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [["hook", "sent"], ["phone", "sent"], ["inbox", "sent"]]
    assert receiver.titles == ["notifier test", "notifier test"]
    assert smtp.wait_for(lambda s: len(s.mails) == 1) and smtp.mails[0].subject == "notifier test"


def test_a_failing_target_is_reported_with_apprise_reason(tmp_path, receiver, other_receiver):
    """A target that answers 500 gets a FAILED line with Apprise's reason; exit 1."""
    other_receiver.fail(500)
    rules = write_rules(tmp_path / "rules.yaml", {"good": receiver.json_url(), "broken": other_receiver.json_url()})
    result = notifier("test", str(rules))
    assert result.returncode == 1
    good, broken = result.stdout.splitlines()
    assert good.split()[:2] == ["good", "sent"]
    assert broken.split()[:2] == ["broken", "FAILED"] and "error=500" in broken
    assert "1 of 2 target(s) failed" in result.stderr


def test_target_option_sends_to_that_target_only(tmp_path, receiver, other_receiver):
    """--target NAME tests one target and leaves the others alone."""
    rules = write_rules(tmp_path / "rules.yaml", {"one": receiver.json_url(), "two": other_receiver.json_url()})
    result = notifier("test", str(rules), "--target", "two")
    assert result.returncode == 0, result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["two"]
    assert receiver.requests == [] and other_receiver.titles == ["notifier test"]


def test_target_option_accepts_a_config_tag(tmp_path, receiver, other_receiver):
    """--target with a targets_from tag tests every URL carrying it."""
    config = tmp_path / "apprise.txt"
    config.write_text(f"ops={receiver.json_url()}\nops={other_receiver.ntfy_url('ops')}\n")
    rules = write_rules(tmp_path / "rules.yaml", {"screen": "console://"}, targets_from="apprise.txt")
    result = notifier("test", str(rules), "--target", "ops")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2
    assert receiver.titles == ["notifier test"] and other_receiver.titles == ["notifier test"]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [(["--target", "nope"], "no target or tag named 'nope'"), (["--timeout", "0"], "--timeout")],
)
def test_usage_errors_exit_2(tmp_path, extra, expected):
    """An unknown target or a bad option is explained on stderr with exit code 2."""
    rules = write_rules(tmp_path / "rules.yaml", {"screen": "console://"})
    result = notifier("test", str(rules), *extra)
    assert result.returncode == 2 and expected in result.stderr


def test_invalid_rule_file_exits_2(tmp_path):
    """A rule file that does not load is reported, nothing is sent, exit code 2."""
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\ntargets:\n  hook: 'jsno://127.0.0.1/x'\nrules: []\n")
    result = notifier("test", str(rules))
    assert result.returncode == 2 and "hook" in result.stderr
    missing = notifier("test", str(tmp_path / "absent.yaml"))
    assert missing.returncode == 2 and "absent.yaml" in missing.stderr


def test_a_failure_is_one_short_line_with_the_target_as_written(tmp_path, receiver, other_receiver):
    """An ntfy target shows as scheme, host and masked topic, without Apprise's defaults; its failure reads once."""
    other_receiver.fail(500)
    rules = write_rules(tmp_path / "rules.yaml", {
        "phone": other_receiver.ntfy_url("notifier-k3v9q2x7-alerts"),
        "team": receiver.json_url() + "?method=PUT",
    })
    result = notifier("test", str(rules))
    assert result.returncode == 1
    phone, team = result.stdout.splitlines()
    assert phone.split()[:3] == ["phone", "FAILED", f"ntfy://127.0.0.1:{other_receiver.port}/n...s:"], phone
    assert team.split()[:3] == ["team", "sent", f"json://127.0.0.1:{receiver.port}/hook?method=PUT"], team
    output = result.stdout + result.stderr
    for noise in ("priority=default", "mode=private", "overflow=upstream", "optional=no", "retry=0"):
        assert noise not in output
    assert output.count("error=500") == 1, output
    assert "notifier-k3v9q2x7-alerts" not in output


async def test_the_daemons_failed_send_is_one_log_line_with_a_short_target(receiver, start_deliverer):
    """A send the service refuses logs notifier's line once, with the target short; Apprise's warning is not repeated."""
    import io
    import logging

    from notifier.delivery import build_targets
    from notifier.logs import configure_logging
    from tests.delivery.conftest import make_alert

    stream = io.StringIO()
    handler = configure_logging(stream=stream)
    try:
        receiver.fail(500, times=1)
        targets = build_targets({"phone": receiver.ntfy_url("notifier-k3v9q2x7-alerts")})
        deliverer = await start_deliverer(targets)
        deliverer.enqueue([make_alert("phone")])
        assert await receiver.wait_for_async(lambda r: len(r.received) == 1, timeout=15)  # the retry
    finally:
        logging.getLogger().removeHandler(handler)
    text = stream.getvalue()
    assert text.count("error=500") == 1, text
    (failed,) = [line for line in text.splitlines() if "failed (attempt 1)" in line]
    assert f"(ntfy://127.0.0.1:{receiver.port}/n...s)" in failed and "priority=" not in text
