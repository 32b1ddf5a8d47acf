"""``notifier run RULES``: the daemon."""

from __future__ import annotations

import argparse

from ..config import Config, duration_arg, port_arg
from ..logs import configure_logging

__all__ = ["add_parser", "run", "settle_stdout"]

_DESCRIPTION = """\
Watch the tweets and conversations named in RULES on X's live stream and send
an alert to the rule's targets whenever a rule fires. Runs until stopped
(SIGTERM/SIGINT: drain deliveries for up to 10 s, save state, exit 0) or for
--for DURATION. SIGHUP, or saving the rule file, reloads the rules.

exit codes: 0 clean stop, 1 runtime failure, 2 bad rules or usage,
3 authentication rejected by X."""


def add_logging_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-format", choices=("text", "json"), default="text",
        help="text: one readable line per event (default); json: one JSON object per line",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0,
        help="debug output (-vv adds the HTTP and Apprise libraries)",
    )


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "run", help="run the daemon: stream → rules → alerts",
        description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("rules", metavar="RULES", help="the rule file (YAML)")
    parser.add_argument(
        "--state", metavar="PATH",
        help="SQLite file for rule state and the outbox (default: $NOTIFIER_STATE, else "
        "$XDG_STATE_HOME/notifier/state.db, else ~/.local/state/notifier/state.db)",
    )
    parser.add_argument(
        "--cookies", metavar="PATH",
        help="X session cookies (twikit JSON or Netscape cookies.txt); overrides the rule "
        "file's account.cookies (else NOTIFIER_AUTH_TOKEN and NOTIFIER_CT0)",
    )
    parser.add_argument(
        "--replay", metavar="FILE",
        help="read events from a JSONL recording (notifier record) instead of the live stream; "
        "no credentials or network needed",
    )
    parser.add_argument(
        "--dry-run", action="store_true",
        help="print alerts to standard output (console://) instead of sending them; "
        "state is not saved",
    )
    parser.add_argument(
        "--for", dest="duration", type=duration_arg, metavar="DURATION",
        help="run this long (e.g. 9m50s), then drain deliveries and exit 0 (for cron)",
    )
    parser.add_argument(
        "--metrics-port", type=port_arg, metavar="PORT",
        help="serve Prometheus /metrics and /healthz on this port",
    )
    parser.add_argument(
        "--metrics-host", default="127.0.0.1", metavar="HOST",
        help="address to serve metrics on (default 127.0.0.1; 0.0.0.0 in a container)",
    )
    add_logging_flags(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Entry point of ``notifier run``; returns the exit code."""
    import signal

    # A SIGHUP (reload) while the daemon is still importing and starting would end the
    # process (exit 129); the daemon puts its own handler in place as it starts.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

    # Imported here: asyncio, and the daemon with httpx, Apprise's delivery and the rest,
    # are of no use to `notifier --help`, which builds every command's parser.
    import asyncio
    import logging

    from ..daemon import Daemon

    configure_logging(log_format=args.log_format, verbose=args.verbose)
    config = Config.from_args(args)
    if config.dry_run and config.verbose == 0:
        # "delivered to console://" after each printed alert says nothing new; what
        # quiet hours, budgets and group_wait do with alerts does.
        logging.getLogger("notifier.delivery").setLevel(logging.WARNING)
        logging.getLogger("notifier.delivery.policy").setLevel(logging.INFO)
    code = asyncio.run(Daemon(config).run())
    settle_stdout()
    return code


def settle_stdout() -> None:
    """Flush standard output; if its reader went away (| head), let what is left go nowhere.

    What a failed write left buffered would otherwise fail again in the flush at
    exit, turning a clean stop into a traceback and exit code 120.
    """
    import os
    import sys

    try:
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
