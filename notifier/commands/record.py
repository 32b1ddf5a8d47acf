"""``notifier record RULES``: write the live stream as JSON lines for later replay.

Each line is one stream message exactly as the server sent it, plus a ``ts``
field (epoch seconds at arrival), which ``notifier run --replay`` and
``notifier replay`` use as the clock.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from typing import IO, TYPE_CHECKING, Any

from ..config import Config, duration_arg
from ..exceptions import AuthenticationError, CredentialsError, RuleFileError
from ..exitcodes import EXIT_AUTH, EXIT_OK, EXIT_USAGE
from ..logs import configure_logging
from .run import add_logging_flags

if TYPE_CHECKING:
    from ..stream.events import ConfigEvent

__all__ = ["add_parser", "record"]

log = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "record", help="write the live stream of RULES' topics as JSON lines",
        description="Record the live stream of every topic the rules watch, one JSON "
        "message per line with a 'ts' field, for `notifier run --replay` or `notifier replay`.",
    )
    parser.add_argument("rules", metavar="RULES", help="the rule file whose topics to record")
    parser.add_argument(
        "--for", dest="duration", type=duration_arg, metavar="DURATION",
        help="record this long (e.g. 10m); default: until SIGINT/SIGTERM",
    )
    parser.add_argument(
        "--cookies", metavar="PATH",
        help="X session cookies; overrides the rule file's account.cookies",
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE",
        help="append to FILE instead of writing to standard output",
    )
    add_logging_flags(parser)
    parser.set_defaults(func=record)
    return parser


def record(args: argparse.Namespace) -> int:
    """Entry point of ``notifier record``; returns the exit code."""
    import asyncio

    configure_logging(log_format=args.log_format, verbose=args.verbose)
    config = Config.from_args(args)
    if args.output:
        with open(args.output, "a", encoding="utf-8") as out:
            return asyncio.run(_record(config, out))
    return asyncio.run(_record(config, sys.stdout))


class _Writer:
    """Writes each message as it is read, and each connection's config event in its place."""

    def __init__(self, out: IO[str], clock: Callable[[], float]) -> None:
        from ..stream.recording import record_line  # noqa: PLC0415 - loads the parser: not for --help

        self._record_line = record_line
        self._out = out
        self._clock = clock
        self.count = 0

    def write(self, raw: str) -> None:
        line = self._record_line(raw, self._clock())
        if line is None:
            return
        self._out.write(line + "\n")
        self._out.flush()
        self.count += 1

    # The session's ConnectionListener: every connection's config, the first one
    # included, as the server sent it, so the file starts like every recording does.
    def connected(self, raw: str, config: ConfigEvent) -> None:
        self.write(raw)

    def disconnected(self) -> None:
        pass


async def _record(
    config: Config,
    out: IO[str],
    *,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.time,
) -> int:
    # Imported here: `notifier --help` builds this parser and needs none of them.
    import asyncio

    from ..rulefile import load_rules
    from ..stream.auth import resolve_cookies
    from ..stream.client import StreamClient

    env = os.environ if env is None else env
    try:
        ruleset = load_rules(config.rules, env=env)
    except RuleFileError as exc:
        log.error("%s", exc)
        return EXIT_USAGE
    except OSError as exc:
        log.error("cannot read the rule file %s: %s", config.rules, exc.strerror or exc)
        return EXIT_USAGE
    topics = sorted(ruleset.topics)
    if not topics:
        log.error("the rules watch no tweet or conversation: nothing to record")
        return EXIT_USAGE
    try:
        cookies = resolve_cookies(config.cookies, ruleset.account_cookies, env)
    except CredentialsError as exc:
        log.error("%s", exc)
        return EXIT_USAGE

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    writer = _Writer(out, clock)

    async def pump(session: Any) -> None:
        async for raw, _topic, payload in session.messages():
            if payload.config is None:  # config events come through the listener
                writer.write(raw)

    try:
        async with StreamClient(cookies, api_base=config.api_base) as client:
            session = await client.get_streaming_session(topics, auto_reconnect=True, listener=writer)
            log.info("recording %d topics", len(topics), extra={"event": "recording"})
            pumping = asyncio.create_task(pump(session))
            waiters = [asyncio.create_task(stop.wait())]
            if config.duration is not None:
                waiters.append(asyncio.create_task(asyncio.sleep(config.duration)))
            try:
                await asyncio.wait([pumping, *waiters], return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (pumping, *waiters):
                    task.cancel()
                await asyncio.gather(pumping, *waiters, return_exceptions=True)
                await session.aclose()
            if pumping.done() and not pumping.cancelled() and pumping.exception() is not None:
                raise pumping.exception()  # type: ignore[misc]
    except AuthenticationError as exc:
        log.error("%s", exc, extra={"event": "auth_rejected"})
        return EXIT_AUTH
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    log.info("recorded %d messages", writer.count, extra={"event": "recorded", "count": writer.count})
    return EXIT_OK
