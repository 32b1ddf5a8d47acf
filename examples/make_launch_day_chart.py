"""Write examples/launch-day-chart.png: the chart the Surge alert of the launch-day replay carries.

    python examples/make_launch_day_chart.py            # writes examples/launch-day-chart.png
    python examples/make_launch_day_chart.py --rule "Like milestones" --out /tmp/chart.png

Replays examples/launch-day.jsonl through the rules of rules.example.yaml, the
same way `notifier replay` does (the engine on the recording's clock), and
draws the chart of the first alert of the named rule exactly as delivery
would attach it. The output is the same on every run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from notifier.charts.png import draw
from notifier.rulefile import load_rules
from notifier.rules import Engine
from notifier.stream.recording import read_recorded

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rule", default="Surge", help="the rule whose first alert's chart to draw")
    parser.add_argument("--out", type=Path, default=HERE / "launch-day-chart.png")
    args = parser.parse_args()
    engine = Engine(load_rules(HERE.parent / "rules.example.yaml", env={}), own_user_id="1111111111")
    with (HERE / "launch-day.jsonl").open(encoding="utf-8") as recording:
        for event in read_recorded(recording):
            for alert in engine.process(event.topic, event.payload, event.ts):
                if alert.rule == args.rule and alert.charts:
                    args.out.write_bytes(draw(alert.charts[0]))
                    print(f"{args.out}: {alert.title} ({len(alert.charts[0].samples)} samples)")
                    return 0
    print(f"no alert of rule {args.rule!r} with a chart in the replay")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
