"""Home Assistant's MQTT discovery payloads for notifier's entities: pure values, no I/O.

Home Assistant learns of an entity from a retained JSON *config* message on
``<prefix>/<component>/<node>/<object>/config``; an empty retained message
there removes it. Every entity here belongs to one device, "notifier
(@handle)", and says it is available only while ``<base>/status`` is
``online`` (notifier's last will sets ``offline``).

Unique ids are built from the signed-in account's user id, the tweet id and
the count, or the rule's identity (its name and trigger), so they are the
same after a restart and Home Assistant keeps each entity's history and
settings. Entity ids are given too (``default_entity_id``), so they do not
depend on the device's name, which changes once the account's @handle is
known. The number of entities is bounded: a sensor per listed count for at
most ``home_assistant.max_posts`` posts, an event per rule, and three of
notifier's own.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .. import __version__
from ..alert import post_url

__all__ = [
    "Device",
    "Entities",
    "PostEntity",
    "RuleEntity",
    "Topics",
    "configs",
    "encode",
    "entity_slug",
    "newest_posts",
    "post_cap_warning",
    "post_name",
    "post_state",
]

# A sensor's name is shown on small dashboard cards: the start of the post is enough.
_NAME_LENGTH = 40
_LABELS = {"likes": "likes", "retweets": "reposts", "replies": "replies", "views": "views"}
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
_ICONS = {"likes": "mdi:heart", "retweets": "mdi:repeat", "replies": "mdi:reply", "views": "mdi:eye"}


@dataclass(frozen=True, slots=True)
class Device:
    """Who notifier is in Home Assistant: ``node`` names every topic and unique id; ``name`` is shown."""

    node: str
    name: str

    @classmethod
    def of(cls, user_id: str, handle: str | None = None) -> Device:
        """The device of the signed-in account (its user id keeps ids stable), named by its @handle when known."""
        return cls(f"notifier_{user_id}", f"notifier (@{handle.lstrip('@')})" if handle else "notifier")

    def payload(self) -> dict[str, object]:
        return {
            "identifiers": [self.node],
            "name": self.name,
            "manufacturer": "notifier",
            "model": "X engagement alerts",
            "sw_version": __version__,
        }


@dataclass(frozen=True, slots=True)
class Topics:
    """The MQTT topics of one notifier: its own under ``base``, Home Assistant's under ``prefix``."""

    prefix: str
    base: str

    @classmethod
    def of(cls, prefix: str, device: Device) -> Topics:
        return cls(prefix, f"notifier/{device.node}")

    @property
    def status(self) -> str:
        """notifier's availability: ``online`` or ``offline`` (the last will)."""
        return f"{self.base}/status"

    @property
    def ha_status(self) -> str:
        """Home Assistant's own birth and will: ``online`` means it (re)started and wants the configs."""
        return f"{self.prefix}/status"

    @property
    def stream(self) -> str:
        return f"{self.base}/stream"

    @property
    def last_event(self) -> str:
        return f"{self.base}/last_event"

    @property
    def muted(self) -> str:
        return f"{self.base}/muted"

    @property
    def muted_set(self) -> str:
        """Where Home Assistant sends ``ON`` or ``OFF`` to the switch."""
        return f"{self.base}/muted/set"

    def post(self, tweet_id: str) -> str:
        """A post's counts, as one JSON object: each sensor picks its field."""
        return f"{self.base}/post/{tweet_id}"

    def post_attributes(self, tweet_id: str) -> str:
        return f"{self.base}/post/{tweet_id}/attributes"

    def rule(self, identity: str) -> str:
        return f"{self.base}/rule/{identity}"

    def config(self, component: str, node: str, object_id: str) -> str:
        return f"{self.prefix}/{component}/{node}/{object_id}/config"


@dataclass(frozen=True, slots=True)
class PostEntity:
    """A watched post: its id, the name its sensors show, and its text (when account watching read it)."""

    tweet_id: str
    name: str
    text: str = ""

    @property
    def url(self) -> str:
        return post_url(self.tweet_id)


@dataclass(frozen=True, slots=True)
class RuleEntity:
    """A rule's event entity: ``identity`` keeps its id stable, ``kinds`` are its event types."""

    name: str
    identity: str
    kinds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Entities:
    """Everything notifier shows in Home Assistant at one moment."""

    posts: tuple[PostEntity, ...] = ()
    rules: tuple[RuleEntity, ...] = ()
    sensors: tuple[str, ...] = ("likes", "retweets", "replies", "views")


def post_name(tweet_id: str, text: str | None) -> str:
    """A post's readable name: the start of its text on one line, else its id."""
    line = " ".join((text or "").split())
    if not line:
        return f"Post {tweet_id}"
    return line if len(line) <= _NAME_LENGTH else line[: _NAME_LENGTH - 1].rstrip() + "…"


def newest_posts(tweet_ids: Iterable[str], cap: int) -> tuple[str, ...]:
    """The ``cap`` newest posts (the highest ids: X's ids grow with time), in a stable order."""
    newest = sorted(set(tweet_ids), key=lambda tweet_id: (len(tweet_id), tweet_id), reverse=True)[:cap]
    return tuple(sorted(newest))


def post_cap_warning(watched: int, cap: int, *, up_to: bool = False) -> str | None:
    """What ``check`` and ``run`` say when more posts are watched than get sensors; None when all do."""
    if watched <= cap:
        return None
    return (
        f"the rules watch {'up to ' if up_to else ''}{watched:,} posts but Home Assistant gets sensors for the "
        f"newest {cap:,} only (home_assistant.max_posts: {cap}); alerts still cover every post — raise "
        "max_posts to show more, each post adds one sensor per count"
    )


def post_state(counts: Mapping[str, object], sensors: Iterable[str]) -> dict[str, int]:
    """The counts a post's sensors show, of those known (a sensor without its count stays unknown)."""
    return {field: value for field in sensors if isinstance(value := counts.get(field), int)}


def entity_slug(text: str) -> str:
    """``text`` as the object part of an entity id: lower-case ASCII letters, digits and single underscores.

    Home Assistant's own slugify gives the same for the usual names ("New DM" → ``new_dm``);
    letters with accents lose them, other scripts are dropped (the caller then uses an id).
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _SLUG_JUNK.sub("_", ascii_text.lower()).strip("_")


def configs(device: Device, topics: Topics, entities: Entities) -> dict[str, dict[str, object]]:
    """Every entity's config topic and payload, in a stable order."""
    node = device.node
    common: dict[str, object] = {"device": device.payload(), "availability_topic": topics.status}
    found: dict[str, dict[str, object]] = {}

    def add(component: str, object_id: str, entity: str, **payload: object) -> None:
        # The entity id is given (Home Assistant 2025.10 and newer read default_entity_id):
        # left to Home Assistant it would come from the device's name, which gains the
        # @handle once X said it, so the first start would decide it by a race.
        found[topics.config(component, node, object_id)] = {
            "unique_id": f"{node}_{object_id}", "default_entity_id": f"{component}.notifier_{entity}",
            **payload, **common,
        }

    add("binary_sensor", "stream", "stream_connected", name="Stream connected", state_topic=topics.stream,
        device_class="connectivity", entity_category="diagnostic")
    add("sensor", "last_event", "last_event", name="Last event", state_topic=topics.last_event,
        device_class="timestamp", icon="mdi:bell-ring")
    # retain false: Home Assistant's commands are moments, never a state the broker replays.
    add("switch", "muted", "notifications_muted", name="Notifications muted", state_topic=topics.muted,
        command_topic=topics.muted_set, retain=False, icon="mdi:bell-off", optimistic=False)
    for rule in entities.rules:
        add("event", f"rule_{rule.identity}", entity_slug(rule.name) or f"rule_{rule.identity}", name=rule.name,
            state_topic=topics.rule(rule.identity), event_types=list(rule.kinds), icon="mdi:bell")
    for post in entities.posts:
        for field in entities.sensors:
            add("sensor", f"{post.tweet_id}_{field}", f"{post.tweet_id}_{_LABELS[field]}",
                name=f"{post.name} {_LABELS[field]}", state_topic=topics.post(post.tweet_id),
                # X sends only the counts that changed: a state may lack this one. The default
                # renders nothing, which a numeric sensor ignores (it keeps its value), where a
                # bare value_json.<field> makes Home Assistant log a warning on every message.
                value_template=f"{{{{ value_json.{field} | default('') }}}}",
                json_attributes_topic=topics.post_attributes(post.tweet_id),
                # "total", not "total_increasing": likes and reposts fall when people undo them,
                # and a total_increasing sensor takes any fall for a meter reset, adding the whole
                # count again to its long-term statistics. A total's statistics follow falls as
                # falls (the hourly change may be negative).
                state_class="total", icon=_ICONS[field])
    return found


def encode(payload: object) -> bytes:
    """A message body: compact JSON, UTF-8 as written (names are people's words)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
