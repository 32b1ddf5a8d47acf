"""Reading the rule file's ``control:`` block: the ntfy topic the mute buttons publish to and notifier obeys.

```yaml
control:
  ntfy: ntfys://ntfy.sh/${NTFY_CONTROL}    # a second secret topic, not the alerts' one
  tz: Europe/Berlin                        # the clock of "mute until 07:00" (default: the machine's)
```

The URL holds a secret (the topic): no message here ever echoes it, and what
``notifier check`` prints is :attr:`ControlSpec.shown`.
"""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode

from ..control.link import ControlLink, read_link
from ..delivery.policy import PolicyError, zone
from ..rules.yamlnodes import NULL_TAG
from .model import ControlSpec
from .nodes import NodeReader

__all__ = ["read_control"]

_KEYS = ("ntfy", "tz")
_EXAMPLE = "write control: then, indented, ntfy: ntfys://ntfy.sh/${NTFY_CONTROL} (a second secret topic)"


def read_control(reader: NodeReader, entry: tuple[Node, Node] | None) -> ControlSpec | None:
    """The ``control:`` block (None without one), its problems added to ``reader``'s."""
    if entry is None:
        return None
    node = entry[1]
    if isinstance(node, ScalarNode) and node.tag == NULL_TAG:
        reader.error(node, "control is empty", _EXAMPLE)
        return None
    if not isinstance(node, MappingNode):
        reader.error(node, "control must be a mapping", _EXAMPLE)
        return None
    keys = reader.mapping(node, _KEYS, "in control")
    if "ntfy" not in keys:
        reader.error(node, "control has no ntfy", "add ntfy: ntfys://ntfy.sh/${NTFY_CONTROL}")
        return None
    url_node = keys["ntfy"][1]
    url = reader.expand(url_node, "control.ntfy")
    link: ControlLink | str | None = read_link(url) if url is not None else None
    if isinstance(link, str):
        reader.error(url_node, f"control.ntfy: {link}", "write ntfy: ntfys://ntfy.sh/${NTFY_CONTROL}")
        link = None
    tz: str | None = None
    if "tz" in keys:
        tz_node = keys["tz"][1]
        text = reader.scalar_text(tz_node, "control.tz", "tz: Europe/Berlin")
        if text is not None:
            try:
                zone(text.strip())
                tz = text.strip()
            except PolicyError as exc:
                reader.error(tz_node, f"control: {exc.what}", exc.fix)
    if link is None or url is None:
        return None
    return ControlSpec(url=url.strip(), link=link, tz=tz)
