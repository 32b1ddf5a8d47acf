"""``notifier status``: one line: running or not, what is watched, the mute, the last alert."""

from __future__ import annotations

import argparse

from .mute import act, add_state_options

__all__ = ["add_parser"]

_DESCRIPTION = """\
Print one line about the notifier of a state file: whether it runs, what it
watches (with --rules), whether alerts are muted and until when, and its
last alert. Read from the state file: no network is used.

exit codes: 0 printed, 1 the state file cannot be read, 2 bad usage."""

_EXAMPLE = """\
example:
  notifier status --rules rules.yaml"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "status", help="say whether alerts are muted, and the last alert",
        description=_DESCRIPTION, epilog=_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_state_options(parser)
    parser.set_defaults(func=lambda args: act(args, "status"))
    return parser
