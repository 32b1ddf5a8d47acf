"""The rule file's ``account``: the session cookies, how often to ask X, and GraphQL overrides.

```yaml
account:
  cookies: cookies.json
  poll: 2m                       # how often account watching asks X (default 2m)
  graphql: {UserTweets: ID}      # X rotated a query id: use the new one without a release
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from yaml.nodes import MappingNode, Node, ScalarNode

from ..rules.yamlnodes import NULL_TAG
from .model import DEFAULT_POLL
from .nodes import NodeReader

__all__ = ["POLL_WARNING_BELOW", "AccountReader", "AccountSettings", "poll_warning"]

_ACCOUNT_KEYS = ("cookies", "poll", "graphql")
# X allows about 50 timeline requests per 15 minutes: one every 18 s. A poll
# below 30 s leaves little room for a second followed account or a retry.
POLL_WARNING_BELOW = 30.0
_QUERY_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def poll_warning(poll: float) -> str | None:
    """What ``notifier check`` and ``run`` say about a poll interval X may not allow; None when it is fine."""
    if poll >= POLL_WARNING_BELOW:
        return None
    return (f"account.poll is {poll:g} s: X allows about 50 timeline requests per 15 minutes "
            "(one every 18 s) and each followed account takes one per poll, so polls this frequent "
            "may be refused (429) and then wait for the reset; 30s or more is safe")


@dataclass(frozen=True, slots=True)
class AccountSettings:
    """What ``account:`` says; the defaults when the file has none."""

    cookies: str | None = None
    poll: float = DEFAULT_POLL
    graphql: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


class AccountReader(NodeReader):
    """Reads ``account``."""

    def account(self, entry: tuple[Node, Node] | None) -> AccountSettings:
        if entry is None:
            return AccountSettings()
        node = entry[1]
        if isinstance(node, ScalarNode) and node.tag == NULL_TAG:
            return AccountSettings()
        if not isinstance(node, MappingNode):
            self.error(node, "account must be a mapping", "write account: then, indented, cookies: cookies.json")
            return AccountSettings()
        keys = self.mapping(node, _ACCOUNT_KEYS, "in account")
        poll = DEFAULT_POLL
        if "poll" in keys:
            poll = self.duration(keys["poll"][1], "account.poll", positive=True) or DEFAULT_POLL
        graphql = self.graphql(keys["graphql"][1]) if "graphql" in keys else {}
        return AccountSettings(self.cookies(keys), poll, MappingProxyType(graphql))

    def cookies(self, keys: dict[str, tuple[Node, Node]]) -> str | None:
        if "cookies" not in keys:
            return None
        text = self.expand(keys["cookies"][1], "account.cookies")
        if text is None:
            return None
        if not text.strip():
            self.error(keys["cookies"][1], "account.cookies is empty",
                       "give the path of a cookies.json or cookies.txt file")
            return None
        cookies = Path(text.strip()).expanduser()
        if not cookies.is_absolute():
            cookies = self.folder / cookies
        return str(cookies)

    def graphql(self, node: Node) -> dict[str, str]:
        if isinstance(node, ScalarNode) and node.tag == NULL_TAG:
            return {}
        if not isinstance(node, MappingNode):
            self.error(node, "account.graphql must map operation names to query ids",
                       "write graphql: {UserTweets: SXVCYB8XHSS25nzIljNtZA}")
            return {}
        # Only here: the account package brings the web client's httpx with it,
        # which a rule file without overrides has no use for.
        from ..account.graphql import OPERATIONS

        result = {}
        for name, (_, value) in self.mapping(node, OPERATIONS, "in account.graphql").items():
            text = value.value.strip() if isinstance(value, ScalarNode) and value.tag != NULL_TAG else None
            if not text or not _QUERY_ID.fullmatch(text):
                self.error(value, f"account.graphql.{name} must be a query id",
                           f"copy it from the web app's request URL: .../graphql/<query id>/{name}, "
                           f"such as {name}: SXVCYB8XHSS25nzIljNtZA")
                continue
            result[name] = text
        return result
