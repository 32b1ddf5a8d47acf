"""Unix manners: signals from the first instant, a closed stdout ends the run, never a retry storm."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.fakes.live_pipeline import FakeLivePipeline

from .conftest import TWEET, StartNotifier, WriteRules
from .process import NotifierProcess, child_env, wait_until
from .test_run import REPO, THRESHOLD_AND_MILESTONES, stop, subscribed

TWEET_TOPIC = f"/tweet_engagement/{TWEET}"


def unreachable_url() -> str:
    """The URL of a port on 127.0.0.1 that nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_record_with_an_unreachable_stream_stops_on_sigterm_within_2s(
    write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """`record` retrying its first connection stops on SIGTERM within 2 s and exits 0."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": "json://127.0.0.1:9/"})
    child = start_notifier(str(rules), command="record", extra_env={"NOTIFIER_API_BASE": unreachable_url()})
    child.wait_for_event("stream_interrupted")
    started = time.monotonic()
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=5) == 0, child.stderr
    assert time.monotonic() - started < 2


def test_run_with_an_unreachable_stream_honours_sigint_and_for(
    write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """`run` retrying its first connection stops on SIGINT within 2 s, and on --for by itself."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": "json://127.0.0.1:9/"})
    down = {"NOTIFIER_API_BASE": unreachable_url()}
    child = start_notifier(str(rules), "--state", "state.db", extra_env=down)
    child.wait_for_event("stream_interrupted")
    started = time.monotonic()
    child.send_signal(signal.SIGINT)
    assert child.wait(timeout=5) == 0, child.stderr
    assert time.monotonic() - started < 2

    timed = start_notifier(str(rules), "--state", "state.db", "--for", "1s", extra_env=down)
    timed.wait_for_event("stream_interrupted")
    assert timed.wait(timeout=10) == 0, timed.stderr
    assert "--for 1 s elapsed" in timed.events("stopping")[-1]["message"]


def start_behind_a_fifo(
    workdir: Path, write_rules: WriteRules, start_notifier: StartNotifier,
) -> tuple[NotifierProcess, int]:
    """`run` whose cookie file is a FIFO: its start-up waits, mid-way, until the test writes the cookies.

    Returns the child and the FIFO's write end, opened once the child reads the FIFO.
    """
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": "json://127.0.0.1:9/"})
    fifo = workdir / "cookies.fifo"
    os.mkfifo(fifo)
    child = start_notifier(str(rules), "--state", "state.db", "--cookies", str(fifo))

    def open_writer() -> int | None:
        assert child.running, child.stderr
        try:
            # Fails (ENXIO) until the child has the FIFO open for reading.
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            return None

    return child, wait_until(open_writer, what="the child opening its cookie file")


def release(writer: int, fake: FakeLivePipeline) -> None:
    """Write the cookies into the FIFO the child is waiting on, and close it."""
    os.set_blocking(writer, True)
    with os.fdopen(writer, "w") as out:
        out.write(json.dumps(fake.cookies))


def test_sighup_during_startup_does_not_kill_the_daemon(
    fake: FakeLivePipeline, workdir: Path, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """A SIGHUP before the daemon is ready is not fatal: it starts and runs as usual."""
    child, writer = start_behind_a_fifo(workdir, write_rules, start_notifier)
    child.send_signal(signal.SIGHUP)
    release(writer, fake)
    subscribed(fake, TWEET_TOPIC)
    assert child.running, child.stderr
    stop(child)


def test_sigterm_during_startup_stops_cleanly(
    fake: FakeLivePipeline, workdir: Path, write_rules: WriteRules, start_notifier: StartNotifier,
) -> None:
    """A SIGTERM before the daemon is ready is an orderly stop with exit 0, not a kill."""
    child, writer = start_behind_a_fifo(workdir, write_rules, start_notifier)
    child.send_signal(signal.SIGTERM)
    release(writer, fake)
    assert child.wait(timeout=10) == 0, child.stderr
    assert "SIGTERM" in child.events("stopping")[-1]["message"]


def test_a_closed_stdout_ends_a_dry_run_promptly() -> None:
    """`run --dry-run | head -1`: once the reader goes, notifier exits promptly (0 or 141), no retries."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "notifier", "run", "rules.example.yaml", "--replay",
         "examples/launch-day.jsonl", "--dry-run"],
        cwd=REPO, env=child_env(HOME=str(REPO)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    errors: list[bytes] = []
    reader = threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)
    reader.start()
    try:
        assert proc.stdout.readline()  # what `head -1` reads, then it goes away
        proc.stdout.close()
        started = time.monotonic()
        code = proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=5)
    stderr = b"".join(errors).decode()
    assert code in (0, 141, -signal.SIGPIPE), stderr
    assert time.monotonic() - started < 5
    assert "Traceback" not in stderr and "(attempt 2)" not in stderr, stderr
    assert "standard output is closed" in stderr


def test_a_closed_stdout_ends_a_recording_promptly(
    fake: FakeLivePipeline, write_rules: WriteRules, workdir: Path, env: dict[str, str],
) -> None:
    """`record | head -1`: the next line written after the reader goes ends the recording, exit 0."""
    rules = write_rules(THRESHOLD_AND_MILESTONES, {"hook": "json://127.0.0.1:9/"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "notifier", "record", str(rules)],
        cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    errors: list[bytes] = []
    reader = threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)
    reader.start()
    try:
        assert proc.stdout.readline()  # the config line, written once connected
        proc.stdout.close()
        subscribed(fake, TWEET_TOPIC)
        fake.push_engagement(TWEET, like_count=10)
        code = proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=5)
    stderr = b"".join(errors).decode()
    assert code in (0, 141, -signal.SIGPIPE), stderr
    assert "Traceback" not in stderr, stderr
