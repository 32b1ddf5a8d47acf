"""``notifier run RULES``: the daemon."""

from __future__ import annotations

import argparse

from ..run.config import Config, duration_arg, port_arg
from ..logs import configure_logging

__all__ = ["add_parser", "run", "settle_stdout"]

# One screen (24 lines of 80 columns, tests/test_help.py); the rest is in the docs.
_DESCRIPTION = """\
Watch what RULES names on X and send each alert to its targets, until SIGTERM
or SIGINT (deliveries drain for up to 10 s) or --for. SIGHUP or saving RULES
reloads it. Exit codes: 0 stopped, 1 failure, 2 bad rules, 3 X said no."""

_EXAMPLE = """\
example:
  notifier run rules.example.yaml --replay examples/launch-day.jsonl --dry-run"""


def add_logging_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-format", choices=("text", "json"), default="text", metavar="FORMAT",
        help="text (default) or json: one object per line",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0,
        help="debug output (-vv: also httpx and Apprise)",
    )


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "run", help="watch X and send alerts (the daemon)", usage="%(prog)s RULES [options]",
        description=_DESCRIPTION, epilog=_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("rules", metavar="RULES", help="the rule file (YAML)")
    parser.add_argument(
        "--state", metavar="PATH",
        help="state file (default $NOTIFIER_STATE, else XDG state)",
    )
    parser.add_argument(
        "--cookies", metavar="PATH",
        help="X session cookies (default: RULES' account.cookies)",
    )
    parser.add_argument(
        "--replay", metavar="FILE",
        help="read a recording (notifier record), not X's stream",
    )
    parser.add_argument(
        "--dry-run", action="store_true",
        help="print alerts instead of sending them; save nothing",
    )
    parser.add_argument(
        "--for", dest="duration", type=duration_arg, metavar="DURATION",
        help="stop after this long (e.g. 9m50s), then drain",
    )
    parser.add_argument(
        "--metrics-port", type=port_arg, metavar="PORT",
        help="serve Prometheus /metrics and /healthz on PORT",
    )
    parser.add_argument(
        "--metrics-host", default="127.0.0.1", metavar="HOST",
        help="address for metrics (default 127.0.0.1)",
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

    from ..run.daemon import Daemon

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
