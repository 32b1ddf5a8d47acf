"""`notifier login` as a subprocess against the fake X web API: cookies in, one check, a 600 file out."""

from __future__ import annotations

import json
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.daemon.inprocess import console_rules
from tests.daemon.process import child_env
from tests.fakes.x_web import SETTINGS, FakeXWeb

RULE = '  - name: Likes\n    tweets: ["20"]\n    every: {likes: 1000}\n'


def login(
    api_base: str, cwd: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m notifier login ARGS`` with ``stdin`` piped in (so never a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "notifier", "login", *args],
        input=stdin, cwd=cwd, env=child_env(NOTIFIER_WEB_API_BASE=api_base),
        capture_output=True, text=True, encoding="utf-8", timeout=60,
    )


def pasted(cookies: dict[str, str]) -> str:
    """A browser's Cookie request header for ``cookies`` (plus a cookie login does not keep)."""
    return "Cookie: " + "; ".join(f"{name}={value}" for name, value in cookies.items()) + "; lang=en\n"


def assert_no_secret(done: subprocess.CompletedProcess[str], fake: FakeXWeb) -> None:
    for secret in (fake.auth_token, fake.ct0):
        assert secret not in done.stdout and secret not in done.stderr


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def x_web() -> Iterator[FakeXWeb]:
    """A FakeXWeb whose signed-in account is @alice."""
    with FakeXWeb(own_screen_name="alice") as fake:
        yield fake


def test_cookie_header_on_stdin_is_checked_and_saved_to_account_cookies(x_web, tmp_path):
    """A Cookie header on stdin is checked with one request and written 600 to the rule file's account.cookies."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(console_rules(RULE, cookies="secrets/x.json"))

    done = login(x_web.url, tmp_path, str(rules), stdin=pasted(x_web.cookies))

    assert done.returncode == 0, done.stderr
    written = tmp_path / "secrets" / "x.json"
    assert "signed in as @alice" in done.stdout and str(written) in done.stdout
    assert json.loads(written.read_text()) == x_web.cookies
    assert mode(written) == 0o600
    assert [r["path"] for r in x_web.requests] == [SETTINGS]
    assert_no_secret(done, x_web)


def test_cookies_txt_from_a_browser_is_saved_to_output(x_web, tmp_path):
    """--from-file reads a Netscape cookies.txt, keeps x.com's auth_token, ct0 and twid, writes --output."""
    lines = ["# Netscape HTTP Cookie File", ".example.com\tTRUE\t/\tTRUE\t0\tct0\tnot-this-one"]
    lines += [f".x.com\tTRUE\t/\tTRUE\t0\t{name}\t{value}" for name, value in x_web.cookies.items()]
    lines.append(".x.com\tTRUE\t/\tFALSE\t0\tguest_id\tv1%3A170000000000000000")
    (tmp_path / "cookies.txt").write_text("\n".join(lines) + "\n")

    done = login(x_web.url, tmp_path, "--from-file", "cookies.txt", "--output", "out.json")

    assert done.returncode == 0, done.stderr
    assert "signed in as @alice" in done.stdout
    assert json.loads((tmp_path / "out.json").read_text()) == x_web.cookies
    assert mode(tmp_path / "out.json") == 0o600
    assert_no_secret(done, x_web)


def test_rule_file_without_account_gets_cookies_json_beside_it_and_a_hint(x_web, tmp_path):
    """Without account.cookies, cookies.json is written beside RULES and the lines to add are printed."""
    (tmp_path / "conf").mkdir()
    rules = tmp_path / "conf" / "rules.yaml"
    rules.write_text(console_rules(RULE))

    done = login(x_web.url, tmp_path, str(rules), stdin="auth_token=%s\nct0=%s\n" % (x_web.auth_token, x_web.ct0))

    assert done.returncode == 0, done.stderr
    written = tmp_path / "conf" / "cookies.json"
    # Without twid, the id X gave is saved as one, so a run knows the account without asking.
    assert json.loads(written.read_text()) == {
        "auth_token": x_web.auth_token, "ct0": x_web.ct0, "twid": f"u%3D{x_web.own_user_id}",
    }
    assert "account:\n  cookies: cookies.json" in done.stdout
    assert "No twid cookie was given" in done.stdout


def test_login_works_when_settings_answers_404_and_twid_is_absent(x_web, tmp_path):
    """settings.json 404 (as in 2026) and no twid: GraphQL Viewer names the account; the cookies are saved."""
    x_web.fail_next(SETTINGS, 404, times=3)
    done = login(x_web.url, tmp_path, "-o", str(tmp_path / "c.json"),
                 stdin="auth_token=%s\nct0=%s\n" % (x_web.auth_token, x_web.ct0))
    assert done.returncode == 0, done.stderr
    assert "signed in as @alice" in done.stdout and "twid" in done.stdout
    assert json.loads((tmp_path / "c.json").read_text())["twid"] == f"u%3D{x_web.own_user_id}"
    assert_no_secret(done, x_web)


def test_rejected_cookies_exit_3_and_write_nothing(x_web, tmp_path):
    """Cookies X refuses end with exit 3, the fix on stderr, and no file."""
    cookies = {**x_web.cookies, "auth_token": "an-expired-auth-token-value"}

    done = login(x_web.url, tmp_path, stdin=pasted(cookies))

    assert done.returncode == 3
    assert "X rejected these cookies: log in to x.com in a browser" in done.stderr
    assert not (tmp_path / "cookies.json").exists()
    assert "an-expired-auth-token-value" not in done.stdout + done.stderr


def test_missing_ct0_exits_2_without_asking_x(x_web, tmp_path):
    """Input without ct0 ends with exit 2 naming it, before any request, and no file."""
    done = login(x_web.url, tmp_path, stdin=f"auth_token={x_web.auth_token}\n")

    assert done.returncode == 2
    assert "ct0 missing from standard input" in done.stderr
    assert x_web.requests == []
    assert not (tmp_path / "cookies.json").exists()
    assert_no_secret(done, x_web)


def test_ct0_rotated_by_x_during_the_check_is_the_one_saved(x_web, tmp_path):
    """When X answers the check with a new ct0, the file holds the new one."""
    new = x_web.rotate_ct0()

    done = login(x_web.url, tmp_path, stdin=pasted(x_web.cookies))

    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "cookies.json").read_text())["ct0"] == new


def test_an_old_cookies_file_is_replaced_and_another_file_is_kept(x_web, tmp_path):
    """A cookies file at the output is replaced (and said so); any other file only with --force."""
    old = tmp_path / "cookies.json"
    old.write_text('{"auth_token": "old-auth-token-value", "ct0": "old-ct0-value"}\n')
    done = login(x_web.url, tmp_path, stdin=pasted(x_web.cookies))
    assert done.returncode == 0, done.stderr
    assert "replaced the cookies in cookies.json" in done.stdout
    assert json.loads(old.read_text())["ct0"] == x_web.ct0

    notes = tmp_path / "notes.txt"
    notes.write_text("my shopping list\n")
    done = login(x_web.url, tmp_path, "--output", "notes.txt", stdin=pasted(x_web.cookies))
    assert done.returncode == 2
    assert "--force" in done.stderr
    assert notes.read_text() == "my shopping list\n"
    done = login(x_web.url, tmp_path, "--output", "notes.txt", "--force", stdin=pasted(x_web.cookies))
    assert done.returncode == 0, done.stderr
    assert "replaced notes.txt" in done.stdout
    assert json.loads(notes.read_text()) == x_web.cookies


def test_unreachable_x_exits_1_with_the_reason(tmp_path):
    """When X cannot be reached the command exits 1, says why, and writes nothing."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]

    done = login(f"http://127.0.0.1:{port}", tmp_path, stdin="auth_token=abcdefgh12345678; ct0=abcdefgh\n")

    assert done.returncode == 1
    assert "cannot reach X's web API" in done.stderr
    assert not (tmp_path / "cookies.json").exists()
