"""`notifier run --replay` of the launch day sends the Surge alert with its chart, end to end."""

from __future__ import annotations

import base64
import io
import shutil
from pathlib import Path

from PIL import Image

from tests.fakes.receiver import Receiver

from .conftest import StartNotifier, WriteRules

REPO = Path(__file__).resolve().parents[2]
LAUNCH = "1850000000000000000"


def test_replayed_surge_arrives_with_its_png_and_chart_false_without(
    receiver: Receiver, write_rules: WriteRules, workdir: Path, start_notifier: StartNotifier,
) -> None:
    """A json:// target gets the replayed surge with a 600×200 PNG; a chart: false rule's alert has none."""
    shutil.copy(REPO / "examples" / "launch-day.jsonl", workdir / "launch-day.jsonl")
    rules = write_rules(f"""
        - name: Surge
          tweets: ["{LAUNCH}"]
          gain: {{likes: 500, within: 10m}}
          once: true
        - name: Plain milestone
          tweets: ["{LAUNCH}"]
          milestones: {{likes: [1000]}}
          chart: false
    """, {"hook": receiver.json_url()})
    child = start_notifier(str(rules), "--replay", "launch-day.jsonl", "--state", "state.db")
    assert child.wait(timeout=60) == 0, child.stderr
    assert receiver.wait_for(lambda r: len(r.received) == 2, timeout=10)
    by_title = {delivery.json["title"]: delivery.json for delivery in receiver.received}
    [surge] = [body for title, body in by_title.items() if "gained" in title]
    [plain] = [body for title, body in by_title.items() if "passed" in title]
    [attached] = surge["attachments"]
    image = Image.open(io.BytesIO(base64.b64decode(attached["base64"])))
    assert (image.format, image.size) == ("PNG", (600, 200))
    assert not plain.get("attachments")
