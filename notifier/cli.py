"""The ``notifier`` command line: one sub-command per module in ``notifier.commands``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import __version__

__all__ = ["main"]

# Each module defines add_parser(subparsers) and sets ``func`` on its parser;
# ``func(args) -> int`` is the exit code.
_COMMANDS = ("check", "replay", "run", "record", "test", "login", "mute", "unmute", "status")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="notifier",
        description="Alerts for X engagement: milestones, surges and DMs, sent through Apprise.",
        epilog="example (the demo: a recorded launch day, printed, nothing sent):\n"
        "  notifier run rules.example.yaml --replay examples/launch-day.jsonl --dry-run",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"notifier {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        try:
            module = importlib.import_module(f"notifier.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"notifier.commands.{name}":
                raise
            continue
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
