"""``notifier record RULES``: write the live stream as JSON lines for later replay.

Each line is one stream message exactly as the server sent it, plus a ``ts``
field (epoch seconds at arrival), which ``notifier run --replay`` and
``notifier replay`` use as the clock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from typing import IO, Any

from ..config import Config, duration_arg
from ..daemon import EXIT_AUTH, EXIT_OK, EXIT_USAGE, resolve_cookies
from ..exceptions import AuthenticationError, CredentialsError, RuleFileError
from ..logs import configure_logging
from ..rulefile import load_rules
from ..stream.client import StreamClient
from .run import add_logging_flags

__all__ = ["add_parser", "record", "record_line"]

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


def record_line(raw: str, ts: float) -> str | None:
    """The recorded form of one raw stream message: its JSON object with ``ts`` first."""
    try:
        message = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    message.pop("ts", None)
    return json.dumps({"ts": round(ts, 3), **message}, ensure_ascii=False, separators=(",", ":"))


def record(args: argparse.Namespace) -> int:
    """Entry point of ``notifier record``; returns the exit code."""
    configure_logging(log_format=args.log_format, verbose=args.verbose)
    config = Config.from_args(args)
    if args.output:
        with open(args.output, "a", encoding="utf-8") as out:
            return asyncio.run(_record(config, out))
    return asyncio.run(_record(config, sys.stdout))


def _config_message(config: Any) -> dict[str, Any]:
    return {
        "topic": "/system/config",
        "payload": {
            "config": {
                "session_id": config.session_id,
                "subscription_ttl_millis": config.subscription_ttl_millis,
                "heartbeat_millis": config.heartbeat_millis,
            }
        },
    }


async def _record(
    config: Config,
    out: IO[str],
    *,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.time,
) -> int:
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
        cookies = resolve_cookies(config, ruleset.account_cookies, env)
    except CredentialsError as exc:
        log.error("%s", exc)
        return EXIT_USAGE

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    count = 0

    async def pump(session: Any) -> None:
        nonlocal count
        async for raw, _topic, _payload in session.messages():
            line = record_line(raw, clock())
            if line is None:
                continue
            out.write(line + "\n")
            out.flush()
            count += 1

    try:
        async with StreamClient(cookies, api_base=config.api_base) as client:
            session = await client.get_streaming_session(topics, auto_reconnect=True)
            log.info("recording %d topics", len(topics), extra={"event": "recording"})
            # The first connection's config is handed to get_streaming_session, not to
            # the message iterator; write it as the server sent it, so the file starts
            # like every recording of a stream does.
            if session.config is not None:
                out.write(record_line(json.dumps(_config_message(session.config)), clock()) + "\n")
                count += 1
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
    log.info("recorded %d messages", count, extra={"event": "recorded", "count": count})
    return EXIT_OK
