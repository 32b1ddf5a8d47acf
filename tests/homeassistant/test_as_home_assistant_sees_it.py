"""What Home Assistant itself would complain about: templates, order, retained commands, a flood, moving ids.

Each test talks to the project's MQTT broker (a child process) and reads what
Home Assistant would read there: configs, states and events in the order the
broker delivers them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from pathlib import Path

import pytest

from notifier.alert import Alert
from notifier.homeassistant.bridge import Bridge
from notifier.homeassistant.discovery import Device, Entities, PostEntity, RuleEntity, Topics, configs
from notifier.rulefile import load_rules
from tests.account.conftest import web  # noqa: F401 - the fake X web API fixture, by name
from tests.daemon.conftest import TWEET
from tests.daemon.test_run import THRESHOLD_AND_MILESTONES, stop, subscribed
from tests.fakes.live_pipeline import FakeLivePipeline
from tests.fakes.mqtt import Broker
from tests.fakes.receiver import Receiver
from tests.fakes.x_web import FakeXWeb

from .conftest import BASE, NODE, PASSWORD, HaRules, HomeAssistantTemplates, Subscriber, wait_for

ENV = {"MQTT_PASSWORD": PASSWORD}
TWEET_TOPIC = f"/tweet_engagement/{TWEET}"


def test_every_value_template_renders_without_a_warning_whatever_counts_a_state_carries(
    fake: FakeLivePipeline, receiver: Receiver, broker: Broker, ha_rules: HaRules, start_notifier, subscribe,
) -> None:
    """X sends only the counts that changed: each state renders every sensor's template with no warning."""
    live = subscribe()
    rules = ha_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    child = start_notifier(str(rules), "--state", "state.db", extra_env=ENV)
    live.wait_last(f"{BASE}/status", b"online")
    subscribed(fake, TWEET_TOPIC)
    fake.push_engagement(TWEET, like_count=900)  # no reposts, no views
    state_topic = f"{BASE}/post/{TWEET}"
    live.wait_for_topic(state_topic)
    fake.push_engagement(TWEET, view_count=5000)  # views alone: the likes must stay known
    wait_for(lambda: (m := live.last(state_topic)) and m.json == {"likes": 900, "views": 5000}, timeout=20,
             what="a state with every known count")
    stop(child)

    sensors = [c for t, c in live.configs().items() if t.startswith(f"homeassistant/sensor/{NODE}/{TWEET}_")]
    assert len(sensors) == 3
    ha = HomeAssistantTemplates()
    shown = {}
    for message in live.on(state_topic):
        for sensor in sensors:
            shown[(sensor["name"], message.payload)] = ha.render(sensor["value_template"], message.payload)
    assert ha.warnings == []
    # A count the state lacks renders empty, which a numeric sensor ignores (it keeps its value).
    assert shown[(sensors[1]["name"], b'{"likes":900}')] == ""
    assert shown[(sensors[0]["name"], b'{"likes":900}')] == "900"
    assert all(sensor["state_class"] == "total" for sensor in sensors)


# -- one bridge in this process, against the broker --------------------------------------------------------


def _rules(tmp_path: Path, tweets: list[str], broker: Broker, extra: str = "") -> object:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "version: 1\ntargets:\n  hook: json://127.0.0.1:9/\ndefaults:\n  notify: [hook]\n"
        f"home_assistant:\n  mqtt: mqtt://{broker.host}:{broker.port}\n  sensors: [likes]\n{extra}"
        f"rules:\n  - name: Threshold\n    tweets: {json.dumps(tweets)}\n    when: likes > 1000\n"
    )
    return load_rules(path, env={})


def _alert(title: str) -> Alert:
    return Alert("Threshold", TWEET_TOPIC, TWEET, title, "m", ("hook",), time.time(), kind="when")


class Running:
    """A Bridge's run() as a task of the test's loop; its saved memory kept."""

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Running:
        self.task = asyncio.create_task(self.bridge.run())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        # Cancelled again if need be, as the daemon does: in Python 3.11 asyncio.wait_for, under
        # the MQTT client's publish, can drop a cancel that races the broker's acknowledgement.
        assert self.task is not None
        for _ in range(5):
            self.task.cancel()
            done, _ = await asyncio.wait([self.task], timeout=2)
            if done:
                return
        raise AssertionError("the bridge went on after being cancelled five times")


def _bridge(ruleset, *, user_id: str | None = "1111", saved: list | None = None, muted: list | None = None,
            **kwargs) -> Bridge:
    bridge = Bridge(
        ruleset.home_assistant, user_id=user_id, save=(saved if saved is not None else []).append,
        on_mute=(muted if muted is not None else []).append, **kwargs,
    )
    bridge.watch(ruleset)
    return bridge


async def until(predicate, timeout: float = 20.0, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
    return value


def _order(live: Subscriber, topic: str) -> int:
    """The position of the first message published on ``topic`` while the subscriber listened (not a replay)."""
    return next(i for i, m in enumerate(live.messages) if m.topic == topic and m.payload and not m.retain)


def _last_is(live: Subscriber, topic: str, payload: bytes):
    return lambda: (m := live.last(topic)) is not None and m.payload == payload and m


def _logged(caplog, event: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if getattr(record, "event", None) == event]


async def test_configs_go_before_events_on_start_reconnect_and_home_assistant_online(
    tmp_path: Path, broker: Broker, subscribe, caplog,
) -> None:
    """An event fired before the configs are out waits for them: at start, after a reconnect, after HA's online."""
    ruleset = _rules(tmp_path, [TWEET], broker)
    bridge = _bridge(ruleset, settle=0.2)
    rule = next(iter(ruleset.rules))
    config = f"homeassistant/event/{NODE}/rule_{rule.identity}/config"
    event_topic = f"{BASE}/rule/{rule.identity}"

    live = subscribe()
    bridge.alerts([_alert("at start")])  # fired before the first connection
    async with Running(bridge):
        await until(lambda: live.last(event_topic), what="the start-up event")
        assert _order(live, config) < _order(live, event_topic)
        assert _order(live, config) < _order(live, f"{BASE}/status")  # configs before any state

        broker.stop()
        await until(lambda: not bridge.connected, what="the broker gone")
        bridge.alerts([_alert("during the outage")])
        broker.start()
        live = subscribe()  # the restarted broker forgot everything
        await until(lambda: live.last(event_topic), timeout=40, what="the event after the reconnect")
        assert _order(live, config) < _order(live, event_topic)

        caplog.set_level(logging.INFO, logger="notifier")
        live = subscribe()
        live.publish("homeassistant/status", b"online")  # Home Assistant restarted
        await until(lambda: _logged(caplog, "ha_online"), what="notifier hearing Home Assistant's online")
        bridge.alerts([_alert("while announcing")])
        await until(lambda: live.last(event_topic), what="the event after online")
        assert _order(live, config) < _order(live, event_topic)
    titles = [m.json["title"] for m in live.on(event_topic)]
    assert titles == ["while announcing"]


async def test_a_retained_command_does_not_turn_the_switch(
    tmp_path: Path, broker: Broker, subscribe, caplog,
) -> None:
    """A retained ON on the command topic is ignored at every connect; a command sent now turns the switch."""
    ruleset = _rules(tmp_path, [TWEET], broker)
    live = subscribe(f"{BASE}/muted")
    live.publish(f"{BASE}/muted/set", b"ON", retain=True)  # left there by someone, long ago
    muted: list[bool] = []
    bridge = _bridge(ruleset, muted=muted)
    caplog.set_level(logging.INFO, logger="notifier")
    async with Running(bridge):
        await until(lambda: _logged(caplog, "retained_command"), what="the retained ON heard and ignored")
        await until(_last_is(live, f"{BASE}/muted", b"OFF"), what="the switch off")
        late = subscribe(f"{BASE}/muted")
        assert (await until(_last_is(late, f"{BASE}/muted", b"OFF"), what="off, retained")).retain
        assert muted == [] and not bridge.muted
        live.publish(f"{BASE}/muted/set", b"ON")
        await until(_last_is(live, f"{BASE}/muted", b"ON"), what="the switch on")
        assert muted == [True]
    # The next start reads the retained ON again: still ignored, the switch keeps the saved state.
    bridge = _bridge(ruleset, muted=muted, memory={"muted": False})
    async with Running(bridge):
        await until(lambda: len(_logged(caplog, "retained_command")) >= 2, what="the retained ON ignored again")
        await until(_last_is(live, f"{BASE}/muted", b"OFF"), what="the switch off again")
    assert muted == [True]


async def test_thousands_of_posts_are_capped_and_announced_paced(
    tmp_path: Path, broker: Broker, subscribe, caplog,
) -> None:
    """5,000 listed posts: sensors for the newest max_posts only, said once; a re-announce is paced, not a flood."""
    caplog.set_level(logging.WARNING, logger="notifier")
    tweets = [str(1850000000000000000 + n) for n in range(5000)]
    ruleset = _rules(tmp_path, tweets, broker, extra="  max_posts: 150\n")
    bridge = _bridge(ruleset)
    live = subscribe("homeassistant/#")
    async with Running(bridge):
        found = await until(lambda: len(c := live.configs()) >= 154 and c, what="the capped configs")
        posts = sorted(t.split("/")[3].split("_")[0] for t in found if t.split("/")[3][0].isdigit())
        assert posts == tweets[-150:]  # the newest
        # Nothing left to send: no config beyond these can follow.
        await until(lambda: bridge.waiting == 0, what="the bridge's queue sent")
        assert len(live.configs()) == 154  # 150 sensors, one event, three of notifier's own
        capped = _logged(caplog, "ha_posts_capped")
        assert len(capped) == 1 and "5,000 posts" in capped[0].getMessage()
        bridge.watch(ruleset)  # a reload with the same rules says nothing again
        assert len(_logged(caplog, "ha_posts_capped")) == 1

        before = len(live.messages)
        started = time.monotonic()
        live.publish("homeassistant/status", b"online")
        await until(lambda: len(live.messages) - before >= 154, what="the configs announced again")
        took = time.monotonic() - started
    # 154 configs at 100 a second after a burst of 100: not all at once.
    assert took >= 0.4, took


async def test_without_twid_the_user_id_is_asked_of_x_and_kept(tmp_path: Path, broker: Broker, subscribe) -> None:
    """No twid: nothing is announced until X says the user id; the next start uses the saved id without asking."""
    ruleset = _rules(tmp_path, [TWEET], broker)
    answers: list[object] = [OSError("X cannot be reached"), ("1111", "brand")]
    asked: list[int] = []

    async def identify() -> tuple[str, str]:
        asked.append(1)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]

    saved: list[dict] = []
    bridge = _bridge(ruleset, user_id=None, saved=saved, identify=identify, session="login-1")
    live = subscribe()
    bridge.alerts([_alert("before the id is known")])
    async with Running(bridge):
        await until(lambda: asked, what="X asked")
        assert live.messages == []  # nothing under a makeshift id, not even the last will's topic
        event = await until(lambda: live.last(f"{BASE}/rule/{next(iter(ruleset.rules)).identity}"), timeout=30,
                            what="the event under the account's id")
        assert event.json["title"] == "before the id is known"
        configs_seen = live.configs()
        assert configs_seen and all(f"/{NODE}/" in topic for topic in configs_seen)
        assert configs_seen[f"homeassistant/switch/{NODE}/muted/config"]["device"]["name"] == "notifier (@brand)"
    memory = saved[-1]
    assert memory["user_id"] == "1111" and memory["handle"] == "brand"

    # A restart, X unreachable: the saved id is used at once, and the same entities are announced.
    again = _bridge(ruleset, user_id=None, identify=identify, memory=memory, session="login-1")
    live = subscribe("homeassistant/#")
    async with Running(again):
        await until(lambda: f"homeassistant/switch/{NODE}/muted/config" in live.configs(), what="the same ids")
    assert len(asked) == 2
    assert not [m for m in live.messages if not m.payload]  # nothing removed

    # Another login (maybe another account's): X is asked before anything is announced.
    answers.append(("2222", "other"))
    other = _bridge(ruleset, user_id=None, identify=identify, memory=memory, session="login-2")
    live = subscribe("homeassistant/#")
    async with Running(other):
        await until(lambda: "homeassistant/switch/notifier_2222/muted/config" in live.configs(), what="the new id")
    assert len(asked) == 3


# Asking X for the user id, once refused, then waiting for the backoff: more than a minute on a busy host.
@pytest.mark.timeout(150)
def test_a_run_without_twid_announces_under_the_account_id_and_keeps_it_when_twid_comes(
    fake: FakeLivePipeline, web: FakeXWeb, receiver: Receiver, broker: Broker, ha_rules: HaRules,  # noqa: F811
    start_notifier, subscribe, workdir: Path,
) -> None:
    """No twid and X refusing at first: nothing announced; then ids from X's answer, unchanged once twid is added."""
    cookies = workdir / "cookies.json"
    with_twid = cookies.read_text()
    cookies.write_text(json.dumps({k: v for k, v in json.loads(with_twid).items() if k != "twid"}))
    live = subscribe()
    rules = ha_rules(THRESHOLD_AND_MILESTONES, {"hook": receiver.json_url()})
    web.fail_next("/1.1/account/settings.json", 503)
    web.fail_next("Viewer", 503)  # and GraphQL Viewer, the other way to ask
    env = {**ENV, "NOTIFIER_WEB_API_BASE": web.url}
    first = start_notifier(str(rules), "--state", "state.db", extra_env=env)
    first.wait_for_event("ha_identity_unknown", timeout=30)
    assert live.messages == []  # no device under a makeshift id
    live.wait_last(f"{BASE}/status", b"online", timeout=60)
    announced = set(live.configs())
    assert f"homeassistant/switch/{NODE}/muted/config" in announced
    assert all(f"/{NODE}/" in topic for topic in announced)
    stop(first)

    cookies.write_text(with_twid)  # the user adds twid later: the same entities, nothing removed
    late = subscribe("homeassistant/#")
    second = start_notifier(str(rules), "--state", "state.db", extra_env=env)
    second.wait_for_event("mqtt_connected")
    wait_for(lambda: announced <= set(late.configs()), what="the same configs")
    stop(second)
    assert not [m for m in late.messages if not m.payload]
    assert set(late.configs()) == announced


def test_the_docs_entity_ids_are_those_home_assistant_creates() -> None:
    """Every entity id the docs and README show is the default_entity_id of a config notifier publishes."""
    rules = (RuleEntity("New DM", "abc", ("message",)), RuleEntity("Launch likes", "def", ("when",)))
    device = Device.of("1111", "brand")
    found = configs(device, Topics.of("homeassistant", device),
                    Entities((PostEntity(TWEET, "We launched today!"),), rules))
    ids = {payload["default_entity_id"] for payload in found.values()}
    root = Path(__file__).resolve().parents[2]

    for document in ("docs/home-assistant.md", "README.md"):
        text = (root / document).read_text()
        shown = set(re.findall(r"\b(?:event|sensor|switch|binary_sensor)\.notifier_[a-z0-9_]+", text))
        assert shown, document
        assert shown <= ids | {f"sensor.notifier_{TWEET}_{f}" for f in ("likes", "reposts", "replies", "views")}, (
            document, shown - ids)


@pytest.mark.parametrize("name, entity", [
    ("New DM", "event.notifier_new_dm"), ("Café — 10k!", "event.notifier_cafe_10k"), ("日本", "event.notifier_rule_abc"),
])
def test_rule_entity_ids_are_slugs_home_assistant_accepts(name: str, entity: str) -> None:
    """A rule's event entity id is its name as a slug (accents dropped); a name with no Latin letters uses its id."""
    device = Device.of("1111")
    found = configs(device, Topics.of("homeassistant", device), Entities((), (RuleEntity(name, "abc", ("when",)),)))
    assert found[f"homeassistant/event/{NODE}/rule_abc/config"]["default_entity_id"] == entity
