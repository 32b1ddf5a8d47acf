"""``notifier replay RULES EVENTS.jsonl``: what a recording would have fired, offline."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import TextIO

from ..alert import Alert
from ..exceptions import RuleFileError
from ..rules import Engine, load_rules, read_recorded, replay as run_replay
from ..rules.templates import event_time

__all__ = ["add_parser", "format_alert", "replay"]

_DESCRIPTION = """\
Run a recording of stream lines (from `notifier record`, or any JSONL file of
live_pipeline messages) through the rules and print the alerts that would
fire. Nothing is sent and no state is saved. A line's optional "ts" field
(epoch seconds) is the clock; a line without one keeps the previous time.

--format json prints one JSON object per alert (rule, topic, key, title,
message, ts) for scripts.

exit codes: 0 done, 2 bad rules or an unreadable recording."""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "replay", help="replay recorded events through the rules and print the alerts",
        description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("rules", metavar="RULES", help="the rule file (YAML)")
    parser.add_argument("events", metavar="EVENTS", help="the recording, one message per line ('-' for stdin)")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text",
        help="text for people (default) or json: one object per alert",
    )
    parser.add_argument(
        "--own-user-id", metavar="ID",
        help="the account's own user id: its DMs never alert (as the daemon does with the cookies' id)",
    )
    parser.set_defaults(func=replay)
    return parser


def format_alert(alert: Alert) -> str:
    """An alert as ``notifier replay`` prints it for people."""
    stamp = event_time(alert.ts).strftime("%Y-%m-%d %H:%M:%S")
    lines = [f"[{stamp}] {alert.rule} · {alert.key} → {', '.join(alert.targets)}", f"  {alert.title}"]
    lines += [f"  {line}" for line in alert.message.splitlines()]
    return "\n".join(lines)


def _as_json(alert: Alert) -> str:
    return json.dumps(
        {
            "rule": alert.rule, "topic": alert.topic, "key": alert.key,
            "title": alert.title, "message": alert.message, "ts": alert.ts,
        },
        ensure_ascii=False,
    )


def _emit(alerts: Iterable[Alert], fmt: str, out: TextIO) -> int:
    count = 0
    for alert in alerts:
        if fmt == "json":
            out.write(_as_json(alert) + "\n")
        else:
            if count:
                out.write("\n")
            out.write(format_alert(alert) + "\n")
        count += 1
    return count


def replay(args: argparse.Namespace) -> int:
    try:
        ruleset = load_rules(args.rules)
    except RuleFileError as exc:
        print(exc, file=sys.stderr)
        return 2
    engine = Engine(ruleset, own_user_id=args.own_user_id)
    skipped: list[int] = []
    events = 0

    def counted(lines: Iterable[str]):
        nonlocal events
        for event in read_recorded(lines, on_skip=skipped.append):
            events += 1
            yield event

    try:
        if args.events == "-":
            count = _emit(run_replay(engine, counted(sys.stdin)), args.format, sys.stdout)
        else:
            with open(args.events, encoding="utf-8", errors="replace") as lines:
                count = _emit(run_replay(engine, counted(lines)), args.format, sys.stdout)
    except OSError as exc:
        print(
            f"notifier replay: cannot read {args.events}: {exc.strerror or exc} — "
            "give the path of a JSONL recording (notifier record writes one)",
            file=sys.stderr,
        )
        return 2
    note = f"replayed {events:,} events from {args.events}: {count:,} alert{'s' if count != 1 else ''}"
    if skipped:
        shown = ", ".join(map(str, skipped[:5])) + (", ..." if len(skipped) > 5 else "")
        lines_word = "line" if len(skipped) == 1 else "lines"
        note += f" ({len(skipped):,} {lines_word} skipped, not stream messages: line {shown})"
    print(note, file=sys.stderr)
    return 0
