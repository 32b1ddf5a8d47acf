"""Fixtures for end-to-end tests: the fake stream, real receivers, `notifier run` as a child."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fakes.live_pipeline import FakeLivePipeline
from tests.fakes.receiver import Receiver
from tests.fakes.smtp import FakeSMTP

from .process import NotifierProcess, child_env

TWEET = "1850000000000000000"
OTHER_TWEET = "1850000000000000001"
CONVERSATION = "1111-2222"
PARTNER = "2222"
AUTH_TOKEN = "5f0c3e9b7a1d24c68e0f9b3a7c5d1e2f4a6b8c0d"
CT0 = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"


@pytest.fixture
def fake() -> Iterator[FakeLivePipeline]:
    # A short heartbeat, so a stalled stream is noticed in well under a second.
    # Cookie values as long as real ones, so a leak would be visible (and is masked).
    with FakeLivePipeline(
        heartbeat_millis=300, own_user_id="1111", auth_token=AUTH_TOKEN, ct0=CT0
    ) as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[FakeSMTP]:
    with FakeSMTP() as server:
        yield server


@pytest.fixture
def workdir(tmp_path: Path, fake: FakeLivePipeline) -> Path:
    """A folder with the fake's cookies in cookies.json (the rule files point there)."""
    (tmp_path / "cookies.json").write_text(json.dumps(fake.cookies))
    return tmp_path


@pytest.fixture
def env(workdir: Path, fake: FakeLivePipeline) -> dict[str, str]:
    return child_env(NOTIFIER_API_BASE=fake.url, HOME=str(workdir))


WriteRules = Callable[..., Path]


@pytest.fixture
def write_rules(workdir: Path) -> WriteRules:
    """Write rules.yaml: ``targets`` as name -> URL, ``rules`` as YAML text of the rule list."""

    def write(rules: str, targets: dict[str, str], *, name: str = "rules.yaml", notify: str | None = None) -> Path:
        lines = ["version: 1", "account:", "  cookies: cookies.json", "targets:"]
        lines += [f"  {target}: {json.dumps(url)}" for target, url in targets.items()]
        lines += ["defaults:", f"  notify: [{notify or next(iter(targets))}]", "rules:"]
        text = "\n".join(lines) + "\n" + textwrap.indent(textwrap.dedent(rules).strip("\n"), "  ") + "\n"
        path = workdir / name
        path.write_text(text)
        return path

    return write


StartNotifier = Callable[..., NotifierProcess]


@pytest.fixture
def start_notifier(workdir: Path, env: dict[str, str]) -> Iterator[StartNotifier]:
    """Start ``python -m notifier run ARGS`` in the work folder; every child is killed at teardown."""
    children: list[NotifierProcess] = []

    def start(*args: str, command: str = "run", extra_env: dict[str, str] | None = None) -> NotifierProcess:
        child = NotifierProcess(args, env={**env, **(extra_env or {})}, cwd=workdir, command=command)
        children.append(child)
        return child

    yield start
    for child in children:
        child.kill()
