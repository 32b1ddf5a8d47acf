"""`notifier check` warnings: what would fail in `notifier run` although the rule file loads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from notifier.cli import main

from ..daemon.process import child_env
from .helpers import HEADER, TWEET, write_rules

RULE = f"""
    - name: A
      tweets: ["{TWEET}"]
      when: likes > 1
"""


def notifier(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "notifier", *args], cwd=cwd, env=child_env(HOME=str(cwd), **env),
        capture_output=True, text=True, timeout=60, check=False,
    )


def test_missing_cookies_are_a_check_warning_and_run_points_to_login(tmp_path):
    """check warns (exit 0) that the cookies file is missing; run then fails naming notifier login."""
    path = write_rules(tmp_path, RULE, header=HEADER.replace("version: 1\n", "version: 1\naccount:\n  cookies: c.json\n"))
    checked = notifier("check", str(path), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == (
        f"warning: the cookies file {tmp_path.resolve() / 'c.json'} (account.cookies) does not exist; "
        "notifier run needs the cookies of a logged-in X session, notifier replay does not "
        f"— run notifier login {path} to check and save them\n"
    )
    ran = notifier("run", str(path), "--state", str(tmp_path / "state.db"), cwd=tmp_path)
    assert ran.returncode == 2
    assert f"notifier login {path} checks and saves them" in ran.stderr


def test_no_cookies_anywhere_is_a_check_warning(tmp_path, capsys, monkeypatch):
    """Without account.cookies and without NOTIFIER_AUTH_TOKEN/NOTIFIER_CT0, check says so and how to fix it."""
    monkeypatch.delenv("NOTIFIER_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("NOTIFIER_CT0", raising=False)
    path = write_rules(tmp_path, RULE)
    assert main(["check", str(path)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("warning: no X session cookies: the rule file has no account.cookies, and "
                          "NOTIFIER_AUTH_TOKEN and NOTIFIER_CT0 are not set;")
    monkeypatch.setenv("NOTIFIER_AUTH_TOKEN", "a" * 40)
    monkeypatch.setenv("NOTIFIER_CT0", "b" * 40)
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().err == ""


def test_an_unreadable_cookies_file_is_a_check_warning(tmp_path, capsys, monkeypatch):
    """A cookies path that cannot be read as a cookie file is named, with no cookie value shown."""
    monkeypatch.delenv("NOTIFIER_AUTH_TOKEN", raising=False)
    (tmp_path / "c.json").mkdir()
    path = write_rules(tmp_path, RULE, header=HEADER.replace("version: 1\n", "version: 1\naccount:\n  cookies: c.json\n"))
    assert main(["check", str(path)]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"warning: cannot read cookie file '{tmp_path.resolve() / 'c.json'}'"), err
    assert "notifier login" in err


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("ntfy://ntfy.sh/my-topic", "ntfy.sh"),
        ("ntfy://user:pw@ntfy.example.org:8080/my-topic", "ntfy.example.org"),
        ("ntfy://203.0.113.7/my-topic", None),  # documentation range: not global
        ("ntfy://8.8.8.8/my-topic", "8.8.8.8"),
        ("ntfy://my-topic", None),  # Apprise's cloud mode: ntfy.sh over HTTPS
        ("ntfys://ntfy.sh/my-topic", None),
        ("ntfy://localhost:8080/my-topic", None),
        ("ntfy://192.168.1.5/my-topic", None),
        ("ntfy://nas.local/my-topic", None),
        ("ntfy://router.lan/my-topic", None),
        ("ntfy://nas/my-topic", None),
    ],
)
def test_a_plain_http_ntfy_target_on_a_public_host_is_warned_about(tmp_path, capsys, monkeypatch, url, warned):
    """ntfy:// to a public host sends the topic in clear: check says so and suggests ntfys://, secrets masked."""
    monkeypatch.setenv("NOTIFIER_AUTH_TOKEN", "a" * 40)
    monkeypatch.setenv("NOTIFIER_CT0", "b" * 40)
    path = write_rules(tmp_path, RULE, header=HEADER.replace("json://localhost/team", url))
    assert main(["check", str(path)]) == 0
    err = capsys.readouterr().err
    if warned is None:
        assert err == ""
    else:
        assert err == (
            f"warning: target 'team' sends to ntfy://{warned}, a public host, over plain HTTP: anyone on the way "
            f"can read the topic, and with it subscribe to your alerts — write ntfys://{warned}/... instead\n"
        )
        assert "my-topic" not in err and "pw" not in err


def test_the_examples_in_messages_pass_check_without_a_warning(tmp_path, capsys, monkeypatch):
    """The target URL that error messages offer as an example is one check does not warn about."""
    from notifier.rulefile.placement import BELONGS

    monkeypatch.setenv("NOTIFIER_AUTH_TOKEN", "a" * 40)
    monkeypatch.setenv("NOTIFIER_CT0", "b" * 40)
    example = BELONGS["quiet"][1].split("{url: ", 1)[1].split(",", 1)[0]
    path = write_rules(tmp_path, RULE, header=HEADER.replace("json://localhost/team", example))
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().err == ""
