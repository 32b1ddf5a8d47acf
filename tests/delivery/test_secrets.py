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


# ------------------------------------------------ every verbosity, every kind of URL

FIXED_HOSTS_CHILD = Path(__file__).with_name("fixed_hosts_child.py")
REPO = Path(__file__).resolve().parents[2]
NTFY_TOPIC = "ntfyTopicSecret42"
NTFYS_TOPIC = "ntfysTopicSecret77"
SLACK_TOKEN = "SlackTokenSecret123456789"
DISCORD_TOKEN = "DiscordTokenSecret987654321"
TELEGRAM_TOKEN = "TelegramTokenSecretABCDEFGHIJ1234567"
MAILTO_PASSWORD = "Mailto-Secret-5150"
JSON_PASSWORD = "Json-Secret-6174"
EVERY_SECRET = (NTFY_TOPIC, NTFYS_TOPIC, SLACK_TOKEN, DISCORD_TOKEN, TELEGRAM_TOKEN, MAILTO_PASSWORD, JSON_PASSWORD)


def _every_kind(receiver, smtp) -> dict[str, str]:
    port = receiver.port
    return {
        "hook": f"json://hookuser:{JSON_PASSWORD}@127.0.0.1:{port}/hook",
        "phone": f"ntfy://127.0.0.1:{port}/{NTFY_TOPIC}",
        # https to a plain-http receiver: it fails, and its error must hide the topic too.
        "secure": f"ntfys://127.0.0.1:{port}/{NTFYS_TOPIC}?cto=2&rto=2",
        "team": f"slack://T1ABCDEFG/B1ABCDEFG/{SLACK_TOKEN}",
        "chat": f"discord://1234567890/{DISCORD_TOKEN}",
        "bot": f"tgram://123456789:{TELEGRAM_TOKEN}/12345",
        "inbox": smtp.url(user="bob", password=MAILTO_PASSWORD),
    }


def _with_fixed_hosts(receiver, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**__import__("os").environ, "NOTIFIER_TEST_RECEIVER": receiver.url, "TZ": "UTC"}
    return subprocess.run(
        [sys.executable, str(FIXED_HOSTS_CHILD), *args],
        capture_output=True, text=True, timeout=120, cwd=cwd, env=env,
    )


def test_no_topic_token_or_password_at_any_verbosity(tmp_path, receiver, smtp):
    """`run -vv` (text and JSON logs) and `test -v` with ntfy, ntfys, Slack, Discord, Telegram,
    mailto and json URLs print no topic, token or password: Apprise's and urllib3's lines included."""
    receiver.answer("/services/", b"ok")
    targets = _every_kind(receiver, smtp)
    rules = write_rules(tmp_path / "rules.yaml", targets)
    text = rules.read_text().replace("notify: [hook]", f"notify: [{', '.join(targets)}]")
    text = text.replace("when: likes > 1000", "every: {likes: 1000}\n    once: true")
    rules.write_text(text)
    (tmp_path / "launch-day.jsonl").write_bytes((REPO / "examples" / "launch-day.jsonl").read_bytes())
    runs = [
        _with_fixed_hosts(receiver, tmp_path, "test", "-v", str(rules)),
        _with_fixed_hosts(receiver, tmp_path, "run", str(rules), "--replay", "launch-day.jsonl",
                          "--state", "text.db", "-vv"),
        _with_fixed_hosts(receiver, tmp_path, "run", str(rules), "--replay", "launch-day.jsonl",
                          "--state", "json.db", "-vv", "--log-format", "json"),
    ]
    tested, text_run, json_run = runs
    # The runs did what the test is about: sent to every local service, logged at DEBUG.
    assert "Loaded" in tested.stderr and "DEBUG" in text_run.stderr and '"level": "debug"' in json_run.stderr
    paths = {d.path.split("/")[1] for d in receiver.received}
    assert {"services", "api", f"bot123456789:{TELEGRAM_TOKEN}", "hook"} <= paths, paths
    assert len(smtp.mails) >= 3
    for run in runs:
        output = run.stdout + run.stderr
        found = [secret for secret in EVERY_SECRET if secret.lower() in output.lower()]
        assert found == [], (run.args[2:4], found)
