"""``notifier mute WHEN``, ``notifier unmute``, ``notifier status``: the one mute of a running notifier.

They act through the state file (see :mod:`notifier.control.keeper` for why):
the running ``notifier run`` on the same state file adopts the change within a
second, and one that is stopped obeys it when it starts. No network is used.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..exitcodes import EXIT_FAILURE, EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    from ..rulefile import RuleFile

__all__ = ["act", "add_parser", "add_state_options"]

_DESCRIPTION = """\
Hold every alert (or one rule's) for a while: WHEN is a duration (1h, 30m,
1d), until HH:MM, or rule NAME and a duration. The running notifier on the
same state file holds alerts within a second, without a restart; a stopped
one does when it starts. What waited goes out as one digest when the mute
ends. notifier's own health alerts and urgent rules are never held.

exit codes: 0 muted, 1 the state file cannot be written, 2 bad usage."""

_EXAMPLE = """\
example:
  notifier mute 1h"""


def add_state_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state", metavar="PATH", help="state file (default $NOTIFIER_STATE, else XDG state)")
    parser.add_argument("--rules", metavar="RULES",
                        help="the rule file: checks rule names, reads control.tz")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "mute", help="hold alerts for a while (the running notifier obeys)",
        description=_DESCRIPTION, epilog=_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("when", nargs="+", metavar="WHEN", help="1h, until 07:00, or rule NAME 1d")
    add_state_options(parser)
    parser.set_defaults(func=lambda args: act(args, "mute " + " ".join(args.when)))
    return parser


def act(args: argparse.Namespace, text: str) -> int:
    """Obey ``text`` (a command of :mod:`notifier.control.commands`) on the state file; print the result."""
    from ..run.config import default_state_path
    from ..control.commands import Ignored, Status, parse
    from ..control.keeper import MuteStore, apply_command
    from ..exceptions import NotifierError
    from ..times import local_zone

    ruleset = _rules(args)
    if ruleset is False:
        return EXIT_USAGE
    zone = ruleset.control.zone if ruleset is not None and ruleset.control is not None else local_zone()
    now = time.time()
    names = [rule.name for rule in ruleset.rules] if ruleset is not None else None
    command = parse(text, now=now, zone=zone, rules=names)
    if isinstance(command, Ignored):
        print(f"notifier: {text!r} is not a command: {command.reason}", file=sys.stderr)
        return EXIT_USAGE
    state = Path(args.state).expanduser() if args.state else default_state_path()
    try:
        store = MuteStore(state)
        try:
            if isinstance(command, Status):
                return _status(store, state, ruleset, zone)
            change = store.change(lambda mute: apply_command(mute, command, now), "the command line")
        finally:
            store.close()
    except NotifierError as exc:
        print(f"notifier: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    pid = running_pid(state)
    who = (f"the running notifier (pid {pid}) obeys within a second" if pid is not None
           else "no notifier runs on this state file: the next start obeys")
    print(f"{change.mute.describe(now, zone)}; {who}")
    return EXIT_OK


def _status(store: object, state: Path, ruleset: RuleFile | None, zone: object) -> int:
    from ..control.keeper import MuteStore
    from ..control.status import status_line
    from ..delivery.outbox import Outbox

    assert isinstance(store, MuteStore)
    now = time.time()
    mute = store.read().mute
    with Outbox(state) as outbox:
        last = outbox.last_alert()
    pid = running_pid(state)
    running = f"running (pid {pid})" if pid is not None else "not running"
    rules = len(ruleset.rules) if ruleset is not None else 0
    topics = len(ruleset.topics) if ruleset is not None else 0
    line = status_line(rules=rules, topics=topics, mute=mute, last=last, now=now, zone=zone,  # type: ignore[arg-type]
                       running=running)
    if ruleset is None:
        line = line.replace(" · watching 0 rules on 0 topics", "")
    print(line)
    return EXIT_OK


def _rules(args: argparse.Namespace) -> RuleFile | None | bool:
    """The rule file of --rules (None without one; False when it does not load, said on stderr)."""
    if not getattr(args, "rules", None):
        return None
    from ..exceptions import RuleFileError
    from ..rulefile import load_rules

    try:
        return load_rules(args.rules)
    except RuleFileError as exc:
        print(exc, file=sys.stderr)
        return False


def running_pid(state: Path) -> int | None:
    """The pid of the notifier that holds the state file's lock, if it is alive (read, never taken)."""
    from ..run.lock import lock_path

    try:
        text = lock_path(state).read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    if not text.isdigit():
        return None
    pid = int(text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid  # alive, another user's
    return pid
