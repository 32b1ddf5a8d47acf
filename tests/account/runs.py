"""Running `notifier run` against the fake stream and the fake X web API: the rule file and the children."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from tests.daemon.process import NotifierProcess, child_env
from tests.fakes.live_pipeline import FakeLivePipeline
from tests.fakes.receiver import Receiver
from tests.fakes.x_web import FakeXWeb

__all__ = ["AUTH_TOKEN", "CT0", "ME", "Run"]

AUTH_TOKEN = "5f0c3e9b7a1d24c68e0f9b3a7c5d1e2f4a6b8c0d"
CT0 = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
ME = "1111"


class Run:
    """Writes the rule file and starts `notifier run` children against both fakes; kills them at the end."""

    def __init__(self, folder: Path, stream: FakeLivePipeline, web: FakeXWeb, receiver: Receiver) -> None:
        self.folder = folder
        self.env = child_env(NOTIFIER_API_BASE=stream.url, NOTIFIER_WEB_API_BASE=web.url, HOME=str(folder))
        self.receiver = receiver
        self.children: list[NotifierProcess] = []
        (folder / "cookies.json").write_text(json.dumps(stream.cookies))

    def rules(self, rules: str, *, account: str = "  poll: 1s\n") -> Path:
        path = self.folder / "rules.yaml"
        path.write_text(
            "version: 1\naccount:\n  cookies: cookies.json\n" + account
            + f"targets:\n  hook: {json.dumps(self.receiver.json_url())}\n"
            + "defaults:\n  notify: [hook]\nrules:\n" + rules
        )
        return path

    def start(self, *flags: str) -> NotifierProcess:
        child = NotifierProcess(["rules.yaml", "--state", "state.db", *flags], env=self.env, cwd=self.folder)
        self.children.append(child)
        return child

    def stop(self, child: NotifierProcess) -> None:
        child.send_signal(signal.SIGTERM)
        assert child.wait() == 0, child.stderr
