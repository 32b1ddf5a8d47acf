"""``notifier unmute [rule NAME]``: end the mute; what waited goes out as one digest."""

from __future__ import annotations

import argparse

from .mute import act, add_state_options

__all__ = ["add_parser"]

_DESCRIPTION = """\
End the mute set by notifier mute, a phone's Mute button or Home Assistant's
switch (or only one rule's: rule NAME). The running notifier on the same
state file sends what waited as one digest per target within a second.

exit codes: 0 unmuted, 1 the state file cannot be written, 2 bad usage."""

_EXAMPLE = """\
example:
  notifier unmute"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "unmute", help="end the mute: what waited goes out as one digest",
        description=_DESCRIPTION, epilog=_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("what", nargs="*", metavar="rule NAME", help="only this rule's mute")
    add_state_options(parser)
    parser.set_defaults(func=lambda args: act(args, " ".join(["unmute", *args.what])))
    return parser
