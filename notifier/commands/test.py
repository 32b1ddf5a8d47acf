"""``notifier test RULES [--target NAME]``: send a test notification to each target."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ..exceptions import DeliveryError, RuleFileError
from ..exitcodes import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from ..logs import configure_logging

__all__ = ["add_parser", "run_test"]


_DESCRIPTION = """\
Send one test notification to every target of RULES (or to the targets one
NAME stands for: a target name, or a tag of the targets_from file) and print a
line per target: sent, or failed with the reason Apprise gave. URLs are shown
with their secrets masked.

exit codes: 0 every target took it, 1 a target failed, 2 bad rules or usage."""

_EXAMPLE = """\
example:
  notifier test rules.yaml --target phone"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "test",
        help="send a test notification to each target",
        description=_DESCRIPTION,
        epilog=_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("rules", metavar="RULES", help="the rule file (YAML)")
    parser.add_argument(
        "--target", metavar="NAME", help="only this target (or every URL with this tag)"
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS",
        help="give up on a target after this long (default: 30)",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0,
        help="also show Apprise's own log lines",
    )
    parser.set_defaults(func=run_test)
    return parser


def run_test(args: argparse.Namespace) -> int:
    configure_logging(verbose=2 if args.verbose else 0)
    if not args.verbose:
        # Each failure's reason is already on its line; Apprise's copy on stderr is noise.
        logging.getLogger("apprise").propagate = False

    from ..delivery import build_targets
    from ..rulefile import load_rules

    path = Path(args.rules)
    try:
        ruleset = load_rules(path)
    except RuleFileError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    try:
        targets = build_targets(ruleset.targets, ruleset.targets_from)
        chosen = targets.resolve(args.target) if args.target else tuple(targets)
    except DeliveryError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    if not chosen:
        print(f"{path} defines no targets: add some under targets: (or targets_from:)", file=sys.stderr)
        return EXIT_USAGE
    if args.timeout <= 0:
        print("--timeout must be a positive number of seconds", file=sys.stderr)
        return EXIT_USAGE
    import asyncio

    return asyncio.run(_send_all(chosen, path, args.timeout))


async def _send_all(targets: tuple, rules: Path, timeout: float) -> int:
    import asyncio

    from ..delivery import send_once

    outcomes = await asyncio.gather(
        *(
            send_once(
                target.url,
                title="notifier test",
                body=(
                    f"Test notification for target {target.name} of {rules.name}. "
                    "If you can read this, alerts will reach you here."
                ),
                notify_type="info",
                timeout=timeout,
            )
            for target in targets
        )
    )
    width = max(len(target.name) for target in targets)
    failed = 0
    for target, outcome in zip(targets, outcomes):
        if outcome.ok:
            print(f"{target.name:<{width}}  sent    {target.masked}")
        else:
            failed += 1
            print(f"{target.name:<{width}}  FAILED  {target.masked}: {outcome.reason}")
    sys.stdout.flush()
    if failed:
        print(f"{failed} of {len(targets)} target(s) failed", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK
