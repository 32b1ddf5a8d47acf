"""End-to-end alert latency of `notifier run`, next to two floors: a bare HTTP POST and Apprise's own notify().

    python benchmarks/latency.py              # 1,000 alerts
    python benchmarks/latency.py --alerts 200

A fake live_pipeline server streams tweet_engagement lines to a `notifier run`
child process whose rule (`every: {likes: 1}`) fires one alert per line, sent
to a local `json://` receiver. Latency is measured from the moment the fake
writes the line (its ``time.time()``) to the moment the receiver gets the
alert's HTTP request. Alerts go one at a time, so this is latency, not
throughput under load.

Two floors, measured after notifier's run against the same receiver:

* a bare HTTP POST of a similar JSON body from this process, on a fresh
  connection each time as Apprise's json:// does;
* Apprise's own ``notify()`` of the same JSON, in this process, to the same
  ``json://`` URL: the title, message and attached chart PNG of notifier's
  last alert, with one Apprise object as an Apprise user keeps it. That is
  what sending it through Apprise costs at the least; what notifier adds
  over it is its own: the stream, the engine, the durable outbox, the
  scheduler, the sending thread, building the Apprise object and drawing the
  chart.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import statistics
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

TWEET = "1850000000000000000"
TOPIC = f"/tweet_engagement/{TWEET}"
WAIT = 10.0  # seconds one alert may take before the run is declared broken


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction in 0..1)."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def wait_for_count(receiver: Receiver, count: int) -> None:
    deadline = time.monotonic() + WAIT
    while len(receiver.received) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"no alert reached the receiver within {WAIT} s (got {len(receiver.received)})")
        time.sleep(0.0002)


def measure_notifier(alerts: int, fake: FakeLivePipeline, receiver: Receiver, folder: Path) -> list[float]:
    (folder / "cookies.json").write_text(json.dumps(fake.cookies))
    (folder / "rules.yaml").write_text(
        "version: 1\n"
        "account:\n  cookies: cookies.json\n"
        f"targets:\n  hook: {receiver.json_url()}\n"
        "defaults:\n  notify: [hook]\n"
        "rules:\n"
        "  - name: Every like\n"
        f"    tweets: [\"{TWEET}\"]\n"
        "    every: {likes: 1}\n"
        "    title: \"{likes}\"\n"
    )
    env = {**os.environ, "NOTIFIER_API_BASE": fake.url, "PYTHONUNBUFFERED": "1"}
    log = (folder / "notifier.log").open("w")
    child = subprocess.Popen(
        [sys.executable, "-m", "notifier", "run", "rules.yaml", "--state", "state.db", "--log-format", "json"],
        cwd=folder, env=env, stdout=log, stderr=log,
    )
    try:
        fake.wait_for(lambda f: any(TOPIC in topics for topics in f.sessions.values()), timeout=WAIT)
        fake.push_engagement(TWEET, like_count=0)  # first observation: sets the mark, no alert
        latencies = []
        for likes in range(1, alerts + 1):
            before = len(receiver.received)
            written = fake.push_engagement(TWEET, like_count=likes)
            wait_for_count(receiver, before + 1)
            delivery = receiver.received[before]
            if delivery.title != str(likes):
                raise SystemExit(f"alert {likes} arrived as {delivery.title!r}: out of order or doubled")
            latencies.append(delivery.at - written)
        return latencies
    finally:
        stop_child(child, log)


def measure_floor(count: int, receiver: Receiver) -> list[float]:
    body = json.dumps({"version": "1.0", "title": "0", "message": "floor", "type": "info"}).encode()
    latencies = []
    for _ in range(count):
        before = len(receiver.received)
        started = time.time()
        connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=WAIT)
        connection.request("POST", "/hook", body, {"Content-Type": "application/json"})
        connection.getresponse().read()
        connection.close()
        wait_for_count(receiver, before + 1)
        latencies.append(receiver.received[before].at - started)
    return latencies


def measure_apprise(count: int, receiver: Receiver, sample: dict, folder: Path) -> list[float]:
    """Apprise's notify() of what notifier sent: its title, message and attachments (the alert's chart)."""
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(receiver.json_url()):
        raise SystemExit("Apprise cannot load the receiver's json:// URL")
    attach = apprise.AppriseAttachment()
    for index, item in enumerate(sample.get("attachments") or []):
        path = folder / f"{index}-{item.get('filename') or 'attachment'}"
        path.write_bytes(base64.b64decode(item["base64"]))
        attach.add(str(path))
    latencies = []
    for _ in range(count):
        before = len(receiver.received)
        started = time.time()
        sent = notifier.notify(
            title=sample.get("title") or "", body=sample.get("message") or "", attach=attach if attach else None,
        )
        if not sent:
            raise SystemExit("Apprise's notify() to the receiver failed")
        wait_for_count(receiver, before + 1)
        latencies.append(receiver.received[before].at - started)
    return latencies


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=1000, help="alerts to measure (default 1000)")
    args = parser.parse_args(argv)
    if args.alerts < 1:
        parser.error("--alerts must be at least 1")

    with FakeLivePipeline() as fake, Receiver() as receiver, tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        notifier = measure_notifier(args.alerts, fake, receiver, Path(folder))
        elapsed = time.monotonic() - started
        sample = receiver.received[-1].json or {}
        receiver.received.clear()
        floor = measure_floor(args.alerts, receiver)
        receiver.received.clear()
        own = measure_apprise(args.alerts, receiver, sample, Path(folder))

    rows = [
        ("notifier: stream line -> json:// receiver", notifier),
        ("Apprise notify(), in process (floor)", own),
        ("bare HTTP POST (floor)", floor),
    ]
    print(f"{args.alerts:,} alerts, one at a time ({elapsed:.1f} s)")
    print(f"{'':44} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}")
    for label, values in rows:
        p50, p99 = percentile(values, 0.50) * 1000, percentile(values, 0.99) * 1000
        print(f"{label:44} {p50:9.2f} {p99:9.2f} {max(values) * 1000:9.2f}")
    over50 = (percentile(notifier, 0.50) - percentile(own, 0.50)) * 1000
    over99 = (percentile(notifier, 0.99) - percentile(own, 0.99)) * 1000
    print(f"{'over Apprise notify() (target p50 <= 3 ms)':44} {over50:9.2f} {over99:9.2f}")
    ratio50 = percentile(notifier, 0.50) / percentile(floor, 0.50)
    ratio99 = percentile(notifier, 0.99) / percentile(floor, 0.99)
    print(f"{'ratio notifier / bare POST':44} {ratio50:8.1f}x {ratio99:8.1f}x")
    means = " vs ".join(f"{statistics.fmean(values) * 1000:.2f} ms" for values in (notifier, own, floor))
    print(f"(means: notifier, Apprise, bare POST: {means})")


if __name__ == "__main__":
    main()
