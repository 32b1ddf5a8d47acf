"""The daemon: the stream (or a recording) → the rule engine → the outbox, for weeks.

Its life has three parts, like an ASGI server's: :meth:`Daemon.startup` loads
everything that can be wrong before anything connects (rules, targets, state,
cookies), the main loop feeds every event through the engine, and
:meth:`Daemon.shutdown` stops the stream, drains deliveries and saves state.

For each event the order is fixed: alerts are enqueued in the outbox (durable
before ``enqueue`` returns), *then* the engine's changed state is saved. A crash
between the two repeats an alert after restart rather than losing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

from .alert import Alert
from .config import Config
from .delivery import Deliverer, DeliveryResult, Outbox, Target, TargetSet, build_targets, console
from .delivery.policy import RulePolicy
from .exceptions import (
    AuthenticationError,
    CredentialsError,
    DeliveryError,
    NotifierError,
    RuleFileError,
    StreamError,
)
from .logs import add_secrets
from .metrics import Health, Metrics, MetricsServer, StreamCounts
from .rulefile import RuleFile, load_rules
from .rules import Engine, EngineState, read_recorded
from .rules.catchup import CatchUp, outage_text
from .state import StateError, StateStore
from .stream.auth import Cookies, load_cookies
from .stream.client import StreamClient
from .stream.events import Payload
from .stream.session import StreamingSession
from .stream.topics import Topic

__all__ = [
    "EXIT_AUTH",
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "Daemon",
    "ExitCode",
    "payload_kind",
    "resolve_cookies",
]

log = logging.getLogger(__name__)

ExitCode = int
EXIT_OK: ExitCode = 0
EXIT_FAILURE: ExitCode = 1
EXIT_USAGE: ExitCode = 2
EXIT_AUTH: ExitCode = 3

# A backoff that is this late is not "retrying within its backoff" any more.
_RETRY_GRACE = 5.0
# The first connection may take the longest backoff (60 s × 1.5) plus a timeout.
_FIRST_CONNECT_GRACE = 120.0
# Replay yields to the event loop this often, so signals and /healthz are served.
_REPLAY_YIELD_EVERY = 200
# A dry run of a recording sends what its policies held back at most this many times at the end.
_REPLAY_RELEASES = 10_000
# How often a live connection that is up counts as a sign of life for catch-up.
_LIVENESS_EVERY = 1.0


def payload_kind(payload: Payload) -> str:
    """The name of the one event a payload carries (``tweet_engagement``, ``dm_update``…)."""
    for name, value in zip(payload._fields, payload):
        if value is not None:
            return name
    return "empty"


def resolve_cookies(config: Config, account_cookies: str | None, env: Mapping[str, str]) -> Cookies:
    """The X session cookies for a live run.

    ``--cookies`` wins; then the rule file's ``account.cookies``; then
    ``NOTIFIER_AUTH_TOKEN``/``NOTIFIER_CT0``. A rule-file path that does not
    exist gives way to the environment when that is set, so one rule file works
    on a laptop (cookies.json) and in a container (env).
    """
    if config.cookies is not None:
        cookies = load_cookies(config.cookies)
    else:
        env_set = bool(env.get("NOTIFIER_AUTH_TOKEN") and env.get("NOTIFIER_CT0"))
        if account_cookies and (Path(account_cookies).exists() or not env_set):
            cookies = load_cookies(account_cookies)
        else:
            cookies = load_cookies(None, env=env)
    # From here on no log line, from any library, can print them. (Short values such
    # as lang=en are not secrets, and masking them would garble ordinary words.)
    add_secrets(*(value for _, value in cookies.items if len(value) >= 8))
    return cookies


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

        self.ruleset: RuleFile | None = None
        self.engine: Engine | None = None
        self.store: StateStore | None = None
        self.outbox: Outbox | None = None
        self.deliverer: Deliverer | None = None
        self.client: StreamClient | None = None
        self.session: StreamingSession | None = None
        self.metrics = Metrics(
            stream_counts=self._stream_counts, outbox_depth=self._outbox_depth, clock=clock
        )
        self.metrics_server: MetricsServer | None = None

        self._stop = asyncio.Event()
        self._stop_reason = ""
        self._exit_code: ExitCode = EXIT_OK
        self._signals_seen = 0
        self._reload_wanted = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._consumer: asyncio.Task[Any] | None = None
        self._opening_since: float | None = None
        self._state_unsafe = False
        self._rules_stamp: int | None = None
        self._own_user_id: str | None = None
        self._scratch: Path | None = None
        # Counters of sessions already closed (a DM topic change replaces the session).
        self._closed_counts = StreamCounts()
        self._replaying = False
        # A dry run of a recording delivers on the recording's clock (see _delivery_clock).
        self._replay_now: float | None = None
        self._replay_held: float | None = None
        self._started = False
        self._replay_malformed = 0
        # Topics whose rules all hold state: their events need no explanation.
        self._settled: set[str] = set()
        # Outages longer than the rules' max_gap make the next alerts a catch-up.
        self.catchup = CatchUp()
        # Connections of the current session whose config event the daemon has seen.
        self._connects_seen = 0
        self.alerts_fired = 0
        self.events_seen = 0

    # ----------------------------------------------------------------- public

    async def run(self) -> ExitCode:
        """Start, serve until told to stop (or the recording ends), stop; the exit code."""
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
        self._reload_wanted.set()

    # ---------------------------------------------------------------- startup

    async def startup(self) -> ExitCode:
        """Load and open everything; a non-zero exit code when the run cannot start.

        Rules, targets and cookies are checked before any connection is made.
        """
        config = self.config
        try:
            self.ruleset = load_rules(config.rules, env=self._env)
        except RuleFileError as exc:
            log.error("%s", exc, extra={"event": "rules_invalid"})
            return EXIT_USAGE
        except OSError as exc:
            log.error(
                "cannot read the rule file %s: %s", config.rules, exc.strerror or exc,
                extra={"event": "rules_invalid"},
            )
            return EXIT_USAGE
        self._rules_stamp = _stamp(config.rules)
        self.metrics.rules.set(len(self.ruleset.rules))
        self.catchup.max_gap = self.ruleset.max_gap

        try:
            targets = self._build_targets(self.ruleset)
        except DeliveryError as exc:
            log.error("%s", exc, extra={"event": "targets_invalid"})
            return EXIT_USAGE

        cookies = None
        if config.replay is None:
            try:
                cookies = resolve_cookies(config, self.ruleset.account_cookies, self._env)
            except CredentialsError as exc:
                log.error("%s", exc, extra={"event": "credentials_missing"})
                return EXIT_USAGE
            self._own_user_id = cookies.user_id
        else:
            if not config.replay.is_file():
                log.error(
                    "cannot replay %s: no such file; give the path of a JSONL file written by "
                    "`notifier record`", config.replay, extra={"event": "usage"},
                )
                return EXIT_USAGE
            self._own_user_id = self._quiet_own_user_id()

        state_path = config.state
        if config.dry_run:
            # A dry run must not mark milestones as announced for the real run.
            self._scratch = Path(tempfile.mkdtemp(prefix="notifier-dry-run-"))
            state_path = self._scratch / "state.db"
        try:
            self.store = StateStore(state_path)
            entries = self.store.load()
        except StateError as exc:
            log.error("%s", exc, extra={"event": "state_error"})
            return EXIT_FAILURE
        self.engine = Engine(
            self.ruleset, EngineState.from_entries(entries), own_user_id=self._own_user_id
        )
        log.debug("state: %d entries from %s", len(entries), state_path)

        try:
            self.outbox = Outbox(state_path)
        except NotifierError as exc:
            log.error("%s", exc, extra={"event": "state_error"})
            return EXIT_FAILURE
        self.deliverer = Deliverer(
            self.outbox, targets, on_result=self._on_delivery, clock=self._delivery_clock,
            rule_policies=_rule_policies(self.ruleset),
        )
        await self.deliverer.start()

        if config.dry_run and config.verbose == 0:
            # "delivered to console://" after each printed alert says nothing new; what
            # quiet hours, budgets and group_wait do with alerts does.
            logging.getLogger("notifier.delivery").setLevel(logging.WARNING)
            logging.getLogger("notifier.delivery.policy").setLevel(logging.INFO)
        if config.dry_run and config.replay is not None:
            console.use_clock(self._delivery_clock)
        if self._install_signals:
            self._add_signal_handlers()

        if config.metrics_port is not None:
            self.metrics_server = MetricsServer(
                self.metrics, self.health, host=config.metrics_host, port=config.metrics_port
            )
            try:
                await self.metrics_server.start()
            except OSError as exc:
                log.error("%s", exc, extra={"event": "usage"})
                return EXIT_USAGE
            log.info(
                "metrics on %s/metrics, health on %s/healthz",
                self.metrics_server.url, self.metrics_server.url,
                extra={"event": "metrics", "port": self.metrics_server.port},
            )

        if config.replay is None:
            self.client = StreamClient(cookies, api_base=config.api_base)
        log.info(
            "starting: %d rules on %d topics from %s; %s", len(self.ruleset.rules),
            len(self.ruleset.topics), config.rules,
            "dry run, nothing saved" if config.dry_run else f"state in {state_path}",
            extra={"event": "starting", "rules": len(self.ruleset.rules), "topics": len(self.ruleset.topics)},
        )
        return EXIT_OK

    def _delivery_clock(self) -> float:
        # A dry run of a recording delivers on the recording's clock, so quiet hours,
        # budgets and group_wait act as they would have on that day.
        return self._replay_now if self._replay_now is not None else time.time()

    def _build_targets(self, ruleset: RuleFile) -> TargetSet:
        if self.config.dry_run:
            return _dry_run_targets(ruleset)
        # build_targets registers every URL with the log filter before anything can print it.
        return build_targets(ruleset.targets, ruleset.targets_from)

    def _quiet_own_user_id(self) -> str | None:
        """In a replay the cookies are optional; use them only to know our own DMs."""
        try:
            return resolve_cookies(self.config, self.ruleset.account_cookies, self._env).user_id
        except (NotifierError, OSError):
            return None

    def _add_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_stop_signal, sig)
        loop.add_signal_handler(signal.SIGHUP, self._on_hup)

    def _remove_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)

    def _on_stop_signal(self, sig: signal.Signals) -> None:
        self._signals_seen += 1
        name = signal.Signals(sig).name
        if self._signals_seen > 1:
            depth = self._outbox_depth()
            log.warning(
                "%s again: exiting now; %d deliveries stay in the outbox for the next start",
                name, depth, extra={"event": "exit_now"},
            )
            logging.shutdown()
            os._exit(EXIT_FAILURE)
        self.stop(f"{name} received (send it again to exit at once)")

    def _on_hup(self) -> None:
        log.info("SIGHUP: reloading the rules", extra={"event": "reload_requested"})
        self.reload()

    # -------------------------------------------------------------- main loop

    async def main_loop(self) -> ExitCode:
        """Run the source until a stop is asked for; the exit code so far."""
        config = self.config
        if config.duration is not None:
            self._spawn(self._stop_after(config.duration), "duration")
        self._spawn(self._reloader(), "reloader")
        if config.watch_interval > 0:
            self._spawn(self._watch_rules(config.watch_interval), "rule-watch")
        if config.replay is not None:
            self._replaying = True
            self._spawn(self._replay(config.replay), "replay")
        else:
            self._spawn(self._start_stream(), "stream-start")
            self._spawn(self._watch_liveness(_LIVENESS_EVERY), "liveness")
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
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            return
        if isinstance(exc, AuthenticationError):
            log.error("%s", exc, extra={"event": "auth_rejected"})
            self.stop("authentication rejected", EXIT_AUTH)
        elif isinstance(exc, NotifierError):
            log.error("%s", exc, extra={"event": "failure"})
            self.stop("runtime failure", EXIT_FAILURE)
        else:
            log.error(
                "internal error in %s; stopping", task.get_name(),
                exc_info=exc, extra={"event": "failure"},
            )
            self.stop("runtime failure", EXIT_FAILURE)

    async def _stop_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self.stop(f"--for {_human_seconds(seconds)} elapsed")

    # ----------------------------------------------------------- the pipeline

    def handle(self, topic: str, payload: Payload, now: float) -> list[Alert]:
        """One event through the engine into the outbox; state saved after the alerts."""
        self.events_seen += 1
        kind = payload_kind(payload)
        self.metrics.event(kind)
        if kind == "config":
            outage = self.catchup.connected(now)
            if outage is not None:
                log.info(
                    "the stream was down for %s: the first alerts of each tweet are a catch-up",
                    outage_text(outage.seconds),
                    extra={"event": "catch_up", "outage_seconds": round(outage.seconds, 1)},
                )
            return []
        # Until every rule on a topic has seen its first value, ask the engine why it
        # decided what it did: that is where "already met at start" shows. Afterwards
        # explaining would cost for nothing.
        explain: list[Any] | None = None if topic in self._settled else []
        alerts = self.engine.process(topic, payload, now, explain)
        if explain is not None:
            self._log_initial(topic, explain)
        alerts = self.catchup.event(topic, alerts, now)
        if alerts:
            try:
                self.deliverer.enqueue(alerts)
            except BaseException:
                # The engine already counts these alerts as sent; saving its state now
                # would lose them. Unsaved, a restart decides them again.
                self._state_unsafe = True
                raise
            for alert in alerts:
                self.alerts_fired += 1
                # A catch-up folds several rules' milestones into one alert; each rule counts.
                for rule in alert.fields.get("rules") or (alert.rule,):  # type: ignore[union-attr]
                    self.metrics.alert(rule)
                # In a replay the recording's clock is what a reader wants to see.
                when = f" (recorded {_local_time(alert.ts)})" if self._replaying else ""
                log.info(
                    "alert fired: %s — %s → %s%s", alert.rule, alert.title, ", ".join(alert.targets), when,
                    extra={"event": "alert", "rule": alert.rule, "key": alert.key, "title": alert.title},
                )
        dirty = self.engine.state.take_dirty()
        if dirty:
            self.store.save(dirty)  # type: ignore[union-attr]
        return alerts

    def _log_initial(self, topic: str, decisions: list[Any]) -> None:
        unknown = False
        for decision in decisions:
            if decision.outcome == "unknown":
                unknown = True
            elif decision.outcome == "initial" and decision.matched:
                log.info(
                    "rule already met at start: %s (%s): %s",
                    decision.rule, decision.key, decision.detail,
                    extra={"event": "initial_met", "rule": decision.rule, "key": decision.key},
                )
        # No decision at all (a payload the topic's rules do not read) settles nothing.
        if decisions and not unknown:
            self._settled.add(topic)

    async def _replay(self, path: Path) -> None:
        """Feed a recorded JSONL file through :meth:`handle`.

        Lines are read as ``notifier replay`` reads them (``read_recorded``): a
        line's ``ts`` is the clock, a line without one keeps the previous time
        (0 before the first), so both commands fire the same alerts.
        """
        count = 0
        try:
            lines = path.open("r", encoding="utf-8", errors="replace")
        except OSError as exc:
            raise NotifierError(f"cannot read the recording {path}: {exc.strerror or exc}") from exc

        def skipped(number: int) -> None:
            self._replay_malformed += 1
            log.debug("%s:%d: not a stream message, skipped", path, number)

        with lines:
            log.info("replaying %s", path, extra={"event": "replay"})
            for event in read_recorded(lines, on_skip=skipped):
                if self._stop.is_set():
                    return
                count += 1
                if count % _REPLAY_YIELD_EVERY == 0:
                    await asyncio.sleep(0)
                if self.config.dry_run:
                    await self._replay_deliveries(event.ts)
                alerts = self.handle(event.topic, event.payload, event.ts)
                if alerts and self.config.dry_run:
                    # Printed in the order they fired, each under its log line.
                    await self._replay_deliveries(event.ts, enqueued=True)
            if self.config.dry_run:
                # What quiet hours, budgets and group_wait still hold goes out as it would have.
                await self._replay_deliveries(None)
        log.info(
            "replay finished: %d events, %d alerts, %d malformed lines",
            count, self.alerts_fired, self._replay_malformed, extra={"event": "replay_done"},
        )
        self.stop("end of the recording")

    async def _replay_deliveries(self, until: float | None, *, enqueued: bool = False) -> None:
        """Dry run of a recording: move the delivery clock to ``until`` (None: past everything
        held back), sending what comes due on the way in time order."""
        deliverer, outbox = self.deliverer, self.outbox
        if enqueued:
            self._replay_now = until
            deliverer.wake()
            await deliverer.drain(self.config.drain_timeout)
            self._replay_held = outbox.next_due()
            return
        for _ in range(_REPLAY_RELEASES):
            due = self._replay_held
            if due is None or (until is not None and due > until):
                break
            self._replay_now = max(due, self._replay_now or due)
            deliverer.wake()
            await deliverer.drain(self.config.drain_timeout)
            self._replay_held = outbox.next_due()
        if until is not None:
            self._replay_now = until

    # ----------------------------------------------------------------- stream

    async def _start_stream(self) -> None:
        topics = set(self.ruleset.topics)
        if not topics:
            log.warning(
                "no enabled rule watches a tweet or a conversation; waiting for a rule change",
                extra={"event": "idle"},
            )
            return
        await self._open_session(topics)

    async def _open_session(self, topics: set[str]) -> None:
        """Open a session on ``topics`` and consume it; replaces any current session."""
        log.info("connecting: %d topics", len(topics), extra={"event": "connecting", "topics": len(topics)})
        self._opening_since = self._clock()
        try:
            session = await self.client.get_streaming_session(sorted(topics), auto_reconnect=True)
        finally:
            self._opening_since = None
        old_session, old_consumer = self.session, self._consumer
        # get_streaming_session returns once the first connection's config event
        # came (it is not yielded again); later connections' come through _consume.
        self._connects_seen = 1
        self.session = session
        self._consumer = self._spawn(self._consume(session), "stream")
        if old_session is not None:
            await self._close_session(old_session, old_consumer)

    async def _close_session(self, session: Any, consumer: asyncio.Task[Any] | None) -> None:
        if consumer is not None and not consumer.done():
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await consumer
        stats = getattr(session, "stats", None)
        if stats is not None:
            self._closed_counts = StreamCounts(
                connected=False,
                reconnects=self._closed_counts.reconnects + stats.reconnects,
                malformed=self._closed_counts.malformed + stats.malformed,
            )
        with contextlib.suppress(Exception):
            await session.aclose()

    async def _consume(self, session: Any) -> None:
        async for topic, payload in session:
            # The session logs each connect and reconnect itself.
            if payload.subscriptions is not None:
                self._log_refused(payload)
            if payload.config is not None and session is self.session:
                self._connects_seen += 1
            self.handle(topic, payload, self._clock())
        # auto_reconnect sessions end only when closed; anything else is a failure.
        if not self._stop.is_set() and session is self.session:
            raise StreamError("the stream ended and did not reconnect")

    async def _watch_liveness(self, interval: float) -> None:
        """While the live connection is up, report it to catch-up as a sign of life.

        A quiet stream (no message for an hour) that reconnects after two
        seconds was not down for an hour. Only a connection whose config event
        was already handled counts: a new one must not hide the outage before it.
        """
        while True:
            await asyncio.sleep(interval)
            stats = getattr(self.session, "stats", None)
            if (
                stats is not None
                and stats.connected
                and getattr(stats, "reconnects", 0) + 1 == self._connects_seen
            ):
                self.catchup.alive(self._clock())

    @staticmethod
    def _log_refused(payload: Payload) -> None:
        subscriptions = payload.subscriptions
        for error in subscriptions.errors if subscriptions is not None else ():
            log.warning(
                "X refused the subscription to %s: %s", error.topic or "?",
                error.message or f"code {error.code}",
                extra={"event": "subscription_error", "topic": error.topic},
            )

    # ----------------------------------------------------------------- reload

    async def _watch_rules(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            stamp = _stamp(self.config.rules)
            if stamp is not None and stamp != self._rules_stamp:
                log.info("the rule file changed: reloading", extra={"event": "reload_requested"})
                self.reload()

    async def _reloader(self) -> None:
        while True:
            await self._reload_wanted.wait()
            self._reload_wanted.clear()
            await self._apply_reload()

    async def _apply_reload(self) -> None:
        # Taken before reading, so an edit during the read triggers another reload.
        self._rules_stamp = _stamp(self.config.rules)
        try:
            ruleset = load_rules(self.config.rules, env=self._env)
            targets = self._build_targets(ruleset)
        except (RuleFileError, DeliveryError, OSError) as exc:
            self.metrics.reloads.labels("failed").inc()
            log.error(
                "the rule file does not load; the previous rules stay in force:\n%s", exc,
                extra={"event": "reload_failed"},
            )
            return
        replace_targets = getattr(self.deliverer, "replace_targets", None)
        if replace_targets is not None:
            replace_targets(targets)
        replace_rules = getattr(self.deliverer, "replace_rules", None)
        if replace_rules is not None:
            replace_rules(_rule_policies(ruleset))
        self.engine.replace_rules(ruleset)
        old_topics = set(self.ruleset.topics)
        self.ruleset = ruleset
        self._settled.clear()
        self.catchup.max_gap = ruleset.max_gap
        self.metrics.rules.set(len(ruleset.rules))
        self.metrics.reloads.labels("ok").inc()
        new_topics = set(ruleset.topics)
        log.info(
            "rules reloaded: %d rules, %d topics (+%d −%d)",
            len(ruleset.rules), len(new_topics), len(new_topics - old_topics), len(old_topics - new_topics),
            extra={"event": "reloaded"},
        )
        if not self._replaying:
            await self._apply_topics(new_topics)

    async def _apply_topics(self, wanted: set[str]) -> None:
        session = self.session
        if not wanted:
            if session is not None:
                log.warning("no topics left to watch: closing the stream", extra={"event": "idle"})
                self.session, consumer, self._consumer = None, self._consumer, None
                await self._close_session(session, consumer)
            return
        if session is None:
            await self._open_session(wanted)
            return
        current = set(session.topics)
        if {t for t in current if Topic.is_dm(t)} != {t for t in wanted if Topic.is_dm(t)}:
            # The API cannot add DM topics to a running session: open a new one.
            log.info("the DM topics changed: opening a new session", extra={"event": "resubscribe"})
            await self._open_session(wanted)
            return
        subscribe = sorted(wanted - current)
        unsubscribe = sorted(current - wanted)
        if not subscribe and not unsubscribe:
            return
        try:
            answer = await session.update_subscriptions(
                subscribe=subscribe or None, unsubscribe=unsubscribe or None
            )
        except AuthenticationError:
            raise
        except (StreamError, ValueError) as exc:
            log.warning(
                "updating subscriptions failed (%s): opening a new session", exc,
                extra={"event": "resubscribe"},
            )
            await self._open_session(wanted)
            return
        self._log_refused(answer)
        log.info(
            "subscriptions updated: +%d −%d", len(subscribe), len(unsubscribe),
            extra={"event": "subscriptions_updated", "added": len(subscribe), "removed": len(unsubscribe)},
        )

    # --------------------------------------------------------------- delivery

    def _on_delivery(self, result: DeliveryResult) -> None:
        # The deliverer logs each outcome itself (masked URL, retry time); count it here.
        self.metrics.delivery(result.target, result.outcome)

    # ------------------------------------------------------- health & metrics

    def _stream_counts(self) -> StreamCounts:
        closed = self._closed_counts
        stats = getattr(self.session, "stats", None)
        if stats is None:
            return StreamCounts(False, closed.reconnects, closed.malformed + self._replay_malformed)
        return StreamCounts(
            connected=bool(stats.connected),
            reconnects=closed.reconnects + stats.reconnects,
            malformed=closed.malformed + stats.malformed,
        )

    def _outbox_depth(self) -> int:
        if self.outbox is None:
            return 0
        try:
            return int(self.outbox.depth())
        except Exception:  # noqa: BLE001 - a scrape must not fail on a busy database
            return 0

    def health(self) -> Health:
        """200 while connected or retrying within the backoff; 503 otherwise."""
        if self._stop.is_set():
            return Health(False, f"stopping: {self._stop_reason}")
        if self._replaying:
            return Health(True, "replaying a recording")
        stats = getattr(self.session, "stats", None)
        if stats is None:
            opening = self._opening_since
            if opening is None:
                return Health(False, "the stream is not open")
            # The session is not ours until its first connection succeeds; until then
            # the client is retrying with backoff, which is healthy for a while.
            waited = self._clock() - opening
            if waited <= _FIRST_CONNECT_GRACE:
                return Health(True, f"connecting for {waited:.0f} s")
            return Health(False, f"could not connect for {waited:.0f} s")
        if stats.connected:
            return Health(True, "connected")
        retry_at = stats.retry_at
        if retry_at is not None:
            wait = retry_at - self._clock()
            if wait >= -_RETRY_GRACE:
                return Health(True, f"reconnecting in {max(wait, 0):.0f} s")
            return Health(False, f"reconnect overdue by {-wait:.0f} s")
        return Health(False, "the stream is not connected")

    # --------------------------------------------------------------- shutdown

    async def shutdown(self) -> None:
        """Stop the stream, drain deliveries (bounded), save state, close everything."""
        consumer, session = self._consumer, self.session
        self._consumer = None
        if session is not None:
            log.debug("shutdown: closing the stream")
            await self._close_session(session, consumer)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            log.debug("shutdown: stopping %d tasks", len(self._tasks))
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.client is not None:
            log.debug("shutdown: closing the client")
            with contextlib.suppress(Exception):
                await self.client.aclose()
        if self.deliverer is not None:
            log.debug("shutdown: draining deliveries")
            timeout = self.config.drain_timeout
            try:
                drained = await self.deliverer.drain(timeout)
            except Exception:  # noqa: BLE001 - shutdown goes on; rows stay in the outbox
                log.exception("draining deliveries failed")
                drained = False
            if not drained:
                log.warning(
                    "deliveries still pending after %s; they stay in the outbox and are "
                    "sent at the next start", _human_seconds(timeout), extra={"event": "undrained"},
                )
        if self.engine is not None and self.store is not None and not self._state_unsafe:
            try:
                self.store.save(self.engine.state.take_dirty())
            except StateError as exc:
                log.error("%s", exc, extra={"event": "state_error"})
                self._exit_code = self._exit_code or EXIT_FAILURE
        if self.deliverer is not None:
            with contextlib.suppress(Exception):
                await self.deliverer.aclose()
        if self.outbox is not None:
            close = getattr(self.outbox, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()
        if self.store is not None:
            self.store.close()
        if self.metrics_server is not None:
            await self.metrics_server.aclose()
        if self._install_signals:
            self._remove_signal_handlers()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
        if self.config.dry_run and self.config.replay is not None:
            console.use_clock(None)
        if self._started:
            self._started = False
            log.info(
                "stopped (exit code %d): %d events, %d alerts", self._exit_code, self.events_seen,
                self.alerts_fired, extra={"event": "stopped", "exit_code": self._exit_code},
            )
        self._forget()

    def _forget(self) -> None:
        # shutdown() runs once; later calls find nothing to close.
        self.client = self.session = self.deliverer = self.outbox = self.store = None
        self.metrics_server = None
        self._scratch = None


def _dry_run_targets(ruleset: RuleFile) -> TargetSet:
    """Every name a rule can notify, resolving to console:// targets.

    One shared target for every name without a policy: an alert for [team,
    inbox] prints once, and the "alert fired" log line says where it would have
    gone. A target with quiet hours or a budget gets its own, printing as
    ``[phone] title``, so what its policy defers or folds shows where it happens.
    """
    shared = Target(key="dry-run", name="console", url="console://", masked="console://")
    names = set(ruleset.targets) | set(ruleset.tags)
    for rule in ruleset.rules:
        names.update(rule.notify)
    named: dict[str, Target] = {}
    for name in sorted(names):
        spec = ruleset.targets.get(name)
        if spec is not None and spec.policy.active:
            named[name] = Target(
                key=f"dry-run:{name}", name=name, url=f"console://{name}", masked="console://",
                policy=spec.policy,
            )
        else:
            named[name] = shared
    return TargetSet(named)


def _rule_policies(ruleset: RuleFile) -> dict[str, RulePolicy]:
    """What each rule asks of delivery beyond its alerts: group_wait collects DMs.

    Urgency travels on the alert itself (the engine sets it from the rule), so
    it survives a catch-up merge, which renames the alert.
    """
    return {rule.name: RulePolicy(group_wait=rule.group_wait) for rule in ruleset.rules if rule.group_wait}


def _local_time(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def _stamp(path: Path) -> int | None:
    """The rule file's mtime (ns); saving the file changes it, SIGHUP does not need it to."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _human_seconds(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"
