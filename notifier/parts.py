"""What one ``notifier run`` is made of, built from its :class:`~notifier.config.Config`.

:func:`assemble` checks everything a user can get wrong before anything
connects (the rule file, its targets, the cookies, the recording, the state
file) and builds the parts: the engine and its state store, the outbox and
its deliverer, the pipeline between them, the rule reloader, and the source:
a stream supervisor or a replayer; with a ``home_assistant:`` block, a live
run also gets the Home Assistant bridge. It starts nothing; the daemon does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Config
from .exceptions import CredentialsError, DeliveryError, NotifierError, RuleFileError
from .exitcodes import EXIT_FAILURE, EXIT_USAGE, ExitCode
from .healthwatch import HealthWatch
from .homeassistant.bridge import STATE_KEY as HA_STATE_KEY
from .homeassistant.bridge import Bridge
from .lock import StateInUseError, StateLock
from .logs import add_secrets
from .metrics import Health, StreamCounts
from .pipeline import LiveFeed, Pipeline
from .reload import RuleReloader
from .rulefile import RuleFile, load_rules
from .rulefile.account import poll_warning
from .rules import Engine, EngineState
from .state import StateStore
from .stream.auth import resolve_cookies
from .stream.supervisor import StreamSupervisor
from .stream.topics import Topic
from .watching import INBOX_KEY, WORDS_PREFIX, StreamTopics, named_posts, watch_plan

if TYPE_CHECKING:
    from .account.lookup import PostLookup
    from .account.watcher import AccountWatcher
    from .account.web import XWebClient
    from .alert import Alert
    from .delivery import Deliverer, DeliveryResult, Outbox, TargetSet
    from .metrics import Metrics
    from .replayer import Replayer

__all__ = ["Parts", "StartupFailure", "assemble", "load_rule_file"]

log = logging.getLogger(__name__)


class StartupFailure(Exception):
    """The run cannot start: ``message`` says why, logged as ``event``; exit with ``code``."""

    def __init__(self, message: str, event: str, code: ExitCode = EXIT_USAGE) -> None:
        super().__init__(message)
        self.event = event
        self.code = code


@dataclass(slots=True)
class Parts:
    """The parts of a run; ``source`` is its stream supervisor or its replayer."""

    config: Config
    engine: Engine
    store: StateStore
    outbox: Outbox
    deliverer: Deliverer
    pipeline: Pipeline
    reloader: RuleReloader[tuple[RuleFile, TargetSet]]
    supervisor: StreamSupervisor | None
    replayer: Replayer | None
    state_path: Path
    scratch: Path | None
    topics: StreamTopics
    health_watch: HealthWatch
    watcher: AccountWatcher | None = None
    web: XWebClient | None = None
    lock: StateLock | None = None
    bridge: Bridge | None = None
    lookup: PostLookup | None = None

    async def apply_rules(self, loaded: tuple[RuleFile, TargetSet]) -> None:
        """Go on with a reloaded rule file: rules, targets, and the stream's topics."""
        ruleset, targets = loaded
        old_topics = set(self.pipeline.ruleset.topics)
        self.deliverer.replace_targets(targets)
        self.pipeline.replace_rules(ruleset)
        self.health_watch.configure(ruleset.health)
        new_topics = set(ruleset.topics)
        log.info(
            "rules reloaded: %d rules, %d topics (+%d −%d)",
            len(ruleset.rules), len(new_topics), len(new_topics - old_topics), len(old_topics - new_topics),
            extra={"event": "reloaded"},
        )
        if self.watcher is not None:
            self.watcher.replace_plan(watch_plan(ruleset))
        if self.bridge is not None:
            self.bridge.watch(self.pipeline.ruleset)
        if self.lookup is not None:
            self.lookup.set_retry(ruleset.poll)
            self.lookup.want(named_posts(ruleset))
        if self.supervisor is not None:
            await self.supervisor.apply(self.topics.wanted())

    def stream_counts(self) -> StreamCounts:
        """What the stream (or the recording) counted, for /metrics."""
        if self.supervisor is None:
            return StreamCounts(False, 0, self.replayer.malformed if self.replayer is not None else 0)
        return StreamCounts(*self.supervisor.counts())

    def outbox_depth(self) -> int:
        try:
            return int(self.outbox.depth())
        except Exception:  # noqa: BLE001 - a scrape must not fail on a busy database
            return 0

    def health(self) -> Health:
        """The source's health: a replay is always fine; the stream, while connected or retrying."""
        if self.replayer is not None:
            return Health(True, "replaying a recording")
        if self.supervisor is None:
            return Health(False, "the stream is not open")
        health = self.supervisor.health()
        return Health(health.ok, health.reason)

    async def aclose(self) -> None:
        """Close what the run opened (the stream is the supervisor's): X's web API, delivery, the state file."""
        if self.web is not None:
            with contextlib.suppress(Exception):
                await self.web.aclose()
        with contextlib.suppress(Exception):
            await self.deliverer.aclose()
        with contextlib.suppress(Exception):
            self.outbox.close()
        self.store.close()
        if self.lock is not None:
            self.lock.release()  # only once the state file is closed
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def load_rule_file(config: Config, env: Mapping[str, str]) -> tuple[RuleFile, TargetSet]:
    """The rule file and the targets it names (console:// ones in a dry run)."""
    from .delivery import build_targets  # noqa: PLC0415 - Apprise loads only when a run needs it
    from .delivery.dryrun import dry_run_targets  # noqa: PLC0415

    ruleset = load_rules(config.rules, env=env)
    if config.dry_run:
        return ruleset, dry_run_targets(ruleset)
    # build_targets registers every URL with the log filter before anything can print it.
    return ruleset, build_targets(ruleset.targets, ruleset.targets_from)


def assemble(
    config: Config,
    env: Mapping[str, str],
    *,
    metrics: Metrics,
    stopping: Callable[[], bool],
    clock: Callable[[], float],
    on_delivery: Callable[[DeliveryResult], None],
) -> Parts:
    """Check and build every part of a run; :class:`StartupFailure` says what is wrong."""
    from .delivery import Deliverer, Outbox  # noqa: PLC0415
    from .replayer import ReplayClock, Replayer  # noqa: PLC0415

    ruleset, targets = _load(config, env)
    metrics.rules.set(len(ruleset.rules))
    cookies = None
    if config.replay is None:
        try:
            cookies = resolve_cookies(config.cookies, ruleset.account_cookies, env)
        except CredentialsError as exc:
            hint = f"; notifier login {config.rules} checks and saves them"
            if isinstance(exc.__cause__, PermissionError):
                # Logging in again would write the same file, just as unreadable: say what does help.
                hint = (f"; notifier runs as uid {os.getuid()}, and the file is readable by its owner only: "
                        "under systemd hand it to the service with LoadCredential= and --cookies "
                        "%d/cookies.json (docs/deployment.md, systemd), elsewhere run notifier login "
                        "as the user that runs notifier")
            raise StartupFailure(f"{exc}{hint}", "credentials_missing") from None
        own_user_id = cookies.user_id
    elif not config.replay.is_file():
        raise StartupFailure(
            f"cannot replay {config.replay}: no such file; give the path of a JSONL file written by "
            "`notifier record`", "usage",
        )
    else:
        own_user_id = _quiet_own_user_id(config, ruleset, env)

    scratch = state_path = None
    if config.dry_run:
        # A dry run must not mark milestones as announced for the real run.
        scratch = Path(tempfile.mkdtemp(prefix="notifier-dry-run-"))
    state_path = scratch / "state.db" if scratch is not None else config.state
    lock = _lock(state_path) if scratch is None else None
    try:
        store = StateStore(state_path)
        entries = store.load()
        outbox = Outbox(state_path)
    except NotifierError as exc:
        if lock is not None:
            lock.release()
        raise StartupFailure(str(exc), "state_error", EXIT_FAILURE) from None
    log.debug("state: %d entries from %s", len(entries), state_path)
    # The watcher's inbox memory, Home Assistant's and the looked-up words share the
    # file; the engine keeps (and prunes) only its own entries.
    inbox = entries.pop(INBOX_KEY, None)
    ha_memory = entries.pop(HA_STATE_KEY, None)
    words = {key[len(WORDS_PREFIX) :]: entries.pop(key) for key in [k for k in entries if k.startswith(WORDS_PREFIX)]}
    engine = Engine(ruleset, EngineState.from_entries(entries), own_user_id=own_user_id)

    # A dry run of a recording delivers on the recording's clock, so quiet hours,
    # budgets and group_wait act as they would have on that day.
    replay_clock = ReplayClock() if config.dry_run and config.replay is not None else None
    # Home Assistant in a live run that delivers: a replay or a dry run must not show in its home.
    ha_spec = ruleset.home_assistant if config.replay is None and not config.dry_run else None
    deliverer = Deliverer(
        outbox, targets, on_result=on_delivery, clock=replay_clock or time.time,
        muted=ha_spec is not None and isinstance(ha_memory, dict) and ha_memory.get("muted") is True,
    )
    topics = StreamTopics(ruleset.topics)
    supervisor = replayer = watcher = web = lookup = None
    bridge = None
    if ha_spec is not None:
        add_secrets(ha_spec.password)
        bridge = Bridge(
            ha_spec, user_id=own_user_id, memory=ha_memory if isinstance(ha_memory, dict) else None,
            save=lambda entry: store.save({HA_STATE_KEY: entry}), on_mute=deliverer.set_muted,
            stream_up=lambda: supervisor is not None and supervisor.counts()[0], metrics=metrics,
        )

    def rules_changed(wanted: frozenset[str]) -> None:
        topics.rules_changed(wanted)
        if bridge is not None:
            bridge.watch(pipeline.ruleset)

    pipeline = Pipeline(
        engine, outbox=deliverer if bridge is None else _AlertsToo(deliverer, bridge), store=store,
        metrics=metrics, recorded=config.replay is not None, log_initial=True,
        alerts_printed=config.dry_run, on_topics=rules_changed,
        on_counts=bridge.counts if bridge is not None else None,
    )
    if bridge is not None:
        bridge.watch(ruleset)
    if config.replay is not None:
        replayer = Replayer(
            config.replay, pipeline, stopping=stopping, clock=replay_clock,
            delivery=deliverer if replay_clock else None, next_due=outbox.next_due,
            drain_timeout=config.drain_timeout,
        )
    else:
        from .account.feed import FeedSink  # noqa: PLC0415
        from .account.watcher import AccountWatcher, InboxMemory  # noqa: PLC0415
        from .account.web import XWebClient  # noqa: PLC0415
        from .stream.client import StreamClient  # noqa: PLC0415 - loads httpx

        plan = watch_plan(ruleset)
        web = XWebClient(cookies, query_ids=ruleset.graphql or None)
        watcher = AccountWatcher(
            web, plan,
            FeedSink(lambda topic, payload: pipeline.handle(topic, payload, clock()), topics.conversations_changed),
            own_user_id=own_user_id, memory=InboxMemory.from_entry(inbox),
            save=lambda entry: store.save({INBOX_KEY: entry}),
        )
        if bridge is not None and plan.active:
            # Only when X's web API is asked anyway: the device's name is not worth a request of its own.
            bridge.handle = web.settings
        client = StreamClient(cookies, api_base=config.api_base)
        supervisor = StreamSupervisor(client, LiveFeed(pipeline, clock, doorbell=watcher.ring), clock=clock)
        topics.supervisor = supervisor
        if ruleset.account_cookies is not None:
            lookup = _post_lookup(web, pipeline, store, words, ruleset)
        if (warning := poll_warning(ruleset.poll)) is not None and plan.active:
            log.warning("%s", warning, extra={"event": "poll_too_often"})
    health_watch = HealthWatch(
        ruleset.health, metrics=metrics, enqueue=deliverer.enqueue, clock=clock,
        stream_up=lambda: _stream_up(supervisor, topics),
        account_failing=watcher.failing if watcher is not None else lambda: None,
        unwritable_since=lambda: deliverer.unwritable_since,
    )
    parts = Parts(
        config, engine, store, outbox, deliverer, pipeline, None, supervisor, replayer,  # type: ignore[arg-type]
        state_path, scratch, topics, health_watch, watcher, web, lock, bridge, lookup,
    )

    def on_reload(result: str) -> None:
        metrics.reloads.labels(result).inc()
        if result == "ok":
            metrics.rules.set(len(pipeline.ruleset.rules))

    parts.reloader = RuleReloader(
        config.rules, load=lambda: load_rule_file(config, env), apply=parts.apply_rules,
        on_result=on_reload, watch_interval=config.watch_interval,
    )
    return parts


class _AlertsToo:
    """The pipeline's alerts to the outbox first (durable), then to Home Assistant as events."""

    __slots__ = ("_bridge", "_deliverer")

    def __init__(self, deliverer: Deliverer, bridge: Bridge) -> None:
        self._deliverer = deliverer
        self._bridge = bridge

    def enqueue(self, alerts: Sequence[Alert]) -> None:
        self._deliverer.enqueue(alerts)
        self._bridge.alerts(alerts)


def _post_lookup(
    web: XWebClient, pipeline: Pipeline, store: StateStore, entries: Mapping[str, object], ruleset: RuleFile
) -> PostLookup:
    """The words of the posts the rules name by id: those kept in the state file at once, the others looked up."""
    from .account.lookup import PostLookup, read_words  # noqa: PLC0415

    lookup = PostLookup(
        web, found=pipeline.post_words, known=read_words(entries), retry=ruleset.poll,
        save=lambda changes: store.save({WORDS_PREFIX + post_id: entry for post_id, entry in changes.items()}),
    )
    lookup.want(named_posts(ruleset))
    if words := lookup.words():
        pipeline.post_words(words)
    return lookup


def _stream_up(supervisor: StreamSupervisor | None, topics: StreamTopics) -> bool | None:
    """Whether the stream is connected; None when no topic wants it open (nothing is down)."""
    if supervisor is None or not any(Topic.on_stream(topic) for topic in topics.wanted()):
        return None
    return supervisor.counts()[0]


def _load(config: Config, env: Mapping[str, str]) -> tuple[RuleFile, TargetSet]:
    try:
        return load_rule_file(config, env)
    except RuleFileError as exc:
        raise StartupFailure(str(exc), "rules_invalid") from None
    except OSError as exc:
        raise StartupFailure(
            f"cannot read the rule file {config.rules}: {exc.strerror or exc}", "rules_invalid"
        ) from None
    except DeliveryError as exc:
        raise StartupFailure(str(exc), "targets_invalid") from None


def _lock(state_path: Path) -> StateLock:
    """The state file's lock, taken before the file is opened: two runs on one file would double every alert."""
    try:
        return StateLock.acquire(state_path)
    except StateInUseError as exc:
        raise StartupFailure(str(exc), "state_locked", EXIT_FAILURE) from None
    except NotifierError as exc:
        raise StartupFailure(str(exc), "state_error", EXIT_FAILURE) from None


def _quiet_own_user_id(config: Config, ruleset: RuleFile, env: Mapping[str, str]) -> str | None:
    """In a replay the cookies are optional; use them only to know our own DMs."""
    try:
        return resolve_cookies(config.cookies, ruleset.account_cookies, env).user_id
    except (NotifierError, OSError):
        return None

