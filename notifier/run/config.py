"""The settings of one ``notifier run``, resolved once from flags and environment.

Everything the daemon needs to know about how it was started lives in one frozen
:class:`Config`, so the daemon itself never reads ``os.environ`` or ``argparse``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..durations import parse_duration

__all__ = [
    "Config",
    "LogFormat",
    "default_state_path",
    "parse_duration",
]

LogFormat = Literal["text", "json"]


def default_state_path(env: Mapping[str, str] | None = None) -> Path:
    """Where rule state lives when ``--state`` is not given.

    ``NOTIFIER_STATE``, else ``$XDG_STATE_HOME/notifier/state.db``, else
    ``~/.local/state/notifier/state.db`` (the XDG default for state).
    """
    env = os.environ if env is None else env
    if env.get("NOTIFIER_STATE"):
        return Path(env["NOTIFIER_STATE"]).expanduser()
    if env.get("XDG_STATE_HOME"):
        return Path(env["XDG_STATE_HOME"]).expanduser() / "notifier" / "state.db"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".local" / "state" / "notifier" / "state.db"


@dataclass(frozen=True, slots=True)
class Config:
    """How one ``notifier run`` was asked to behave.

    ``duration`` is ``--for`` in seconds (``None``: run until stopped).
    ``metrics_port`` ``None`` serves nothing; ``0`` picks a free port (logged).
    ``api_base`` ``None`` lets the stream client use its default.
    """

    rules: Path
    state: Path
    cookies: Path | None = None
    replay: Path | None = None
    dry_run: bool = False
    duration: float | None = None
    log_format: LogFormat = "text"
    verbose: int = 0
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    api_base: str | None = None
    # Seconds between two looks at the rule file's mtime; 0 turns the watch off.
    watch_interval: float = 1.0
    # Longest wait for pending deliveries at shutdown.
    drain_timeout: float = 10.0

    @classmethod
    def from_args(cls, args: argparse.Namespace, env: Mapping[str, str] | None = None) -> Config:
        """Build from the parsed flags of ``run`` (or ``record``) and the environment."""
        env = os.environ if env is None else env
        state = getattr(args, "state", None)
        cookies = getattr(args, "cookies", None)
        replay = getattr(args, "replay", None)
        return cls(
            rules=Path(args.rules),
            state=Path(state).expanduser() if state else default_state_path(env),
            cookies=Path(cookies).expanduser() if cookies else None,
            replay=Path(replay) if replay else None,
            dry_run=bool(getattr(args, "dry_run", False)),
            duration=getattr(args, "duration", None),
            log_format=getattr(args, "log_format", "text") or "text",
            verbose=int(getattr(args, "verbose", 0) or 0),
            metrics_port=getattr(args, "metrics_port", None),
            metrics_host=getattr(args, "metrics_host", None) or "127.0.0.1",
            api_base=env.get("NOTIFIER_API_BASE") or None,
        )


def duration_arg(text: str) -> float:
    """argparse ``type=`` for durations: a clear usage error instead of a traceback."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def port_arg(text: str) -> int:
    """argparse ``type=`` for a TCP port (0 picks a free one)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"invalid port {text!r}: use a number from 1 to 65535 (0 picks a free port)"
        )
    return port
