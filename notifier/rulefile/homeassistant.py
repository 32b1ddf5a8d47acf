"""Reading the rule file's ``home_assistant:`` block: notifier as a device in Home Assistant.

```yaml
home_assistant:
  mqtt: mqtt://${MQTT_USER}:${MQTT_PASSWORD}@homeassistant.local:1883   # mqtts:// for TLS
  discovery_prefix: homeassistant          # default
  sensors: [likes, retweets, views]        # default likes, retweets, replies, views
  max_posts: 100                           # default: sensors for the newest 100 watched posts
```

The broker's URL holds a password: no message here ever echoes the URL, and
what ``notifier check`` prints is :attr:`HomeAssistantSpec.shown`.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from yaml.nodes import MappingNode, Node, ScalarNode

from ..rules.model import ALIASES
from ..rules.yamlnodes import INT_TAG, NULL_TAG
from .model import HomeAssistantSpec
from .nodes import NodeReader

__all__ = ["DEFAULT_MAX_POSTS", "SENSOR_FIELDS", "read_home_assistant"]

_KEYS = ("mqtt", "discovery_prefix", "sensors", "max_posts")
# Posts that get sensors: 100 posts of four counts are 400 sensors, about 300 kB of configs.
DEFAULT_MAX_POSTS = 100
_EXAMPLE = "write home_assistant: then, indented, mqtt: mqtt://user:password@homeassistant.local:1883"
# The counts a post's sensors can show, in the order Home Assistant lists them.
SENSOR_FIELDS = ("likes", "retweets", "replies", "views")
_PORTS = {"mqtt": 1883, "mqtts": 8883}
_URL_FIX = "write mqtt: mqtt://user:password@homeassistant.local:1883 (or mqtts:// for TLS, port 8883 by default)"


def read_home_assistant(reader: NodeReader, entry: tuple[Node, Node] | None) -> HomeAssistantSpec | None:
    """The ``home_assistant:`` block of a rule file (None without one), its problems added to ``reader``'s."""
    if entry is None:
        return None
    node = entry[1]
    if isinstance(node, ScalarNode) and node.tag == NULL_TAG:
        reader.error(node, "home_assistant is empty", _EXAMPLE)
        return None
    if not isinstance(node, MappingNode):
        reader.error(node, "home_assistant must be a mapping", _EXAMPLE)
        return None
    keys = reader.mapping(node, _KEYS, "in home_assistant")
    if "mqtt" not in keys:
        reader.error(node, "home_assistant has no mqtt", "add mqtt: mqtt://user:password@homeassistant.local:1883")
        return None
    spec = _broker(reader, keys["mqtt"][1])
    prefix = _prefix(reader, keys["discovery_prefix"][1]) if "discovery_prefix" in keys else "homeassistant"
    sensors = _sensors(reader, keys["sensors"][1]) if "sensors" in keys else SENSOR_FIELDS
    max_posts = _max_posts(reader, keys["max_posts"][1]) if "max_posts" in keys else DEFAULT_MAX_POSTS
    if spec is None or prefix is None or sensors is None or max_posts is None:
        return None
    return HomeAssistantSpec(
        host=spec.host, port=spec.port, tls=spec.tls, username=spec.username, password=spec.password,
        discovery_prefix=prefix, sensors=sensors, max_posts=max_posts,
    )


def _broker(reader: NodeReader, node: Node) -> HomeAssistantSpec | None:
    url = reader.expand(node, "home_assistant.mqtt")
    if url is None:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        # urlsplit's own message may quote the URL, password and all: say it in our words.
        reader.error(node, "home_assistant.mqtt has a port that is not a number from 1 to 65535", _URL_FIX)
        return None
    scheme = parts.scheme.lower()
    if scheme not in _PORTS:
        shown = f"'{scheme}://'" if scheme else "no scheme"
        reader.error(node, f"home_assistant.mqtt must start with mqtt:// or mqtts://, not {shown}", _URL_FIX)
        return None
    if not parts.hostname:
        reader.error(node, "home_assistant.mqtt names no broker host", _URL_FIX)
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        reader.error(node, "home_assistant.mqtt has a path or query after the host, which MQTT has no use for",
                     "end the URL at the port: mqtt://user:password@homeassistant.local:1883")
        return None
    if port == 0:
        reader.error(node, "home_assistant.mqtt has port 0", _URL_FIX)
        return None
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return HomeAssistantSpec(
        host=parts.hostname, port=port or _PORTS[scheme], tls=scheme == "mqtts",
        username=username or None, password=password or None,
    )


def _prefix(reader: NodeReader, node: Node) -> str | None:
    text = reader.scalar_text(node, "home_assistant.discovery_prefix", "discovery_prefix: homeassistant")
    if text is None:
        return None
    prefix = text.strip().strip("/")
    if not prefix or any(char in prefix for char in "+#\0") or " " in prefix:
        reader.error(node, f"home_assistant.discovery_prefix '{text}' is not an MQTT topic prefix",
                     "use Home Assistant's: discovery_prefix: homeassistant (no spaces, + or #)")
        return None
    return prefix


def _sensors(reader: NodeReader, node: Node) -> tuple[str, ...] | None:
    items = reader.items(node)
    if not items:
        reader.error(node, "home_assistant.sensors is empty",
                     f"list the counts to show, such as sensors: [{', '.join(SENSOR_FIELDS)}]")
        return None
    chosen: list[str] = []
    ok = True
    for item in items:
        name = item.value.strip().lower() if isinstance(item, ScalarNode) else None
        # The rules' own other names of a count (reposts, like_count, ...), as conditions read them.
        name = ALIASES.get(name, name) if name is not None else None
        if name not in SENSOR_FIELDS:
            shown = item.value if isinstance(item, ScalarNode) else "?"
            reader.error(item, f"unknown sensor '{shown}' in home_assistant.sensors",
                         f"use some of: {', '.join(SENSOR_FIELDS)}")
            ok = False
        elif name not in chosen:
            chosen.append(name)
    if not ok:
        return None
    return tuple(field for field in SENSOR_FIELDS if field in chosen)


def _max_posts(reader: NodeReader, node: Node) -> int | None:
    if isinstance(node, ScalarNode) and node.tag == INT_TAG and reader.construct(node) > 0:
        return int(reader.construct(node))
    shown = node.value if isinstance(node, ScalarNode) else "?"
    reader.error(node, f"home_assistant.max_posts: {shown} is not a number of posts",
                 f"write a whole number above zero, such as max_posts: {DEFAULT_MAX_POSTS}")
    return None
