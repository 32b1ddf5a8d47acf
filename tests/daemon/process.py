"""`notifier run` as a subprocess, with its JSON log lines readable as they come."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["NotifierProcess", "child_env", "wait_until"]


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02, what: str = "") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(interval)


class NotifierProcess:
    """One ``python -m notifier <command> ...`` child, logging JSON to stderr.

    Lines are collected by reader threads; ``wait_for_event`` waits for a log
    entry with a given ``event`` field (and optional other fields).
    """

    def __init__(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path,
        command: str = "run",
        json_logs: bool = True,
    ) -> None:
        argv = [sys.executable, "-m", "notifier", command, *args]
        if json_logs:
            argv += ["--log-format", "json"]
        self.argv = argv
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self._lock = threading.Condition()
        self.stdout_lines: list[str] = []
        self.stderr_lines: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.stdout_lines), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.stderr_lines), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: Any, into: list[str]) -> None:
        for line in stream:
            with self._lock:
                into.append(line.rstrip("\n"))
                self._lock.notify_all()

    # -- reading -----------------------------------------------------------------------------

    @property
    def logs(self) -> list[dict[str, Any]]:
        """The JSON log entries so far (non-JSON stderr lines are skipped)."""
        entries = []
        with self._lock:
            lines = list(self.stderr_lines)
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                entries.append(entry)
        return entries

    @property
    def stderr(self) -> str:
        with self._lock:
            return "\n".join(self.stderr_lines)

    @property
    def stdout(self) -> str:
        with self._lock:
            return "\n".join(self.stdout_lines)

    def events(self, event: str, **fields: Any) -> list[dict[str, Any]]:
        return [
            entry
            for entry in self.logs
            if entry.get("event") == event and all(entry.get(k) == v for k, v in fields.items())
        ]

    def wait_for_event(self, event: str, count: int = 1, timeout: float = 10.0, **fields: Any) -> list[dict[str, Any]]:
        """Wait until ``count`` log entries with this ``event`` (and fields) exist."""

        def found() -> list[dict[str, Any]] | None:
            if self.proc.poll() is not None:
                # Let the readers finish the last lines before deciding.
                for reader in self._readers:
                    reader.join(timeout=2)
                entries = self.events(event, **fields)
                if len(entries) >= count:
                    return entries
                raise AssertionError(
                    f"notifier exited ({self.proc.returncode}) before logging {count}× {event!r}:\n{self.stderr}"
                )
            entries = self.events(event, **fields)
            return entries if len(entries) >= count else None

        try:
            return wait_until(found, timeout, what=f"{count}× log event {event!r} {fields or ''}")
        except AssertionError as exc:
            if self.proc.poll() is not None:
                raise  # the message already holds the whole log
            raise AssertionError(f"{exc}\n--- stderr so far:\n{self.stderr}") from None

    # -- controlling ---------------------------------------------------------------------------

    def send_signal(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 20.0) -> int:
        """The exit code, waiting at most ``timeout`` seconds."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"notifier did not exit within {timeout} s:\n{self.stderr}") from None
        for reader in self._readers:
            reader.join(timeout=5)
        return code

    def kill(self) -> None:
        """Stop the child whatever its state (fixture teardown)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a zombie we cannot help
            pass
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    @property
    def pid(self) -> int:
        return self.proc.pid


def child_env(base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """A clean environment for a child: no user state, no proxies, this interpreter's path."""
    source = os.environ if base is None else base
    keep = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV")
    env = {key: source[key] for key in keep if key in source}
    env["PYTHONUNBUFFERED"] = "1"
    # No child may reach past loopback: X's APIs default to a port that refuses,
    # unless the test points them at its fake.
    env["NOTIFIER_API_BASE"] = env["NOTIFIER_WEB_API_BASE"] = "http://127.0.0.1:9"
    env.update(extra)
    return env
