"""`preview: false` end to end: a DM's text reaches no output of `notifier run`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.account.runs import ME, Run
from tests.fakes.receiver import Receiver
from tests.fakes.x_web import FakeXWeb

SECRET = "the merger closes on Friday"

PRIVATE_DMS = """\
  - name: Any new DM
    dms: any
    on: message
    preview: false
    notify: [hook, phone]
"""


def test_preview_false_keeps_the_text_out_of_every_output(
    run: Run, web: FakeXWeb, receiver: Receiver, tmp_path: Path
) -> None:
    """With preview: false a DM alerts with its sender, and its text is in no payload, log line or state file."""
    path = run.rules(PRIVATE_DMS)
    # A second target, ntfy, on the same receiver: the phone's payload as well as the program's.
    text = path.read_text().replace("targets:\n", f"targets:\n  phone: {json.dumps(receiver.ntfy_url('dm'))}\n")
    path.write_text(text)
    child = run.start("-vv")
    child.wait_for_event("inbox_seeded", timeout=15)
    web.add_user("8", "bob", "Bob Stone")
    web.add_message(f"8-{ME}", "8", SECRET)
    assert receiver.wait_for(lambda r: len(r.received) >= 2, timeout=15), child.stderr
    run.stop(child)

    titles = sorted(d.json["title"] for d in receiver.received)
    assert titles == ["DM from Bob Stone (@bob)"] * 2
    assert all("@bob wrote in conversation" in d.json["message"] for d in receiver.received)
    for delivery in receiver.requests:
        assert "merger" not in delivery.body.decode() and "merger" not in json.dumps(delivery.headers)
    assert "ntfy Payload" in child.stderr  # Apprise's debug lines were on, and show no text either
    assert "merger" not in child.stderr and "merger" not in child.stdout
    for file in tmp_path.iterdir():
        if file.is_file():
            assert b"merger" not in file.read_bytes(), file.name


def test_preview_false_keeps_the_text_out_of_replays_and_explanations(tmp_path: Path, capsys) -> None:
    """replay (text and json) and replay --explain of a recorded inbox message never show its text."""
    from notifier.cli import main

    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "version: 1\naccount:\n  cookies: cookies.json\ntargets:\n  hook: json://localhost/hook\n"
        "defaults:\n  notify: [hook]\nrules:\n" + PRIVATE_DMS.replace("notify: [hook, phone]", "notify: [hook]")
    )
    message = {"conversation_id": f"8-{ME}", "user_id": "8", "message_id": "77", "text": SECRET,
               "sender": "bob", "sender_name": "Bob Stone"}
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps({"ts": 1_780_000_000.0, "topic": f"/dm_message/8-{ME}",
                                  "payload": {"dm_update": message}}) + "\n")
    outputs = []
    for flags in ([], ["--format", "json"], ["--explain"], ["--explain", "--format", "json"]):
        assert main(["replay", str(rules), str(events), *flags]) == 0
        captured = capsys.readouterr()
        outputs.append(captured.out + captured.err)
    assert "DM from Bob Stone (@bob)" in outputs[0] and "DM from Bob Stone (@bob)" in outputs[2]
    assert all("merger" not in output for output in outputs)
