"""How long a DM takes to reach the phone: stream doorbell → inbox read → alert, end to end.

    python benchmarks/dm_latency.py                 # 50 rung DMs, 5 first DMs of new conversations
    python benchmarks/dm_latency.py --dms 100 --new 3

A fake live_pipeline and a fake X web API serve a `notifier run` child
process whose rule is ``dms: any``, with the default ``account.poll`` (1m).
Five conversations exist before the start, so the stream carries a
``dm_update`` doorbell for each. For each measured DM the benchmark puts a
message in one of them on the fake web API, then pushes the stream's
``dm_update``; latency runs from that push (the fake's ``time.time()``) to
the alert's arrival at a local ``json://`` receiver. DMs follow each other
after pauses of 0 to 2 s (seeded), so some fall inside the one-second
spacing notifier keeps between two inbox reads.

The baseline, measured in the same run, is what a DM costs without a
doorbell: the first message of a new conversation, which the stream cannot
name and the inbox's own poll (every 10 s) finds. Its latency runs from the
moment the message exists on the fake.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common import stop_child  # noqa: E402
from tests.fakes.live_pipeline import FakeLivePipeline  # noqa: E402
from tests.fakes.receiver import Receiver  # noqa: E402
from tests.fakes.x_web import FakeXWeb  # noqa: E402

ME = "1111"
AUTH_TOKEN = "5f0c3e9b7a1d24c68e0f9b3a7c5d1e2f4a6b8c0d"
CT0 = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
KNOWN = 5  # conversations that exist before the start: each has a doorbell on the stream
WAIT = 30.0  # seconds one alert may take before the run is declared broken


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction in 0..1)."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def wait(predicate, what: str, timeout: float = WAIT) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(0.001)


def arrival(receiver: Receiver, text: str) -> float:
    wait(lambda: any(text in (d.message or "") for d in list(receiver.received)), f"the alert of {text!r}")
    return next(d.at for d in list(receiver.received) if text in (d.message or ""))


def measure(dms: int, new: int, folder: Path) -> tuple[list[float], list[float]]:
    with (
        FakeLivePipeline(heartbeat_millis=1000, own_user_id=ME, auth_token=AUTH_TOKEN, ct0=CT0) as stream,
        FakeXWeb(own_user_id=ME, auth_token=AUTH_TOKEN, ct0=CT0) as web,
        Receiver() as receiver,
    ):
        conversations = []
        for index in range(KNOWN):
            sender = str(2000 + index)
            web.add_user(sender, f"friend{index}", f"Friend {index}")
            conversation = f"{sender}-{ME}"
            web.add_message(conversation, sender, "sent before notifier started")
            conversations.append((conversation, sender))
        (folder / "cookies.json").write_text(json.dumps(stream.cookies))
        (folder / "rules.yaml").write_text(
            "version: 1\naccount:\n  cookies: cookies.json\n"
            f"targets:\n  hook: {json.dumps(receiver.json_url())}\n"
            "defaults:\n  notify: [hook]\n"
            "rules:\n  - name: Any new DM\n    dms: any\n    on: message\n    message: \"{text}\"\n"
        )
        env = {**os.environ, "NOTIFIER_API_BASE": stream.url, "NOTIFIER_WEB_API_BASE": web.url,
               "PYTHONUNBUFFERED": "1", "HOME": str(folder)}
        log = (folder / "notifier.log").open("w")
        child = subprocess.Popen(
            [sys.executable, "-m", "notifier", "run", "rules.yaml", "--state", "state.db", "--log-format", "json"],
            cwd=folder, env=env, stdout=log, stderr=log,
        )
        try:
            doorbells = {f"/dm_update/{conversation}" for conversation, _ in conversations}
            wait(lambda: any(doorbells <= set(live) for live in stream.sessions.values()), "the doorbells' subscription")
            pauses = random.Random(20)
            rung = []
            for number in range(dms):
                time.sleep(pauses.uniform(0.0, 2.0))
                conversation, sender = conversations[number % KNOWN]
                text = f"rung message {number}"
                web.add_message(conversation, sender, text)
                pushed = stream.push_dm(conversation, sender)
                rung.append(arrival(receiver, text) - pushed)
            first = []
            for number in range(new):
                sender = str(3000 + number)
                web.add_user(sender, f"stranger{number}", f"Stranger {number}")
                text = f"first message {number}"
                sent = time.time()
                web.add_message(f"{sender}-{ME}", sender, text)
                first.append(arrival(receiver, text) - sent)
                time.sleep(pauses.uniform(0.0, 3.0))
            return rung, first
        finally:
            stop_child(child, log)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dms", type=int, default=50, help="DMs in conversations the stream rings for (default 50)")
    parser.add_argument("--new", type=int, default=5, help="first DMs of new conversations (default 5)")
    args = parser.parse_args(argv)
    if args.dms < 1 or args.new < 1:
        parser.error("--dms and --new must be at least 1")

    with tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        rung, first = measure(args.dms, args.new, Path(folder))
        elapsed = time.monotonic() - started

    print(f"{args.dms} rung DMs, {args.new} first DMs of new conversations ({elapsed:.0f} s)")
    print(f"{'':52} {'p50 s':>7} {'p95 s':>7} {'max s':>7}")
    rows = [
        ("rung: stream dm_update -> alert at the receiver", rung),
        ("baseline: new conversation, inbox poll -> alert", first),
    ]
    for label, values in rows:
        print(f"{label:52} {percentile(values, 0.5):7.2f} {percentile(values, 0.95):7.2f} {max(values):7.2f}")
    print(f"{'ratio rung / baseline':52} {percentile(rung, 0.5) / percentile(first, 0.5):6.2f}x "
          f"{percentile(rung, 0.95) / percentile(first, 0.95):6.2f}x")
    goals = [("rung p95 <= 3 s", percentile(rung, 0.95) <= 3.0), ("every first DM <= 15 s", max(first) <= 15.0)]
    print("goals: " + ", ".join(f"{name}: {'met' if met else 'MISSED'}" for name, met in goals))


if __name__ == "__main__":
    main()
