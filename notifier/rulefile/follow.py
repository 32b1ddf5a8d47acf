"""A rule's watching of a whole account: ``tweets: {from: ...}`` and ``dms: any``.

```yaml
tweets: {from: me, within: 3d}          # me = the signed-in account; or "@handle"
tweets: {from: "@brand", within: 2d, replies: false, max_posts: 50}
dms: any                                # every conversation, including new ones
requests: false                         # ... but not message requests
```

Which posts and conversations that means is learnt at run time (see
:func:`~notifier.rules.discovery.with_discoveries`); here the values are
checked, each problem with the fix in the user's own values.
"""

from __future__ import annotations

import re

from yaml.nodes import MappingNode, Node, ScalarNode

from ..counts import parse_count
from ..durations import parse_duration
from ..rules.model import DEFAULT_MAX_POSTS, DEFAULT_WITHIN, Follow
from ..rules.yamlnodes import FLOAT_TAG, INT_TAG, NULL_TAG, STR_TAG
from .targets import TargetReader

__all__ = ["FollowReader", "is_dms_any"]

_FOLLOW_KEYS = ("from", "within", "replies", "max_posts")
# X's screen names: letters, digits and underscores, at most 15.
_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")
_EXAMPLE = 'tweets: {from: "@brand", within: 2d}'


def is_dms_any(node: Node) -> bool:
    """Whether ``dms:`` is the word ``any`` (every conversation) rather than a list of ids."""
    return isinstance(node, ScalarNode) and node.tag == STR_TAG and node.value.strip() == "any"


class FollowReader(TargetReader):
    """Reads ``tweets: {from: ...}``."""

    def follow(self, node: MappingNode, label: str) -> Follow | None:
        keys = self.mapping(node, _FOLLOW_KEYS, f"in the tweets of {label}")
        errors_before = len(self.problems)
        account = None
        if "from" not in keys:
            self.error(node, f"the tweets of {label} say whose posts, but not from whom",
                       f"add from: me (the signed-in account) or from: \"@handle\", as in {_EXAMPLE}")
        else:
            account = self.account_name(keys["from"][1])
        within = DEFAULT_WITHIN
        if "within" in keys:
            within = self.window(keys["within"][1]) or DEFAULT_WITHIN
        replies = False
        if "replies" in keys:
            replies = bool(self.boolean(keys["replies"][1], "replies"))
        max_posts = DEFAULT_MAX_POSTS
        if "max_posts" in keys:
            value = keys["max_posts"][1]
            count = parse_count(value.value) if isinstance(value, ScalarNode) and value.tag != NULL_TAG else None
            if count is not None and count > 0 and count == count.to_integral_value():
                max_posts = int(count)
            else:
                shown = value.value if isinstance(value, ScalarNode) else "?"
                self.error(value, f"max_posts: {shown} is not a number of posts",
                           f"write a whole number above zero, such as {{from: me, max_posts: {DEFAULT_MAX_POSTS}}}")
        if account is None or len(self.problems) != errors_before:
            return None
        return Follow(account, within, replies, max_posts)

    def account_name(self, node: Node) -> str | None:
        """``me`` or ``@handle`` (lowercased, as X's handles are case-insensitive)."""
        text = node.value.strip() if isinstance(node, ScalarNode) and node.tag != NULL_TAG else ""
        if text.lower() == "me":
            return "me"
        handle = text.removeprefix("@")
        if text.startswith("@") and _HANDLE.fullmatch(handle):
            return "@" + handle.lower()
        if _HANDLE.fullmatch(text):
            self.error(node, f"from: {text} is not an account",
                       f"write from: \"@{text}\" for the account @{text} (quoted: YAML reserves a leading @), "
                       "or from: me for the signed-in account")
        elif not text:
            self.error(node, "from: names no account",
                       "write from: me (the signed-in account) or from: \"@handle\"")
        else:
            self.error(node, f"from: {text} is not an X handle",
                       "a handle is up to 15 letters, digits and _, after an @, such as from: \"@brand\"")
        return None

    def window(self, node: Node) -> float | None:
        text = node.value.strip() if isinstance(node, ScalarNode) and node.tag != NULL_TAG else None
        try:
            seconds = parse_duration(text, zero=True) if text is not None else None
        except ValueError:
            seconds = None
        if seconds is None:
            fix = "write how far back posts are watched, such as within: 3d (also 12h, 90m)"
            if isinstance(node, ScalarNode) and node.tag in (INT_TAG, FLOAT_TAG):
                fix = f"add a unit: within: {text}d for {text} days, or {text}h for hours"
            self.error(node, f"within: {text or '?'} is not a duration", fix)
            return None
        if seconds <= 0:
            self.error(node, f"within: {text} must be longer than zero",
                       "write how far back posts are watched, such as within: 3d")
            return None
        return seconds
