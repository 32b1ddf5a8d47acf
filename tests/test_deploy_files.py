"""The deployment recipes work as written: deploy/ files parse and agree with notifier, cron runs.

No Docker engine or systemd is available to the tests, so the Dockerfile,
compose.yaml and the systemd unit are parsed and checked against what notifier
needs (its entry point, its state and rules, a stop that outlasts the drain).
The cron line of docs/deployment.md is taken from the page and run for real
through /bin/sh, as cron would, against the fake stream.
"""

from __future__ import annotations

import configparser
import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from notifier.run.config import Config
from notifier.delivery.deliverer import Deliverer
from notifier.durations import parse_duration
from tests.daemon.process import wait_until
from tests.fakes.live_pipeline import FakeLivePipeline

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"

# The longest `notifier run` takes to stop after SIGTERM or --for: the drain of
# due deliveries, then the grace a send still under way gets when delivery closes.
STOP_SECONDS = Config.__dataclass_fields__["drain_timeout"].default + (
    inspect.signature(Deliverer.aclose).parameters["grace"].default
)


def test_stop_takes_what_the_docs_say() -> None:
    """The 10 s drain and 5 s grace the docs and deploy/ comments name are notifier's own."""
    assert STOP_SECONDS == 15.0


# -- compose ---------------------------------------------------------------------------------


def _compose_service() -> dict:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    (service,) = compose["services"].values()
    return compose | {"service": service}


def test_compose_builds_this_checkout() -> None:
    """compose.yaml builds the image from this project's own Dockerfile and sources."""
    service = _compose_service()["service"]
    assert service["image"]
    build = service["build"]
    context = (DEPLOY / build["context"]).resolve()
    assert (context / "pyproject.toml").is_file(), f"build context {context} is not the checkout"
    assert (context / build["dockerfile"]).resolve() == (DEPLOY / "Dockerfile").resolve()


def test_compose_keeps_state_rules_and_secrets_outside_the_container() -> None:
    """State is a named volume, rules a read-only mount, secrets an env_file; run reads both."""
    compose = _compose_service()
    service = compose["service"]
    mounts = {volume.split(":")[1]: volume.split(":") for volume in service["volumes"]}
    assert mounts["/data"][0] in compose["volumes"], "state must live in a named volume"
    assert mounts["/config"][-1] == "ro"
    assert service["env_file"]
    command = service["command"]
    assert command[0] == "run" and command[1].startswith("/config/"), command
    assert service["restart"] in {"always", "unless-stopped", "on-failure"}


def test_compose_stop_outlasts_the_drain() -> None:
    """Compose stops with SIGTERM and waits longer than notifier's stop can take."""
    service = _compose_service()["service"]
    assert service["stop_signal"] == "SIGTERM"
    assert parse_duration(service["stop_grace_period"]) > STOP_SECONDS


# -- Dockerfile ------------------------------------------------------------------------------

_DOCKER_INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
    "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
}


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined, comments dropped."""
    instructions, pending = [], ""
    for line in (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).strip().partition(" ")
        instructions.append((keyword, arguments.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def test_dockerfile_instructions_are_valid() -> None:
    """Every instruction is one Docker knows, and FROM comes first."""
    instructions = _dockerfile()
    assert instructions[0][0] == "FROM"
    unknown = [keyword for keyword, _ in instructions if keyword.upper() not in _DOCKER_INSTRUCTIONS]
    assert not unknown


def test_dockerfile_copies_files_that_exist() -> None:
    """Each COPY source exists in the build context compose and the docs use (the checkout)."""
    copies = [shlex.split(arguments)[:-1] for keyword, arguments in _dockerfile() if keyword == "COPY"]
    sources = [source for sources in copies for source in sources if not source.startswith("--")]
    assert "pyproject.toml" in sources and "notifier" in sources
    missing = [source for source in sources if not (ROOT / source).exists()]
    assert not missing


def test_dockerfile_runs_notifier_as_a_user() -> None:
    """The image runs `notifier run` as a user that is not root, stopped by SIGTERM."""
    instructions = dict(_dockerfile())  # the last of each kind wins, as in Docker
    assert instructions["USER"] not in {"root", "0", "0:0"}
    assert json.loads(instructions["ENTRYPOINT"]) == ["notifier"]
    assert json.loads(instructions["CMD"])[0] == "run"
    assert instructions["STOPSIGNAL"] == "SIGTERM"
    volume = json.loads(instructions["VOLUME"]) if instructions["VOLUME"].startswith("[") else [instructions["VOLUME"]]
    state = re.search(r"NOTIFIER_STATE=(\S+)", instructions["ENV"])
    assert state is not None and any(state.group(1).startswith(v.rstrip("/") + "/") for v in volume)


# -- systemd ---------------------------------------------------------------------------------


def test_systemd_unit_stops_in_order() -> None:
    """The unit runs the venv's notifier by absolute path and waits out its stop on SIGTERM."""
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # systemd keys are case-sensitive
    unit.read(DEPLOY / "notifier.service", encoding="utf-8")
    service = unit["Service"]
    argv = shlex.split(service["ExecStart"])
    assert Path(argv[0]).is_absolute() and argv[0].endswith("/bin/notifier") and argv[1] == "run", argv
    assert service["KillSignal"] == "SIGTERM"
    assert parse_duration(service["TimeoutStopSec"] + ("" if service["TimeoutStopSec"][-1].isalpha() else "s")) >= (
        STOP_SECONDS
    )


# -- cron ------------------------------------------------------------------------------------

_EXAMPLE_DIR = "/home/me/notifier"
# Seconds a run may take to start before its --for begins to count (a second or two when idle).
_START_ALLOWANCE = 15.0


def _cron_line() -> tuple[int, str]:
    """The documented crontab entry: (minutes between runs, the command)."""
    page = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```crontab\n(.*?)^```", page, re.DOTALL | re.MULTILINE)
    (block,) = blocks
    (entry,) = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    minute, hour, dom, month, dow, command = entry.split(None, 5)
    every = re.fullmatch(r"\*/(\d+)", minute)
    assert every and (hour, dom, month, dow) == ("*", "*", "*", "*"), entry
    return int(every.group(1)), command


def test_cron_line_is_safe_as_written() -> None:
    """The cron entry uses absolute paths, an env file, a log, flock -n and a --for that leaves time to stop."""
    minutes, command = _cron_line()
    assert "%" not in command, "cron turns % into a newline"
    argv = shlex.split(command)
    assert argv[:2] == ["flock", "-n"] and Path(argv[2]).is_absolute()
    inner = shlex.split(argv[argv.index("-c") + 1])
    run = inner[inner.index("exec") + 1 :]
    assert Path(run[0]).is_absolute() and run[0].endswith("/bin/notifier") and run[1] == "run"
    assert Path(run[2]).is_absolute(), "the rule file needs an absolute path"
    sourced = inner[inner.index(".") + 1].rstrip(";")
    assert Path(sourced).is_absolute() and "set -a;" in argv[argv.index("-c") + 1]
    assert re.search(r">>\s*/\S+ 2>&1$", command), "output goes to a log, appended"
    run_for = parse_duration(run[run.index("--for") + 1])
    # Start-up (Python, rules, Apprise, the state file) before --for counts, at most
    # STOP_SECONDS to stop after it: all before the next run, on a busy machine too.
    assert run_for + _START_ALLOWANCE + STOP_SECONDS <= minutes * 60


@pytest.mark.skipif(shutil.which("flock") is None, reason="flock (util-linux) is not installed")
def test_cron_line_runs_and_never_overlaps(tmp_path: Path) -> None:
    """The documented cron command runs notifier from the env file, logs, and skips a run while one holds the lock."""
    _, command = _cron_line()
    command = command.replace(_EXAMPLE_DIR, str(tmp_path))
    command = re.sub(r"--for \S+?'", "--for 3s'", command)
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "venv" / "bin" / "notifier").symlink_to(Path(sys.executable).parent / "notifier")
    (tmp_path / "rules.yaml").write_text(
        "version: 1\ntargets:\n  screen: console://\ndefaults:\n  notify: [screen]\n"
        'rules:\n  - name: Likes\n    tweets: ["1850000000000000000"]\n    every: {likes: 1000}\n'
    )
    log = tmp_path / "notifier.log"
    # What cron gives a job: a minimal environment, /bin/sh.
    cron_env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SHELL": "/bin/sh", "LOGNAME": "me"}
    with FakeLivePipeline(auth_token="5f0c3e9b7a1d24c68e0f9b3a7c5d1e2f", ct0="9e8d7c6b5a4f3e2d") as fake:
        (tmp_path / "notifier.env").write_text(
            f"NOTIFIER_AUTH_TOKEN={fake.auth_token}\nNOTIFIER_CT0='{fake.ct0}'\nNOTIFIER_API_BASE={fake.url}\n"
        )
        first = subprocess.Popen(["/bin/sh", "-c", command], env=cron_env, cwd="/")
        try:
            wait_until(lambda: fake.connections >= 1, timeout=20, what="the cron run to connect")
            started = time.monotonic()
            second = subprocess.run(["/bin/sh", "-c", command], env=cron_env, cwd="/", timeout=20, check=False)
            assert second.returncode != 0 and time.monotonic() - started < 5, "a second run must not start"
            assert first.wait(timeout=30) == 0, log.read_text()
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
    text = log.read_text()
    assert text.count("starting:") == 1, text
    assert "another notifier" not in text, "flock, not the state lock, must keep the second run out"
    assert "stopped (exit code 0)" in text, text
    assert fake.auth_token not in text and os.fspath(tmp_path / "state.db") in text
