"""``notifier replay RULES EVENTS.jsonl``: what a recording would have fired, and why, offline."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TextIO

from ..exceptions import ExpectFileError, RuleFileError

# The rules package is imported where it is used: `notifier --help` builds this
# parser and needs none of it.
if TYPE_CHECKING:
    from ..alert import Alert
    from ..rulefile import RuleFile
    from ..rules import Decision, Engine
    from ..rules.catchup import Outage
    from ..rules.explain import Explanation
    from ..stream.recording import RecordedEvent

__all__ = ["Step", "add_parser", "format_alert", "replay", "run_steps"]

# One screen (24 lines of 80 columns, tests/test_help.py); the rest is in the docs.
_DESCRIPTION = """\
Run a recording (from notifier record, or any JSONL of stream messages; a
line's "ts" is the clock) through RULES and print the alerts it would fire,
times in this machine's zone, then a count by rule. Nothing is sent or saved.
--explain says for each event and rule why it fired or not, and what quiet
hours and budgets did. --expect diffs the alerts with a golden list (for CI);
--format expect writes one. Exit codes: 0 done, 1 not as expected, 2 bad
rules, expected file or recording."""

_EXAMPLE = """\
example:
  notifier replay rules.example.yaml examples/launch-day.jsonl --explain"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "replay", help="print the alerts a recording would fire (or why not)",
        usage="%(prog)s RULES EVENTS [options]",
        description=_DESCRIPTION, epilog=_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("rules", metavar="RULES", help="the rule file (YAML)")
    parser.add_argument("events", metavar="EVENTS", help="the recording, a message per line ('-': stdin)")
    parser.add_argument(
        "--format", choices=("text", "json", "expect"), default="text", metavar="FORMAT",
        help="text (default), json (an object per line) or expect",
    )
    parser.add_argument(
        "--explain", action="store_true",
        help="for each event and rule, say what it made of it and why",
    )
    parser.add_argument(
        "--expect", metavar="FILE", default=None,
        help="the alerts that must fire (YAML); else diff and exit 1",
    )
    parser.add_argument(
        "--own-user-id", metavar="ID",
        help="the account's own user id: its DMs never alert",
    )
    parser.set_defaults(func=replay)
    return parser


@dataclass(frozen=True, slots=True)
class Step:
    """One recorded event through the pipeline: its alerts, and why (with ``explain``)."""

    event: RecordedEvent
    alerts: list[Alert]
    decisions: list[Decision] | None = None
    outage: Outage | None = None


def run_steps(
    engine: Engine, events: Iterable[RecordedEvent], *, explain: bool = False,
) -> Iterator[Step]:
    """Feed events through the daemon's pipeline (with nowhere to deliver and nothing saved)."""
    from ..run.pipeline import Pipeline

    handle = Pipeline(engine).handle
    for event in events:
        step = handle(event.topic, event.payload, event.ts, explain=explain)
        yield Step(event, step.alerts, step.decisions, step.outage)

def format_alert(alert: Alert) -> str:
    """An alert as ``notifier replay`` prints it for people."""
    from ..times import format_time

    lines = [f"[{format_time(alert.ts)}] {alert.rule} · {alert.key} → {', '.join(alert.targets)}", f"  {alert.title}"]
    lines += [f"  {line}" for line in alert.message.splitlines()]
    return "\n".join(lines)


def _as_json(alert: Alert) -> str:
    from ..times import iso_utc

    return json.dumps(
        {
            "rule": alert.rule, "topic": alert.topic, "key": alert.key,
            "title": alert.title, "message": alert.message, "ts": alert.ts, "time": iso_utc(alert.ts),
        },
        ensure_ascii=False,
    )


def _explanation_json(step: Step, explanation: Explanation) -> str:
    from ..times import iso_utc

    return json.dumps(
        {
            "line": step.event.line, "ts": step.event.ts, "time": iso_utc(step.event.ts), "topic": step.event.topic,
            "rule": explanation.rule, "key": explanation.key, "target": explanation.target,
            "outcome": explanation.outcome, "matched": explanation.matched,
            "detail": explanation.detail, "values": dict(explanation.values),
        },
        ensure_ascii=False, default=str,
    )


class _Printer:
    """Writes the steps of a replay in the chosen form; counts the alerts."""

    def __init__(self, ruleset: RuleFile, fmt: str, explain: bool, out: TextIO, header: str = "") -> None:
        from ..delivery.explain import TargetReplay
        from ..rules.explain import Explainer

        self.ruleset = ruleset
        self.header = header
        self.fmt = fmt
        self.explain = explain
        self.out = out
        self.printed = 0
        self.explainer = Explainer(ruleset)
        # The target side of explanations: quiet hours and budgets on the replay's clock.
        self.targets = TargetReplay({name: spec.policy for name, spec in ruleset.targets.items()})

    def step(self, step: Step) -> None:
        if self.fmt == "expect":
            return  # written whole at the end
        if self.explain:
            self._explain(step)
        else:
            for alert in step.alerts:
                if self.fmt == "json":
                    self.out.write(_as_json(alert) + "\n")
                else:
                    if self.printed:
                        self.out.write("\n")
                    self.out.write(format_alert(alert) + "\n")
                self.printed += 1

    def _explain(self, step: Step) -> None:
        from ..durations import format_duration
        from ..rules.explain import format_explanation, format_header
        from ..times import iso_utc

        event = step.event
        # Digests whose quiet hours or budget ended before this event go out first.
        for release in self.targets.release(event.ts):
            if self.fmt == "json":
                self.out.write(json.dumps({"ts": release.at, "time": iso_utc(release.at), "digest": release.target,
                                           "count": release.count, "reason": release.reason}) + "\n")
            else:
                self.out.write(f"{release}\n")
        if event.payload.discovery is not None:
            self._discovery(step)
            return
        if step.decisions is None:  # a (re)connection
            if self.fmt == "text":
                note = "connected"
                if step.outage is not None:
                    note = (f"reconnected after {format_duration(step.outage.seconds)} without a message: "
                            "each tweet's first event is a catch-up")
                self.out.write(f"{format_header(event.line, event.ts, event.topic)}\n  stream {note}\n")
            return
        explanations = self.explainer.explain(step.decisions, step.alerts)
        for alert in step.alerts:
            explanations += self.targets.route(alert, event.ts)
        if not explanations:
            return
        if self.fmt == "json":
            for explanation in explanations:
                self.out.write(_explanation_json(step, explanation) + "\n")
            return
        self.out.write(format_header(event.line, event.ts, event.topic) + "\n")
        for explanation in explanations:
            self.out.write(f"  {format_explanation(explanation)}\n")

    def _discovery(self, step: Step) -> None:
        """A discovery line: per post, which rules watch it and, for those that do not, why."""
        from ..rules.explain import explain_discovery, format_explanation, format_header

        event, discovery = step.event, step.event.payload.discovery
        explanations = explain_discovery(self.ruleset, discovery, event.ts)  # type: ignore[arg-type]
        if self.fmt == "json":
            for explanation in explanations:
                self.out.write(_explanation_json(step, explanation) + "\n")
            self._discovery_alerts(step)
            return
        count = len(discovery.posts)  # type: ignore[union-attr]
        self.out.write(format_header(event.line, event.ts, event.topic) + "\n")
        self.out.write(f"  {discovery.account}: {count:,} post{'' if count == 1 else 's'} found\n")  # type: ignore[union-attr]
        if not explanations and count:
            self.out.write(f"  no rule follows {discovery.account}\n")  # type: ignore[union-attr]
        for explanation in explanations:
            self.out.write(f"  {format_explanation(explanation)}\n")
        self._discovery_alerts(step)

    def _discovery_alerts(self, step: Step) -> None:
        """What the counts a discovery filled in fired (a new post is counted from zero)."""
        from ..rules.explain import NEW_POST, format_explanation

        if not step.alerts:
            return
        new = {post.id for post in step.event.payload.discovery.posts if post.new}  # type: ignore[union-attr]
        explanations = self.explainer.explain([], step.alerts)
        for alert in step.alerts:
            explanations += self.targets.route(alert, step.event.ts)
        for explanation in explanations:
            if explanation.key in new and explanation.outcome == "fired":
                explanation = replace(explanation, detail=f"{explanation.detail} ({NEW_POST})")
            if self.fmt == "json":
                self.out.write(_explanation_json(step, explanation) + "\n")
            else:
                self.out.write(f"  {format_explanation(explanation)}\n")

    def finish(self, fired: list[Alert]) -> None:
        from ..rules.expect import dump_expected

        if self.fmt == "expect":
            self.out.write(dump_expected(fired, header=self.header))
        elif self.explain and self.fmt == "text":
            for line in self.targets.pending():
                self.out.write(f"end of the recording · {line}\n")


def _expect_header(rules: str, events: str) -> str:
    return (
        f"The alerts `notifier replay {rules} {events}` fires, in order; times are UTC.\n"
        f"Check:   notifier replay {rules} {events} --expect THIS_FILE\n"
        f"Rewrite: notifier replay {rules} {events} --format expect > THIS_FILE"
    )


def replay(args: argparse.Namespace) -> int:
    from ..rulefile import load_rules
    from ..rules import Engine
    from ..rules.expect import compare, load_expected
    from ..stream.recording import bounded_lines, read_recorded
    from ..run.summary import Summary, rule_counts

    if args.format == "expect" and (args.explain or args.expect):
        print(
            "notifier replay: --format expect writes a golden file; it cannot be combined with "
            "--explain or --expect — run it on its own and redirect it to a file",
            file=sys.stderr,
        )
        return 2
    try:
        ruleset = load_rules(args.rules)
    except RuleFileError as exc:
        print(exc, file=sys.stderr)
        return 2
    expected = None
    if args.expect is not None:
        try:
            expected = load_expected(args.expect)
        except ExpectFileError as exc:
            print(exc, file=sys.stderr)
            return 2
    engine = Engine(ruleset, own_user_id=args.own_user_id)
    skipped: list[int] = []
    events = 0
    # With --expect the alerts are compared, not printed (unless explained).
    quiet = expected is not None and not args.explain
    printer = _Printer(ruleset, args.format, args.explain, sys.stdout, _expect_header(args.rules, args.events))
    fired: list[Alert] = []

    def counted(lines: Iterable[str]) -> Iterator[RecordedEvent]:
        nonlocal events
        for event in read_recorded(lines, on_skip=skipped.append):
            events += 1
            yield event

    def run(lines: Iterable[str]) -> None:
        for step in run_steps(engine, counted(lines), explain=args.explain):
            fired.extend(step.alerts)
            if not quiet:
                printer.step(step)
        if not quiet:
            printer.finish(fired)

    try:
        if args.events == "-":
            run(bounded_lines(sys.stdin, "<stdin>"))
        else:
            with open(args.events, encoding="utf-8", errors="replace") as lines:
                run(bounded_lines(lines, args.events))
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, and let no flush at exit complain.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(
            f"notifier replay: cannot read {args.events}: {exc.strerror or exc} — "
            "give the path of a JSONL recording (notifier record writes one)",
            file=sys.stderr,
        )
        return 2
    if not events:
        # Nothing usable: say so, with a line as it should be, rather than "0 alerts".
        from ..stream.recording import no_messages

        print(f"notifier replay: {no_messages(args.events, len(skipped))}", file=sys.stderr)
        return 2
    count = len(fired)
    note = f"replayed {events:,} events from {args.events}: {count:,} alert{'s' if count != 1 else ''}"
    if skipped:
        shown = ", ".join(map(str, skipped[:5])) + (", ..." if len(skipped) > 5 else "")
        lines_word = "line" if len(skipped) == 1 else "lines"
        note += f" ({len(skipped):,} {lines_word} skipped, not stream messages: line {shown})"
    # Which rules fired how often: what a reader wants after scrolling past the alerts.
    print("\n".join([note, *Summary.of(events, len(fired), rule_counts(fired)).details()]), file=sys.stderr)
    if expected is None:
        return 0
    diff = compare(expected, fired, fired_name=f"replay of {args.events}")
    if not diff:
        print(f"ok: the {count:,} alerts fired are the ones {args.expect} expects")
        return 0
    sys.stdout.write("\n".join(diff) + "\n")
    print(
        f"FAILED: the alerts fired differ from {args.expect} (- expected, + fired). "
        f"If the change is intended, rewrite it with: notifier replay {args.rules} {args.events} "
        f"--format expect > {args.expect}",
        file=sys.stderr,
    )
    return 1
