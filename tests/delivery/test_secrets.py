"""Secrets in Apprise URLs never appear in logs, results, output, errors or the database."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

from tests.delivery.test_test_command import notifier, write_rules

MAIL_PASSWORD = "Mail-Secret-4711"
HOOK_PASSWORD = "Hook-Secret-0815"
NTFY_TOKEN = "tk_NtfySecret2342"
DEAD_PASSWORD = "Dead-Secret-9999"
SECRETS = (MAIL_PASSWORD, HOOK_PASSWORD, NTFY_TOKEN, DEAD_PASSWORD)

CHILD = Path(__file__).with_name("secrets_child.py")


def leaked(text: str) -> list[str]:
    """The secrets found in ``text`` (URL-quoted forms included)."""
    return [secret for secret in SECRETS if secret in text or secret.lower() in text.lower()]


def urls(receiver, smtp, dead_receiver) -> dict[str, str]:
    return {
        "hook": f"json://hookuser:{HOOK_PASSWORD}@127.0.0.1:{receiver.port}/hook",
        "phone": receiver.ntfy_url("alerts", token=NTFY_TOKEN),
        "inbox": smtp.url(user="bob", password=MAIL_PASSWORD),
        "dead": f"json://dead:{DEAD_PASSWORD}@127.0.0.1:{dead_receiver.port}/hook?rto=1&cto=1",
    }


def test_delivery_success_failure_and_death_leak_no_secret(tmp_path, receiver, other_receiver, smtp):
    """With every logger at DEBUG, a delivery that succeeds, fails and dies prints no secret,
    and the outbox file holds none."""
    other_receiver.refuse()
    targets = urls(receiver, smtp, other_receiver)
    db = tmp_path / "state.db"
    good = [targets["hook"], targets["phone"], targets["inbox"]]
    child = subprocess.run(
        [sys.executable, str(CHILD), str(db), *good, "--", targets["dead"]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    output = child.stdout + child.stderr
    # The run did what the test is about: sent with the secrets, failed, gave up, logged at DEBUG.
    assert output.count("outcome='sent'") == 3 and "outcome='dead'" in output and "outcome='failed'" in output
    assert "DEBUG" in output and "giving up" in output and "error: target 'typo'" in output
    headers = [d.headers.get("Authorization", "") for d in receiver.received]
    assert f"Bearer {NTFY_TOKEN}" in headers
    assert "Basic " + base64.b64encode(f"hookuser:{HOOK_PASSWORD}".encode()).decode() in headers
    assert smtp.mails and smtp.mails[0].login == "bob"
    assert leaked(output) == []
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.name.startswith("state.db"))
    assert not [secret for secret in SECRETS if secret.encode() in stored]


def test_test_and_check_commands_leak_no_secret(tmp_path, receiver, other_receiver, smtp):
    """`notifier test` (also verbose, also failing) and `notifier check` show URLs masked only."""
    other_receiver.refuse()
    rules = write_rules(tmp_path / "rules.yaml", urls(receiver, smtp, other_receiver))
    # -vv: the libraries' own lines too, Apprise's warnings among them.
    runs = [notifier("test", str(rules)), notifier("test", "-vv", str(rules)), notifier("check", str(rules))]
    tested, verbose, checked = runs
    assert tested.returncode == 1 and "FAILED" in tested.stdout and "hookuser:****@" in tested.stdout
    assert verbose.returncode == 1 and "WARNING" in verbose.stderr
    assert checked.returncode == 0, checked.stderr
    assert len(receiver.received) == 4 and len(smtp.mails) == 2  # both test runs really sent
    for run in runs:
        assert leaked(run.stdout + run.stderr) == [], run.args
