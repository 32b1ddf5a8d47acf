"""The daemon: ``notifier run``'s life, from start to stop, for weeks.

Like an ASGI server's, it has three parts. :meth:`Daemon.startup` loads
everything that can be wrong before anything connects (rules, targets, cookies,
state) and builds the parts; :meth:`Daemon.main_loop` runs the source (the
live stream through a :class:`~notifier.stream.supervisor.StreamSupervisor`,
or a recording through a :class:`~notifier.run.replayer.Replayer`) until a stop is
asked for; :meth:`Daemon.shutdown` stops the source, drains deliveries and
saves state. What happens to each event is the
:class:`~notifier.run.pipeline.Pipeline`'s business; reloading is the
:class:`~notifier.run.reload.RuleReloader`'s.

The first SIGTERM or SIGINT stops it in order; a second one exits at once
(deliveries still pending stay in the outbox for the next start). Signals are
handled from the start of :meth:`Daemon.run`, so one that arrives while the
run is still starting is obeyed once it has started, never fatal. SIGPIPE
(standard output closed, as in ``run --dry-run | head``) stops it in order too.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from .config import Config
from ..durations import format_duration
from ..exceptions import AuthenticationError, NotifierError
from ..exitcodes import EXIT_AUTH, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, ExitCode
from .metrics import Health, Metrics, MetricsServer, StreamCounts
from .parts import Parts, assemble
from .signals import Signals
from .startup import StartupFailure
from ..state import StateError

if TYPE_CHECKING:
    from ..delivery import DeliveryResult
    from .replayer import Replayer

__all__ = ["EXIT_AUTH", "EXIT_FAILURE", "EXIT_OK", "EXIT_USAGE", "Daemon", "ExitCode"]

log = logging.getLogger(__name__)

# The longest the daemon waits for the "cookies rejected" alert to be delivered before it exits.
_FATAL_ALERT_WAIT = 5.0
# Stopping the run's tasks: cancel, wait this long, cancel again; at most this many rounds.
_CANCEL_WAIT = 2.0
_CANCEL_ROUNDS = 3


class Daemon:
    """One ``notifier run``: construct with a :class:`Config`, then ``await run()``.

    ``run`` returns the exit code (``EXIT_OK``, ``EXIT_FAILURE``, ``EXIT_USAGE``,
    ``EXIT_AUTH``); it never raises for anything the user can cause.
    """

    def __init__(
        self,
        config: Config,
        *,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        install_signals: bool = True,
    ) -> None:
        self.config = config
        self._env = os.environ if env is None else env
        self._clock = clock
        self._install_signals = install_signals
        self.metrics = Metrics(stream_counts=self._stream_counts, outbox_depth=self._outbox_depth, clock=clock)
        self.parts: Parts | None = None
        self.metrics_server: MetricsServer | None = None
        self._stop = asyncio.Event()
        self._stop_reason = ""
        self._exit_code: ExitCode = EXIT_OK
        self._signals = Signals(stop=self.stop, reload=self.reload, pending=self._outbox_depth)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._started = False
        self._auth_rejected = False

    async def run(self) -> ExitCode:
        """Start, serve until told to stop (or the recording ends), stop; the exit code."""
        if self._install_signals:
            # Before start-up, which takes a while (rules, Apprise, the state file): a
            # SIGHUP then must not kill the process, nor a SIGTERM skip the orderly stop.
            self._add_signal_handlers()
        try:
            code = await self.startup()
            if code != EXIT_OK:
                return code
            self._started = True
            await self.main_loop()
        finally:
            await self.shutdown()
        return self._exit_code

    def stop(self, reason: str, exit_code: ExitCode = EXIT_OK) -> None:
        """Ask for an orderly stop; the first reason (and a failure's exit code) wins."""
        if exit_code != EXIT_OK and self._exit_code == EXIT_OK:
            self._exit_code = exit_code
        if not self._stop.is_set():
            self._stop_reason = reason
            self._stop.set()

    def reload(self) -> None:
        """Ask for the rule file to be read again (what SIGHUP does)."""
        if self.parts is not None:
            self.parts.reloader.request()

    # ---------------------------------------------------------------- startup

    async def startup(self) -> ExitCode:
        """Check and build everything, then start delivery; non-zero when the run cannot start.

        Rules, targets and cookies are checked before any connection is made.
        """
        config = self.config
        try:
            parts = assemble(
                config, self._env, metrics=self.metrics, stopping=self._stop.is_set,
                clock=self._clock, on_delivery=self._on_delivery,
            )
        except StartupFailure as exc:
            log.error("%s", exc, extra={"event": exc.event})
            return exc.code
        self.parts = parts
        await parts.deliverer.start()
        if config.metrics_port is not None:
            self.metrics_server = MetricsServer(
                self.metrics, self.health, host=config.metrics_host, port=config.metrics_port
            )
            try:
                await self.metrics_server.start()
            except OSError as exc:
                log.error("%s", exc, extra={"event": "usage"})
                return EXIT_USAGE
        ruleset = parts.pipeline.ruleset
        log.info(
            "starting: %d rules on %d topics from %s; %s", len(ruleset.rules), len(ruleset.topics), config.rules,
            "dry run, nothing saved" if config.dry_run else f"state in {parts.state_path}",
            extra={"event": "starting", "rules": len(ruleset.rules), "topics": len(ruleset.topics)},
        )
        return EXIT_OK

    def _add_signal_handlers(self) -> None:
        self._signals.install(asyncio.get_running_loop())

    def _remove_signal_handlers(self) -> None:
        self._signals.remove(asyncio.get_running_loop())

    # -------------------------------------------------------------- main loop

    async def main_loop(self) -> ExitCode:
        """Run the source until a stop is asked for; the exit code so far."""
        parts = self.parts
        assert parts is not None
        if self.config.duration is not None:
            self._spawn(self._stop_after(self.config.duration), "duration")
        self._spawn(parts.reloader.run(), "reloader")
        if parts.replayer is not None:
            self._spawn(self._replay(parts.replayer), "replay")
        elif parts.supervisor is not None:
            wanted = parts.topics.wanted()
            if wanted or parts.watcher is None or not parts.watcher.active:
                self._spawn(parts.supervisor.apply(wanted), "stream-start")
            self._spawn(parts.supervisor.failed(), "stream")
            self._spawn(parts.health_watch.run(), "health")
        if parts.watcher is not None:
            self._spawn(parts.watcher.run(), "account")
        if parts.bridge is not None:
            self._spawn(parts.bridge.run(), "home-assistant")
        if parts.lookup is not None:
            self._spawn(parts.lookup.run(), "lookup")
        if parts.keeper is not None:
            self._spawn(parts.keeper.run(), "mute")
        if parts.control is not None:
            self._spawn(parts.control.run(), "control")
        await self._stop.wait()
        log.info("stopping: %s", self._stop_reason, extra={"event": "stopping"})
        return self._exit_code

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=f"notifier-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        if isinstance(exc, AuthenticationError):
            log.error("%s", exc, extra={"event": "auth_rejected"})
            if not self._auth_rejected:
                # The stream and account watching may both be refused: one alert, one stop.
                self._auth_rejected = True
                self._spawn(self._stop_rejected(str(exc)), "auth-rejected")
        elif isinstance(exc, NotifierError):
            log.error("%s", exc, extra={"event": "failure"})
            self.stop("runtime failure", EXIT_FAILURE)
        else:
            log.error("internal error in %s; stopping", task.get_name(), exc_info=exc, extra={"event": "failure"})
            self.stop("runtime failure", EXIT_FAILURE)

    async def _stop_rejected(self, detail: str) -> None:
        """Tell the health targets, a few seconds at most, then exit 3: silence would read as "no news"."""
        try:
            if self.parts is not None:
                await self.parts.health_watch.cookies_rejected(detail, timeout=_FATAL_ALERT_WAIT)
        finally:
            self.stop("authentication rejected", EXIT_AUTH)

    async def _stop_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self.stop(f"--for {format_duration(seconds)} elapsed")

    async def _replay(self, replayer: Replayer) -> None:
        if await replayer.run():
            empty = replayer.nothing_replayed()
            if empty is not None:
                # As `notifier replay` does: a recording with nothing in it is a mistake, not a quiet day.
                log.error("%s", empty, extra={"event": "replay_empty"})
                self.stop("nothing to replay", EXIT_USAGE)
            else:
                self.stop("end of the recording")

    # ------------------------------------------------------- health & metrics

    def _on_delivery(self, result: DeliveryResult) -> None:
        # The deliverer logs each outcome itself (masked URL, retry time); count it here.
        self.metrics.delivery(result.target, result.outcome)
        if self.parts is not None:
            self.parts.health_watch.on_delivery(result)

    def _stream_counts(self) -> StreamCounts:
        return self.parts.stream_counts() if self.parts is not None else StreamCounts()

    def _outbox_depth(self) -> int:
        return self.parts.outbox_depth() if self.parts is not None else 0

    def health(self) -> Health:
        """200 while connected or retrying within the backoff; 503 otherwise. Active health conditions follow."""
        if self._stop.is_set():
            return Health(False, f"stopping: {self._stop_reason}")
        parts = self.parts
        if parts is None:
            return Health(False, "the stream is not open")
        health = parts.health()
        active = parts.health_watch.active()
        if not active:
            return health
        return Health(health.ok, "\n".join([health.reason, *(f"{name}: {detail}" for name, detail in active.items())]))

    # --------------------------------------------------------------- shutdown

    async def shutdown(self) -> None:
        """Stop the stream, drain deliveries (bounded), save state, close everything."""
        parts = self.parts
        await self._cancel_tasks()
        if parts is not None and parts.supervisor is not None:
            log.debug("shutdown: closing the stream")
            await parts.supervisor.aclose()
        if parts is not None:
            await self._drain(parts)
            try:
                parts.pipeline.flush()
            except StateError as exc:
                log.error("%s", exc, extra={"event": "state_error"})
                self._exit_code = self._exit_code or EXIT_FAILURE
            if self.config.dry_run:
                _print_summary(parts)
            await parts.aclose()
            self.parts = None  # shutdown() runs once; later calls find nothing to close
        if self.metrics_server is not None:
            await self.metrics_server.aclose()
            self.metrics_server = None
        if self._install_signals:
            self._remove_signal_handlers()
        if self._started:
            self._started = False
            events, alerts = (parts.pipeline.events, parts.pipeline.alerts) if parts is not None else (0, 0)
            log.info(
                "stopped (exit code %d): %d events, %d alerts", self._exit_code, events, alerts,
                extra={"event": "stopped", "exit_code": self._exit_code},
            )

    async def _cancel_tasks(self) -> None:
        """Cancel the run's tasks and wait until they end.

        A task may swallow its cancel: in Python 3.11 ``asyncio.wait_for`` (under
        the MQTT client and others) drops a cancel that arrives as its inner
        future completes. Such a task is cancelled again rather than waited on
        for ever; one that still runs after that is left behind, said in the log.
        """
        pending = set(self._tasks)
        for _ in range(_CANCEL_ROUNDS):
            if not pending:
                return
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=_CANCEL_WAIT)
        for task in pending:
            log.warning("shutdown: %s did not stop when cancelled; exiting without it", task.get_name(),
                        extra={"event": "task_stuck"})

    async def _drain(self, parts: Parts) -> None:
        log.debug("shutdown: draining deliveries")
        timeout = self.config.drain_timeout
        try:
            drained = await parts.deliverer.drain(timeout)
        except Exception:  # noqa: BLE001 - shutdown goes on; rows stay in the outbox
            log.exception("draining deliveries failed")
            drained = False
        if not drained:
            log.warning(
                "deliveries still pending after %s; they stay in the outbox and are sent at the next start",
                format_duration(timeout), extra={"event": "undrained"},
            )


def _print_summary(parts: Parts) -> None:
    """After a dry run's alerts, on standard output too: how many, from which rules, what waited."""
    import sys

    from .summary import Summary, held_back

    targets = parts.deliverer.targets

    def name_of(key: str) -> str:
        target = targets.get(key)
        return target.name if target is not None else key

    pipeline = parts.pipeline
    summary = Summary.of(pipeline.events, pipeline.alerts, pipeline.by_rule, held_back(parts.outbox.rows(), name_of))
    text = "".join(f"{line}\n" for line in [f"\ndry run done, nothing sent: {summary.headline()}", *summary.details()])
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        pass  # nothing reads the alerts any more (| head): the summary goes nowhere either
