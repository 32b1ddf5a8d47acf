"""The rule file's ``account``: the session cookies, how often to ask X, and GraphQL overrides.

```yaml
account:
  cookies: cookies.json
  poll: 1m                       # how often account watching asks X for posts (default 1m)
  graphql: {UserTweets: ID}      # X rotated a query id: use the new one without a release
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from yaml.nodes import MappingNode, Node, ScalarNode

from ..rules.yamlnodes import NULL_TAG
from .model import DEFAULT_POLL
from .nodes import NodeReader

__all__ = [
    "INBOX_POLL", "AccountReader", "AccountSettings", "EndpointCost", "cost_warning", "inbox_interval", "polling_cost",
]

_ACCOUNT_KEYS = ("cookies", "poll", "graphql")
_QUERY_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

# X's rate-limit windows are 15 minutes.
WINDOW = 900.0
# What X allows per window and signed-in account, by endpoint (x-web-api.md);
# None: X lists no limit (user_updates; other clients poll it every 8-10 s).
X_LIMITS: Mapping[str, int | None] = MappingProxyType({
    "UserTweets": 50, "UserTweetsAndReplies": 50, "user_updates": None,
})
# The inbox's own interval: a new conversation's first message cannot be rung
# by the stream, so it is read this often whatever account.poll says.
INBOX_POLL = 10.0
# Above this share of an endpoint's allowance, check and run warn.
COST_WARNING_SHARE = 0.8


def inbox_interval(poll: float) -> float:
    """How often the DM inbox is read: every :data:`INBOX_POLL`, or every ``poll`` when that is shorter."""
    return min(poll, INBOX_POLL)


@dataclass(frozen=True, slots=True)
class EndpointCost:
    """What polling costs on one of X's endpoints: requests per 15 minutes, against X's limit (None: none known)."""

    endpoint: str
    requests: float
    limit: int | None

    @property
    def share(self) -> float | None:
        return None if self.limit is None else self.requests / self.limit

    @property
    def too_much(self) -> bool:
        share = self.share
        return share is not None and share > COST_WARNING_SHARE

    def describe(self) -> str:
        """``UserTweets: 15 requests per 15 minutes, 30 % of X's 50``."""
        spent = f"{self.endpoint}: {self.requests:,.0f} request{'' if round(self.requests) == 1 else 's'} per 15 minutes"
        if self.limit is None:
            return f"{spent} (X lists no limit)"
        return f"{spent}, {self.share:.0%} of X's {self.limit}"


def polling_cost(replies: Sequence[bool], poll: float, dms: bool) -> tuple[EndpointCost, ...]:
    """What following accounts (one entry each: whether it reads replies) and ``dms`` cost, steady state.

    Each followed account reads one timeline page per ``poll`` (``UserTweets``, or
    ``UserTweetsAndReplies`` with replies); X counts each endpoint per signed-in
    account, so followed accounts on one endpoint add up. The inbox is read every
    :func:`inbox_interval`, and once more per stream doorbell (at most once a
    second). The start reads a few pages more per account, once.
    """
    costs = []
    for endpoint, with_replies in (("UserTweets", False), ("UserTweetsAndReplies", True)):
        count = sum(1 for r in replies if r is with_replies)
        if count:
            costs.append(EndpointCost(endpoint, count * WINDOW / poll, X_LIMITS[endpoint]))
    if dms:
        costs.append(EndpointCost("user_updates", WINDOW / inbox_interval(poll), X_LIMITS["user_updates"]))
    return tuple(costs)


def cost_warning(costs: Sequence[EndpointCost]) -> str | None:
    """What ``notifier check`` and ``run`` say when polling spends more than 80 % of an allowance; None when fine."""
    over = [cost for cost in costs if cost.too_much]
    if not over:
        return None
    worst = max(over, key=lambda cost: cost.share or 0.0)
    return (f"account.poll spends {worst.share:.0%} of X's {worst.limit} {worst.endpoint} requests per 15 minutes: "
            "X answers 429 when they run out, and polling then waits for the reset; "
            "a longer account.poll or fewer followed accounts leaves room")


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
