"""The systemd recipe works as written: its commands, then the unit's ExecStart as a dynamic user would run it.

There is no systemd here, so the test does what systemd would: it runs the
recipe's own commands from docs/deployment.md (as root, paths moved under a
temporary root), then starts the unit's ``ExecStart`` as an unprivileged uid
with the unit's ``Environment=``, its ``EnvironmentFile=``, a state directory
and a credentials directory filled from ``LoadCredential=``, and waits for an
alert at a local ntfy receiver. It runs as root (as CI does), since only root
can drop to another uid.
"""

from __future__ import annotations

import configparser
import contextlib
import fcntl
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.account.runs import AUTH_TOKEN, CT0, ME
from tests.daemon.process import wait_until
from tests.fakes.live_pipeline import FakeLivePipeline
from tests.fakes.receiver import Receiver
from tests.fakes.x_web import INBOX_INITIAL_STATE, FakeXWeb
from tests.test_readme_quickstart import _quickstart_rules

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy" / "notifier.service"
NOBODY = 65534  # an unprivileged uid that exists everywhere, as a DynamicUser= uid would be
VENV_NOTIFIER = Path(sys.executable).parent / "notifier"


def _unit() -> configparser.SectionProxy:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # systemd keys are case-sensitive
    unit.read(UNIT, encoding="utf-8")
    return unit["Service"]


def _recipe() -> list[str]:
    """The shell lines of the systemd section of docs/deployment.md."""
    page = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    section = page.split("## systemd", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the systemd section has no sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def _unit_recipe() -> list[str]:
    """The same recipe as the unit's own header comment gives it."""
    return [
        line[1:].strip() for line in UNIT.read_text(encoding="utf-8").splitlines()
        if line.startswith("#   ") and line[1:].strip()
    ]


def _env_file(text: str) -> dict[str, str]:
    """``NAME=value`` lines as systemd's EnvironmentFile= reads them (comments, blank lines, quotes)."""
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        name, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def test_the_unit_and_the_docs_give_the_same_recipe() -> None:
    """The unit's header comment and docs/deployment.md list the same commands."""
    assert _unit_recipe() == _recipe()


def test_the_env_file_holds_every_variable_the_readme_rules_use() -> None:
    """Each ${VAR} of the README's rule file is written to the unit's EnvironmentFile by the recipe."""
    variables = set(re.findall(r"\$\{(\w+)", _quickstart_rules()))
    assert variables
    env_file = _unit()["EnvironmentFile"].lstrip("-")
    written = {
        name
        for line in _recipe() if line.startswith("printf") and env_file in line
        for name in re.findall(r"(\w+)=", line.split("'")[1])
    }
    assert variables <= written, f"{sorted(variables - written)} missing from {env_file}"


def test_cookies_reach_the_dynamic_user_as_a_credential() -> None:
    """ExecStart reads the cookies from the credentials directory that LoadCredential= fills from login's file."""
    service = _unit()
    assert service["DynamicUser"] == "yes"
    credential, _, source = service["LoadCredential"].partition(":")
    assert f"--cookies %d/{credential}" in service["ExecStart"]
    rules = shlex.split(service["ExecStart"])[2]
    # notifier login RULES writes beside RULES for the README's `cookies: cookies.json`.
    assert Path(source) == Path(rules).parent / "cookies.json"
    assert any(line.endswith(f"notifier login {rules}") for line in _recipe())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_nobody(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--", *argv],
        cwd="/", capture_output=True, text=True, timeout=60, check=False,
    )


@contextlib.contextmanager
def _opened_for_others(*places: Path, ledger: Path) -> Iterator[None]:
    """Search permission for others (x, not r: nothing can be listed) on each place and the folders above it.

    Tests on both xdist workers open the same folders: the ledger, under an
    exclusive lock, counts the holders and keeps the original modes, which go
    back only when the last holder leaves. Each holder restoring its own
    would close the folders under a test still running on the other worker.
    """
    with _ledger(ledger) as book:
        if book["holders"] == 0:
            book["modes"] = {}
            for place in places:
                for folder in (*reversed(place.absolute().parents), place):
                    mode = folder.stat().st_mode
                    if not mode & 0o001 and str(folder) not in book["modes"]:
                        book["modes"][str(folder)] = mode & 0o7777
                        folder.chmod((mode | 0o001) & 0o7777)
        book["holders"] += 1
    try:
        yield
    finally:
        with _ledger(ledger) as book:
            book["holders"] -= 1
            if book["holders"] == 0:
                for folder, mode in reversed(book["modes"].items()):
                    Path(folder).chmod(mode)
                book["modes"] = {}


@contextlib.contextmanager
def _ledger(path: Path) -> Iterator[dict]:
    """The shared record of who holds the opened folders, read and written under an exclusive lock."""
    with path.open("a+", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        file.seek(0)
        text = file.read()
        book = json.loads(text) if text else {"holders": 0, "modes": {}}
        yield book
        file.seek(0)
        file.truncate()
        file.write(json.dumps(book))
        file.flush()


@pytest.fixture
def reachable_install(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """notifier as installed here, runnable by uid 65534, as /opt/notifier is for the service's user.

    A virtual environment made in a private folder (CI's mktemp -d is mode 700)
    cannot be entered by another user: such folders are opened for the test's length.
    """
    probe = [str(VENV_NOTIFIER), "--version"]
    ledger = tmp_path_factory.getbasetemp().parent / "opened-for-others.json"
    with _opened_for_others(VENV_NOTIFIER.parent, ROOT, ledger=ledger):
        done = _as_nobody(*probe)
        assert done.returncode == 0, f"uid {NOBODY} cannot run {VENV_NOTIFIER}: {done.stderr}"
        yield


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root can run a program as another user (CI runs as root)")
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) is not installed")
def test_a_folder_opened_for_two_tests_stays_open_until_both_are_done(tmp_path: Path) -> None:
    """Tests on two workers share the opened folders: the first to finish does not close them on the other."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    script = private / "hello"
    script.write_text("#!/bin/sh\necho hello\n")
    script.chmod(0o755)
    ledger = tmp_path / "ledger.json"
    with contextlib.ExitStack() as second:
        with contextlib.ExitStack() as first:
            first.enter_context(_opened_for_others(private, ledger=ledger))
            second.enter_context(_opened_for_others(private, ledger=ledger))
        assert _as_nobody(str(script)).stdout == "hello\n"
    assert private.stat().st_mode & 0o777 == 0o700
    assert _as_nobody(str(script)).returncode != 0


def _root_only_cookies_and_rules(folder: Path) -> Path:
    """A cookie file only root can read, as `notifier login` run by root writes it, and rules that read it."""
    (folder / "cookies.json").write_text(f'{{"auth_token": "{AUTH_TOKEN}", "ct0": "{CT0}"}}\n')
    (folder / "cookies.json").chmod(0o600)
    rules = folder / "rules.yaml"
    rules.write_text("version: 1\naccount:\n  cookies: cookies.json\ntargets:\n  t: json://127.0.0.1:9/\n"
                     "rules:\n  - {name: A, tweets: [\"1\"], when: likes > 1, notify: [t]}\n")
    return rules


@pytest.fixture
def fake_root() -> Iterator[Path]:
    """A folder an unprivileged uid can enter (pytest's own tmp_path is root's only), removed after."""
    root = Path(tempfile.mkdtemp(prefix="notifier-systemd-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root can run the unit's ExecStart as another user (CI runs as root)")
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) is not installed")
def test_the_recipe_as_written_starts_a_service_that_alerts(
    fake_root: Path, reachable_install: None,
) -> None:
    """The recipe's commands as root, then ExecStart as uid 65534 with the unit's environment: a DM arrives."""
    service = _unit()
    etc = fake_root / "etc" / "notifier"
    checkout = fake_root / "checkout"
    checkout.mkdir()

    def moved(text: str) -> str:
        return text.replace("/opt/notifier/bin/notifier", str(VENV_NOTIFIER)).replace("/etc/notifier", str(etc))

    with (
        FakeLivePipeline(heartbeat_millis=300, own_user_id=ME, auth_token=AUTH_TOKEN, ct0=CT0) as stream,
        FakeXWeb(own_user_id=ME, auth_token=AUTH_TOKEN, ct0=CT0) as web,
        Receiver() as receiver,
    ):
        # The README's rule file, its ntfy.sh swapped for the receiver and polled often enough for a test.
        rules = _quickstart_rules().replace("ntfys://ntfy.sh/", f"ntfy://127.0.0.1:{receiver.port}/")
        rules = rules.replace("  cookies: cookies.json", "  cookies: cookies.json\n  poll: 1s", 1)
        (checkout / "rules.yaml").write_text(rules, encoding="utf-8")

        # The recipe's commands, as root, minus installing the venv, the unit file and systemctl.
        script = [
            moved(line) for line in _recipe()
            if not line.startswith(("python3 -m venv", "install -m 0644 deploy/", "systemctl"))
        ]
        shell_env = {"PATH": os.environ["PATH"], "HOME": str(fake_root), "NTFY_TOPIC": "k3v9q2x7-alerts",
                     "NOTIFIER_WEB_API_BASE": web.url}
        done = subprocess.run(
            ["/bin/sh", "-ec", "\n".join(script)], cwd=checkout, env=shell_env, capture_output=True, text=True,
            input=f"auth_token={AUTH_TOKEN}; ct0={CT0}\n", timeout=60, check=False,
        )
        assert done.returncode == 0, done.stderr
        env_path = Path(moved(service["EnvironmentFile"].lstrip("-")))
        assert env_path.stat().st_mode & 0o077 == 0

        # What systemd does at start: a state directory and a credentials directory owned by the service's
        # user, LoadCredential= read as root, the environment from the unit and its file.
        state_root = fake_root / "var" / "lib"
        state_dir = state_root / service["StateDirectory"]
        state_dir.mkdir(parents=True)
        os.chown(state_dir, NOBODY, NOBODY)
        credentials = fake_root / "run" / "credentials" / "notifier.service"
        credentials.mkdir(parents=True)
        name, _, source = service["LoadCredential"].partition(":")
        shutil.copyfile(moved(source), credentials / name)  # fails, as systemd would, if login wrote elsewhere
        (credentials / name).chmod(0o400)
        os.chown(credentials / name, NOBODY, NOBODY)
        credentials.chmod(0o500)
        os.chown(credentials, NOBODY, NOBODY)

        def specifiers(text: str) -> str:
            return text.replace("%d", str(credentials)).replace("%S", str(state_root))

        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/", "LANG": "C.UTF-8",
               "CREDENTIALS_DIRECTORY": str(credentials), "STATE_DIRECTORY": str(state_dir)}
        for assignment in shlex.split(service.get("Environment", "")):
            key, _, value = assignment.partition("=")
            env[key] = specifiers(value)
        env |= _env_file(env_path.read_text(encoding="utf-8"))
        env |= {"NOTIFIER_API_BASE": stream.url, "NOTIFIER_WEB_API_BASE": web.url}  # the fakes, not x.com
        argv = [moved(specifiers(arg)) for arg in shlex.split(service["ExecStart"])]
        argv[argv.index("--metrics-port") + 1] = str(_free_port())

        web.add_user("7", "alice", "Alice")
        child = subprocess.Popen(
            ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--", *argv],
            cwd="/", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            # A message that arrives after the inbox was first read is new: it alerts.
            wait_until(lambda: child.poll() is not None or any(
                r["path"] == INBOX_INITIAL_STATE for r in web.requests), timeout=30, what="the inbox to be read")
            assert child.poll() is None, child.communicate()[1]
            web.add_message(f"7-{ME}", "7", "see you at the launch")
            assert receiver.wait_for(lambda r: len(r.received) >= 1, timeout=30), "no alert reached the receiver"
            assert "see you at the launch" in (receiver.received[0].message or "")
            child.send_signal(signal.SIGTERM)
            _, stderr = child.communicate(timeout=30)
            assert child.returncode == 0, stderr
            assert (state_dir / "state.db").stat().st_uid == NOBODY
        finally:
            if child.poll() is None:
                child.kill()
                child.communicate()


def test_compose_gives_cookies_through_the_env_file_the_container_user_reads() -> None:
    """Docker reads .env as the host user; the docs put the cookies there, not in a root-only file in /config."""
    page = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    compose = page.split("## Docker Compose", 1)[1].split("\n## ", 1)[0]
    (printf,) = [line for line in compose.splitlines() if line.startswith("printf") and "> .env" in line]
    assert "NOTIFIER_AUTH_TOKEN=" in printf and "NOTIFIER_CT0=" in printf and "NTFY_TOPIC=" in printf
    assert "uid 10001" in compose
    assert "useradd --system --uid 10001" in (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root can make a file another user cannot read (CI runs as root)")
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) is not installed")
def test_a_root_only_cookie_file_says_what_helps_not_to_log_in_again(
    fake_root: Path, reachable_install: None,
) -> None:
    """Run as another user on the root-only file notifier login wrote: the fix named is LoadCredential=, not login."""
    rules = _root_only_cookies_and_rules(fake_root)
    state = fake_root / "state"
    state.mkdir()
    os.chown(state, NOBODY, NOBODY)
    done = _as_nobody(str(VENV_NOTIFIER), "run", str(rules), "--state", str(state / "state.db"))
    assert done.returncode == 2, done.stderr
    assert "Permission denied" in done.stderr and f"uid {NOBODY}" in done.stderr
    assert "LoadCredential=" in done.stderr and "checks and saves them" not in done.stderr
    assert AUTH_TOKEN not in done.stderr


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root can make a file another user cannot read (CI runs as root)")
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) is not installed")
def test_check_on_a_root_only_cookie_file_does_not_send_the_user_to_log_in_again(
    fake_root: Path, reachable_install: None,
) -> None:
    """check as another user warns of the unreadable file with the fix that helps (LoadCredential=), exit 0."""
    rules = _root_only_cookies_and_rules(fake_root)
    done = _as_nobody(str(VENV_NOTIFIER), "check", str(rules))
    assert done.returncode == 0, done.stderr
    assert "Permission denied" in done.stderr and "LoadCredential=" in done.stderr, done.stderr
    assert "notifier login" not in done.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_itself_finds_nothing_wrong_with_the_unit(tmp_path: Path) -> None:
    """systemd-analyze verify accepts the unit (ExecStart pointed at this install) without a word."""
    unit = tmp_path / "notifier.service"
    unit.write_text(UNIT.read_text(encoding="utf-8").replace("/opt/notifier/bin/notifier", str(VENV_NOTIFIER)))
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), done.stderr
