"""Reading the rule file's ``health:`` block: where notifier's own problems go.

```yaml
health:
  notify: [phone]
  stream_down: 10m
  ping: https://hc-ping.com/${HC_UUID}
```

Without the block, ``defaults.notify`` hears of the problems that stop the
daemon (rejected cookies, an unwritable state file) and nothing else.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from yaml.nodes import MappingNode, Node, ScalarNode

from ..rules.yamlnodes import NULL_TAG
from .model import DEFAULT_STREAM_DOWN, HealthSpec
from .nodes import NodeReader
from .targets import TargetReader

__all__ = ["read_health"]

_KEYS = ("notify", "stream_down", "ping")
_EXAMPLE = "write health: then, indented, notify: [phone]"


def read_health(
    reader: TargetReader, entry: tuple[Node, Node] | None, default_notify: tuple[str, ...] | None
) -> HealthSpec:
    """The ``health:`` block of a rule file, its problems added to ``reader``'s."""
    fallback = HealthSpec(notify=default_notify or ())
    if entry is None:
        return fallback
    node = entry[1]
    if isinstance(node, ScalarNode) and node.tag == NULL_TAG:
        reader.error(node, "health is empty", _EXAMPLE)
        return fallback
    if not isinstance(node, MappingNode):
        reader.error(node, "health must be a mapping", _EXAMPLE)
        return fallback
    keys = reader.mapping(node, _KEYS, "in health")
    if "notify" in keys:
        notify = reader.notify(keys["notify"][1], "health.notify") or ()
    else:
        notify = default_notify or ()
        if not notify and reader.targets_known:
            reader.error(node, "health has no notify and there is no defaults.notify",
                         "add notify: [<target name>] under health:")
    stream_down = DEFAULT_STREAM_DOWN
    if "stream_down" in keys:
        stream_down = reader.duration(keys["stream_down"][1], "health.stream_down", positive=True) or stream_down
    ping = _ping(reader, keys["ping"][1]) if "ping" in keys else None
    return HealthSpec(notify=tuple(notify), stream_down=stream_down, ping=ping, given=True)


def _ping(reader: NodeReader, node: Node) -> str | None:
    url = reader.expand(node, "health.ping")
    if url is None:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        # The URL is a secret (whoever knows it can report us healthy): never echo it.
        reader.error(node, "health.ping is not an http(s) URL",
                     "write ping: https://hc-ping.com/<your check's uuid> (a URL that a GET reports alive)")
        return None
    return url.strip()
