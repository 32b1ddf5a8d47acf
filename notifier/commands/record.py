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

from ..run.config import Config, duration_arg
from ..exceptions import AuthenticationError, CredentialsError, RuleFileError
from ..exitcodes import EXIT_AUTH, EXIT_OK, EXIT_USAGE
from ..logs import configure_logging
from .run import add_logging_flags, settle_stdout

if TYPE_CHECKING:
    from ..stream.events import ConfigEvent

__all__ = ["add_parser", "record"]

log = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "record", help="write the live stream of RULES' topics as JSON lines",
        usage="%(prog)s RULES [options]",
        description="Record the live stream of every topic the rules watch, one JSON message\n"
        "per line with a 'ts' field, for `notifier run --replay` or `notifier replay`.",
        epilog="example:\n  notifier record rules.yaml --for 1h -o launch.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("rules", metavar="RULES", help="the rule file whose topics to record")
    parser.add_argument(
        "--for", dest="duration", type=duration_arg, metavar="DURATION",
        help="record this long (e.g. 10m), not until SIGINT",
    )
    parser.add_argument(
        "--cookies", metavar="PATH",
        help="X session cookies (default: RULES' account.cookies)",
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE",
        help="append to FILE, not to standard output",
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
    code = asyncio.run(_record(config, sys.stdout))
    settle_stdout()
    return code


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
        if line is not None:
            self.write_line(line)

    def write_line(self, line: str) -> None:
        self._out.write(line + "\n")
        self._out.flush()
        self.count += 1

    # The session's ConnectionListener: every connection's config, the first one
    # included, as the server sent it, so the file starts like every recording does.
    def connected(self, raw: str, config: ConfigEvent) -> None:
        self.write(raw)

    def disconnected(self) -> None:
        pass


class _Recorder:
    """One recording: the stream on the topics the rules watch, and what account watching finds.

    Posts that account watching finds are subscribed as they are found, and
    the finds themselves are written as lines of their own, so that a replay
    of the file watches what the live run would have.
    """

    def __init__(self, client: Any, ruleset: Any, writer: _Writer, clock: Callable[[], float]) -> None:
        import asyncio

        self._client = client
        self._ruleset = ruleset
        self._writer = writer
        self._clock = clock
        self._posts: dict[str, tuple] = {}
        self._wanted = {topic for topic in ruleset.topics}
        self._changed = asyncio.Event()
        self.session: Any = None

    def emit(self, topic: str, payload: Any) -> None:
        """An event account watching made: write it, and follow the posts it found."""
        from ..rules.discovery import with_discoveries
        from ..stream.recording import event_line

        self._writer.write_line(event_line(topic, payload, self._clock()))
        if payload.discovery is not None:
            self._posts[payload.discovery.account.lower()] = payload.discovery.posts
            ruleset = with_discoveries(self._ruleset, self._posts, (), self._clock())
            # Tweet topics can join a running session; new DMs are read from the inbox anyway.
            found = {t for t in ruleset.topics if t.startswith("/tweet_engagement/")}
            if not found <= self._wanted:
                self._wanted |= found
                self._changed.set()

    async def run(self) -> None:
        """Open the stream once there is something to watch, write what it says, subscribe new posts."""
        import asyncio

        while not self._wanted:
            await self._changed.wait()
            self._changed.clear()
        topics = sorted(self._wanted)
        self.session = await self._client.get_streaming_session(topics, auto_reconnect=True, listener=self._writer)
        log.info("recording %d topics", len(topics), extra={"event": "recording"})
        pump = asyncio.create_task(self._pump(self.session))
        try:
            while True:
                changed = asyncio.create_task(self._changed.wait())
                await asyncio.wait([pump, changed], return_when=asyncio.FIRST_COMPLETED)
                if pump.done():
                    changed.cancel()
                    return pump.result()
                self._changed.clear()
                new = sorted(self._wanted - self.session.topics)
                if new:
                    await self.session.update_subscriptions(subscribe=new)
        finally:
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)

    async def _pump(self, session: Any) -> None:
        async for raw, _topic, payload in session.messages():
            if payload.config is None:  # config events come through the listener
                self._writer.write(raw)


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
    from ..run.watching import watch_plan

    env = os.environ if env is None else env
    try:
        ruleset = load_rules(config.rules, env=env)
    except RuleFileError as exc:
        log.error("%s", exc)
        return EXIT_USAGE
    except OSError as exc:
        log.error("cannot read the rule file %s: %s", config.rules, exc.strerror or exc)
        return EXIT_USAGE
    plan = watch_plan(ruleset)
    if not ruleset.topics and not plan.active:
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
    web = None
    try:
        async with StreamClient(cookies, api_base=config.api_base) as client:
            recorder = _Recorder(client, ruleset, writer, clock)
            # The stream is opened in a task of its own: a stop (signal or --for) ends
            # the recording even while the first connection is still being retried.
            work = [asyncio.create_task(recorder.run())]
            if plan.active:
                from ..account.feed import FeedSink
                from ..account.watcher import AccountWatcher
                from ..account.web import XWebClient

                web = XWebClient(cookies, query_ids=ruleset.graphql or None)
                watcher = AccountWatcher(web, plan, FeedSink(recorder.emit), own_user_id=cookies.user_id)
                work.append(asyncio.create_task(watcher.run()))
            waiters = [asyncio.create_task(stop.wait())]
            if config.duration is not None:
                waiters.append(asyncio.create_task(asyncio.sleep(config.duration)))
            try:
                await asyncio.wait([*work, *waiters], return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (*work, *waiters):
                    task.cancel()
                await asyncio.gather(*work, *waiters, return_exceptions=True)
                if recorder.session is not None:
                    await recorder.session.aclose()
            for task in work:
                if task.done() and not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
    except AuthenticationError as exc:
        log.error("%s", exc, extra={"event": "auth_rejected"})
        return EXIT_AUTH
    except BrokenPipeError:
        # The reader went away (record | head): the recording is over, as it asked.
        log.info("standard output is closed: stopping", extra={"event": "output_closed"})
    finally:
        if web is not None:
            await web.aclose()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    log.info("recorded %d messages", writer.count, extra={"event": "recorded", "count": writer.count})
    return EXIT_OK
