"""Parse + engine of this tree against another revision's, side by side, on one core.

    python benchmarks/compare.py main            # 600,000 lines, chunks of 20,000
    python benchmarks/compare.py HEAD~1 --lines 1000000

On a shared machine, runs minutes apart differ by several percent with the
load alone, more than most changes to the hot path make. Here both versions
run in one process over the same lines (``benchmarks/engine.py``'s lines and
1,000 rules), each with its own engine, in chunks taken in turn (the order
alternating), so that whatever the machine does weighs on both alike. It
prints the median and quartiles of this tree's time over the other's, chunk
by chunk (below 1: this tree is faster), and each one's ratio to
``json.loads`` over the same chunks. The first fifth of the lines, where
every post is seen for the first time, is not counted.

The other revision is taken with ``git archive`` into a temporary folder and
imported as a package of another name (the package imports itself only by
relative imports). Times are CPU time of this thread.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this tree's notifier, whatever is installed

from engine import make_lines, pin_to_one_cpu, rule_yaml, tweet_id, write_rules  # noqa: E402

OTHER = "notifier_other"


def import_revision(revision: str, folder: Path) -> str:
    """Unpack ``revision``'s package into ``folder`` as :data:`OTHER`; the commit it is."""
    commit = subprocess.run(
        ["git", "rev-parse", "--verify", f"{revision}^{{commit}}"], cwd=ROOT, check=True, capture_output=True,
        text=True,
    ).stdout.strip()
    archive = subprocess.run(["git", "archive", commit, "notifier"], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        try:
            tar.extractall(folder, filter="data")
        except TypeError:  # Python before 3.11.4: no filters; the archive is our own repository's
            tar.extractall(folder)  # noqa: S202
    (folder / "notifier").rename(folder / OTHER)
    sys.path.insert(0, str(folder))
    return commit[:12]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("revision", help="the git revision to compare with (main, HEAD~1, a commit)")
    parser.add_argument("--lines", type=int, default=600_000, help="wire lines (default 600,000)")
    parser.add_argument("--chunk", type=int, default=20_000, help="lines per turn (default 20,000)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(pin_to_one_cpu())
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        commit = import_revision(args.revision, folder)
        rng = random.Random(args.seed)
        lines = make_lines(args.lines, 10_000, rng)
        rules = [rule_yaml(number, [tweet_id(rng.randrange(10_000)) for _ in range(20)]) for number in range(1_000)]
        path = write_rules(folder, "rules.yaml", rules)
        runs = {}
        for name in (OTHER, "notifier"):
            load_rules = importlib.import_module(f"{name}.rulefile").load_rules
            engine = importlib.import_module(f"{name}.rules").Engine(load_rules(path, env={}))
            runs[name] = [engine.process, importlib.import_module(f"{name}.stream.parse").parse_message, 1.7e9]

        def run(name: str, chunk: list[str]) -> None:
            state = runs[name]
            process, parse, now = state
            for line in chunk:
                parsed = parse(line)
                if parsed is not None:
                    now += 0.001
                    process(parsed[0], parsed[1], now)
            state[2] = now

        def only_json(chunk: list[str]) -> None:
            for line in chunk:
                json.loads(line)

        def timed(func, *args) -> float:
            start = time.thread_time()
            func(*args)
            return time.thread_time() - start

        ratios: list[float] = []
        totals = {"json": 0.0, OTHER: 0.0, "notifier": 0.0}
        gc.disable()
        for turn, start in enumerate(range(0, len(lines), args.chunk)):
            chunk = lines[start:start + args.chunk]
            order = ("notifier", OTHER) if turn % 2 else (OTHER, "notifier")
            spent = {"json": timed(only_json, chunk)}
            for name in order:
                spent[name] = timed(run, name, chunk)
            if start >= len(lines) // 5:
                ratios.append(spent["notifier"] / spent[OTHER])
                for name, seconds in spent.items():
                    totals[name] += seconds
        gc.enable()
    q1, median, q3 = statistics.quantiles(ratios, n=4)
    print(f"{len(ratios)} chunks of {args.chunk:,} lines; the first {len(lines) // 5:,} lines not counted")
    print(f"parse + engine / json.loads: this tree {totals['notifier'] / totals['json']:.2f}x, "
          f"{args.revision} ({commit}) {totals[OTHER] / totals['json']:.2f}x")
    print(f"this tree / {args.revision}, chunk by chunk: median {median:.3f}, quartiles {q1:.3f}-{q3:.3f}")


if __name__ == "__main__":
    main()
