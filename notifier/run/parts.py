"""What one ``notifier run`` is made of, built from its :class:`~notifier.run.config.Config`.

:func:`assemble` takes what :mod:`~notifier.run.startup` checked before
anything connects (the rule file and its targets, the cookies or the
recording, the state file's lock), opens the state file and builds the parts:
the engine and its state store, the outbox and its deliverer, the pipeline
between them, the rule reloader, and the source: a stream supervisor or a
replayer; with a ``home_assistant:`` block, a live run also gets the Home
Assistant bridge, and with a ``control:`` block the control topic's
subscriber. A run that delivers keeps the one mute
(:class:`~notifier.control.keeper.MuteKeeper`), which a button, ``notifier
mute`` and Home Assistant's switch all change. It starts nothing; the daemon does.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Config
from ..control.keeper import MUTE_KEY, MuteKeeper, MuteStore
from ..control.mute import FOREVER
from ..exceptions import NotifierError
from ..exitcodes import EXIT_FAILURE
from .healthwatch import HealthWatch
from ..homeassistant.bridge import STATE_KEY as HA_STATE_KEY
from ..homeassistant.bridge import Bridge
from .lock import StateLock
from ..logs import add_secrets
from .metrics import Health, StreamCounts
from .pipeline import LiveFeed, Pipeline
from .reload import RuleReloader
from ..rulefile import RuleFile
from ..rulefile.account import cost_warning, polling_cost
from ..rules import Engine, EngineState
from ..state import Changes, StateStore
from .startup import StartupFailure, check_rules, check_source, load_rule_file, lock_state
from ..stream.auth import Cookies
from ..stream.supervisor import StreamSupervisor
from ..stream.topics import Topic
from .watching import GRAPHQL_KEY, INBOX_KEY, WORDS_PREFIX, StreamTopics, named_posts, watch_plan

if TYPE_CHECKING:
    from ..account.lookup import PostLookup
    from ..account.watcher import AccountWatcher
    from ..account.web import XWebClient
    from ..alert import Alert
    from ..control.subscriber import ControlSubscriber
    from ..delivery import Deliverer, DeliveryResult, Outbox, TargetSet
    from .metrics import Metrics
    from .replayer import Replayer
    from ..rulefile.model import ControlSpec

__all__ = ["Parts", "assemble", "own_account"]

log = logging.getLogger(__name__)


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
    keeper: MuteKeeper | None = None
    control: ControlSubscriber | None = None

    async def apply_rules(self, loaded: tuple[RuleFile, TargetSet]) -> None:
        """Go on with a reloaded rule file: rules, targets, and the stream's topics."""
        ruleset, targets = loaded
        old_topics = set(self.pipeline.ruleset.topics)
        self.deliverer.replace_targets(targets)
        self._control_changed(ruleset)
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

    def _control_changed(self, ruleset: RuleFile) -> None:
        running = self.control.link if self.control is not None else None
        wanted = ruleset.control.link if ruleset.control is not None else None
        if wanted != running and not self.config.dry_run and self.config.replay is None:
            # The buttons must publish where notifier listens: both change at the next start.
            log.warning("the control block changed: it takes effect when notifier starts again",
                        extra={"event": "control_restart"})

    def status(self) -> str:
        """The one line ``status`` answers: what is watched, the mute, the last alert."""
        from ..control.status import status_line  # noqa: PLC0415
        from ..times import local_zone  # noqa: PLC0415

        ruleset = self.pipeline.ruleset
        control = getattr(ruleset, "control", None)
        zone = control.zone if control is not None else local_zone()
        mute = self.keeper.mute if self.keeper is not None else self.deliverer.mute
        try:
            last = self.outbox.last_alert()
        except Exception:  # noqa: BLE001 - a status line without its last alert still helps
            last = None
        return status_line(rules=len(ruleset.rules), topics=len(ruleset.topics), mute=mute, last=last,
                           now=time.time(), zone=zone)

    def answer_status(self) -> None:
        """Send the status line on the alert topic: to the ntfy targets (else the health ones), never muted."""
        from ..alert import Alert  # noqa: PLC0415

        targets = self.deliverer.targets
        ntfy = [t.name for t in targets if t.key == t.name and t.url.partition("://")[0].lower() in ("ntfy", "ntfys")]
        names = tuple(ntfy) or tuple(self.pipeline.ruleset.health.notify) or tuple(
            t.name for t in targets if t.key == t.name
        )
        if not names:
            log.warning("status asked, but no target can take the answer", extra={"event": "status"})
            return
        line = self.status()
        log.info("status: %s", line, extra={"event": "status"})
        self.deliverer.enqueue([Alert(rule="(status)", topic="", key="status", title="notifier status",
                                      message=line, targets=names, ts=time.time(), kind="status")])

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
        if self.keeper is not None:
            self.keeper.close()
        if self.lock is not None:
            self.lock.release()  # only once the state file is closed
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


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
    from ..delivery import Deliverer, Outbox  # noqa: PLC0415
    from .replayer import ReplayClock, Replayer  # noqa: PLC0415

    ruleset, targets = check_rules(config, env)
    metrics.rules.set(len(ruleset.rules))
    cookies, own_user_id = check_source(config, ruleset, env)

    scratch = state_path = None
    if config.dry_run:
        # A dry run must not mark milestones as announced for the real run.
        scratch = Path(tempfile.mkdtemp(prefix="notifier-dry-run-"))
    state_path = scratch / "state.db" if scratch is not None else config.state
    lock = lock_state(state_path) if scratch is None else None
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
    learned = entries.pop(GRAPHQL_KEY, None)
    ha_memory = entries.pop(HA_STATE_KEY, None)
    entries.pop(MUTE_KEY, None)  # the mute's, read by its keeper
    words = {key[len(WORDS_PREFIX) :]: entries.pop(key) for key in [k for k in entries if k.startswith(WORDS_PREFIX)]}
    engine = Engine(ruleset, EngineState.from_entries(entries), own_user_id=own_user_id)

    # A dry run of a recording delivers on the recording's clock, so quiet hours,
    # budgets and group_wait act as they would have on that day.
    replay_clock = ReplayClock() if config.dry_run and config.replay is not None else None
    # Home Assistant in a live run that delivers: a replay or a dry run must not show in its home.
    ha_spec = ruleset.home_assistant if config.replay is None and not config.dry_run else None
    try:
        keeper = None if config.dry_run else _keeper(state_path, ruleset, ha_memory)
    except StartupFailure:
        store.close()
        outbox.close()
        if lock is not None:
            lock.release()
        raise
    control = ruleset.control if config.replay is None and not config.dry_run else None
    if ruleset.control is not None:
        add_secrets(ruleset.control.link.topic, ruleset.control.link.auth, ruleset.control.link.url)
    deliverer = Deliverer(
        outbox, targets, on_result=on_delivery, clock=replay_clock or time.time,
        mute=keeper.mute if keeper is not None else None,
        control=ruleset.control.link if ruleset.control is not None and not config.dry_run else None,
    )
    if keeper is not None:
        keeper.listen(deliverer.set_mute)
    topics = StreamTopics(ruleset.topics)
    supervisor = replayer = watcher = web = lookup = None
    bridge = None
    if ha_spec is not None:
        add_secrets(ha_spec.password)
        bridge = Bridge(
            ha_spec, user_id=own_user_id, session=_session(cookies) if cookies is not None else None,
            memory=ha_memory if isinstance(ha_memory, dict) else None,
            save=lambda entry: store.save({HA_STATE_KEY: entry}),
            on_mute=(lambda muted: keeper.set_everything(muted, "Home Assistant")) if keeper is not None
            else deliverer.set_muted,
            stream_up=lambda: supervisor is not None and supervisor.counts()[0], metrics=metrics,
        )
        if keeper is not None:
            bridge.show_muted(keeper.mute.everything(time.time()))
            keeper.listen(lambda mute: bridge.show_muted(mute.everything(time.time())))

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
        from ..account.feed import FeedSink  # noqa: PLC0415
        from ..account.watcher import AccountWatcher, InboxMemory  # noqa: PLC0415
        from ..account.web import XWebClient  # noqa: PLC0415
        from ..stream.client import StreamClient  # noqa: PLC0415 - loads httpx

        from ..stream.auth import SessionCookies  # noqa: PLC0415

        plan = watch_plan(ruleset)
        # One session for the stream and the web client: a ct0 X rotates for one is used by both.
        session = SessionCookies(cookies)
        try:
            web = XWebClient(
                session, query_ids=ruleset.graphql or None,
                on_unreadable=lambda kind: metrics.unreadable.labels(kind).inc(),
                learned=learned if isinstance(learned, dict) else None,
                save_learned=lambda entry: store.save({GRAPHQL_KEY: entry}),
            )
        except ValueError as exc:  # a base URL in the environment that is not one
            raise StartupFailure(
                f"{exc}: fix NOTIFIER_WEB_API_BASE or NOTIFIER_WEB_BASE in the environment", "usage"
            ) from None
        watcher = AccountWatcher(
            web, plan,
            FeedSink(lambda topic, payload: pipeline.handle(topic, payload, clock()), topics.conversations_changed),
            own_user_id=own_user_id, memory=InboxMemory.from_entry(inbox),
            save=lambda entry: store.save({INBOX_KEY: entry}),
        )
        if bridge is not None:
            # Without the twid cookie the device's id (the account's user id) is asked of X.
            bridge.identify = lambda: own_account(web)
        if bridge is not None and plan.active:
            # Only when X's web API is asked anyway: the device's name is not worth a request of its own.
            bridge.handle = web.settings
        client = StreamClient(session, api_base=config.api_base)
        supervisor = StreamSupervisor(client, LiveFeed(pipeline, clock, doorbell=watcher.ring), clock=clock)
        topics.supervisor = supervisor
        if ruleset.account_cookies is not None:
            lookup = _post_lookup(web, pipeline, store, words, ruleset)
        costs = polling_cost([follow.replies for follow in ruleset.follows], ruleset.poll, ruleset.watches_any_dm)
        if (warning := cost_warning(costs)) is not None:
            log.warning("%s", warning, extra={"event": "poll_too_often"})
    health_watch = HealthWatch(
        ruleset.health, metrics=metrics, enqueue=deliverer.enqueue, clock=clock,
        stream_up=lambda: _stream_up(supervisor, topics),
        account_failing=watcher.failing if watcher is not None else lambda: None,
        unwritable_since=lambda: deliverer.unwritable_since,
    )
    parts = Parts(
        config, engine, store, outbox, deliverer, pipeline, None, supervisor, replayer,  # type: ignore[arg-type]
        state_path, scratch, topics, health_watch, watcher, web, lock, bridge, lookup, keeper,
    )
    if control is not None and keeper is not None:
        parts.control = _control(control, keeper, parts)

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

    def enqueue(self, alerts: Sequence[Alert], state: Changes | None = None) -> None:
        self._deliverer.enqueue(alerts, state)
        self._bridge.alerts(alerts)


def _post_lookup(
    web: XWebClient, pipeline: Pipeline, store: StateStore, entries: Mapping[str, object], ruleset: RuleFile
) -> PostLookup:
    """The words of the posts the rules name by id: those kept in the state file at once, the others looked up."""
    from ..account.lookup import PostLookup, read_words  # noqa: PLC0415

    lookup = PostLookup(
        web, found=pipeline.post_words, known=read_words(entries), retry=ruleset.poll,
        save=lambda changes: store.save({WORDS_PREFIX + post_id: entry for post_id, entry in changes.items()}),
    )
    lookup.want(named_posts(ruleset))
    if words := lookup.words():
        pipeline.post_words(words)
    return lookup


def _keeper(state_path: Path, ruleset: RuleFile, ha_memory: object) -> MuteKeeper:
    """The one mute, as the state file keeps it; a switch left on by an older notifier becomes it."""
    from ..times import local_zone  # noqa: PLC0415

    try:
        mute_store = MuteStore(state_path)
    except NotifierError as exc:
        raise StartupFailure(str(exc), "state_error", EXIT_FAILURE) from None
    zone = ruleset.control.zone if ruleset.control is not None else local_zone()
    keeper = MuteKeeper(mute_store, zone=zone)
    if isinstance(ha_memory, dict) and ha_memory.get("muted") is True and mute_store.read().revision == 0:
        from ..control.commands import MuteFor  # noqa: PLC0415

        keeper.apply(MuteFor(FOREVER), "Home Assistant")
    return keeper


def _control(spec: ControlSpec, keeper: MuteKeeper, parts: Parts) -> ControlSubscriber:
    """The control topic's subscriber, obeying what it reads through the one mute."""
    from ..control.obey import Obey  # noqa: PLC0415
    from ..control.subscriber import ControlSubscriber  # noqa: PLC0415

    obey = Obey(keeper, rules=lambda: [rule.name for rule in parts.pipeline.ruleset.rules], zone=spec.zone,
                answer=parts.answer_status)
    return ControlSubscriber(spec.link, obey)


def _stream_up(supervisor: StreamSupervisor | None, topics: StreamTopics) -> bool | None:
    """Whether the stream is connected; None when no topic wants it open (nothing is down)."""
    if supervisor is None or not any(Topic.on_stream(topic) for topic in topics.wanted()):
        return None
    return supervisor.counts()[0]


async def own_account(web: XWebClient) -> tuple[str, str | None]:
    """The signed-in account's user id and @handle, asked of X the one way the account watcher asks too.

    For when the twid cookie, which holds the user id, is missing.
    """
    from ..account.identity import who_am_i  # noqa: PLC0415 - loads with the web client, which a run without an account lacks

    identity = await who_am_i(web)
    return identity.user_id, identity.handle


def _session(cookies: Cookies) -> str:
    """A mark of the login (a short hash of auth_token, which no one can turn back into it).

    A user id learnt from X is reused without asking again only in the same
    login: new cookies may be another account's.
    """
    return hashlib.sha256(cookies.auth_token.encode()).hexdigest()[:16]
