"""How long drawing one alert chart takes, against encoding a blank PNG of the same size.

    python benchmarks/chart.py                 # 200 charts, best of 5 rounds
    python benchmarks/chart.py --charts 50 --repeat 3

The chart is the heaviest an alert carries: a day of samples from a post's
kept history (rules.history at its cap, thinned as the engine thins it), a
rule line and a surge window. The baseline is Pillow alone saving a blank
600×200 RGB image as PNG, measured in the same rounds, so a busy machine weighs
on both alike. Targets (issue 15): under 30 ms and under 40 KB per chart. Not a
test: it prints what it measures.
"""

from __future__ import annotations

import argparse
import io
import math
import time
from array import array

from PIL import Image

from common import per_call
from notifier.alert import Chart
from notifier.charts.png import HEIGHT, WIDTH, draw
from notifier.rules.history import INTERVAL, SPAN, add_sample, points


def heaviest_chart() -> Chart:
    """A day of one-minute samples of a post climbing, then surging in its last 10 minutes."""
    series = array("d")
    start = 1_767_000_000.0
    minutes = int(SPAN / INTERVAL)
    for minute in range(minutes):
        likes = int(20_000 * (1 - math.exp(-minute / 400))) + (minute - minutes + 10) * 300 * (minute > minutes - 10)
        add_sample(series, start + minute * INTERVAL, {"likes": likes, "views": likes * 40})
    now = start + minutes * INTERVAL
    samples = points(series, "likes", now, 25_000)
    return Chart("1850000000000000000", "likes", samples, line=20_000.0, line_label="20,000 likes",
                 window=(now - 600, now))


def blank_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255)).save(out, "PNG")
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charts", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    chart = heaviest_chart()
    png = draw(chart)
    blank_png()  # warm-up: fonts loaded, encoders ready
    chart_s = blank_s = math.inf
    for _ in range(args.repeat):
        chart_s = min(chart_s, per_call(lambda: draw(chart), args.charts))
        blank_s = min(blank_s, per_call(blank_png, args.charts))
    print(f"chart of {len(chart.samples)} points, {WIDTH}x{HEIGHT}, {len(png) / 1024:.1f} KB (target: under 40 KB)")
    print(f"best of {args.repeat} rounds of {args.charts}:")
    print(f"blank {WIDTH}x{HEIGHT} PNG encode   {blank_s * 1000:7.2f} ms")
    print(f"alert chart (draw + encode)  {chart_s * 1000:7.2f} ms   (target: under 30 ms)")
    print(f"ratio chart / blank PNG:     {chart_s / blank_s:7.2f}x")


if __name__ == "__main__":
    main()
