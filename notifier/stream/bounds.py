"""The bounds of anything X sends, for the stream, polling and the cookie file alike.

A leaf without imports (the stream's parser reads it on the hot path, and
``--help`` must stay instant): how large an answer may be, how deeply its
JSON may nest, and the largest engagement count any real post has. The
account package may import it, like :mod:`notifier.stream.http`.
"""

from __future__ import annotations

import re

__all__ = ["MAX_ANSWER", "MAX_DEPTH", "MAX_REAL_COUNT", "json_depth"]

# The largest answer read from X: a timeline page of 40 posts is a few hundred KB.
MAX_ANSWER = 8 << 20
# X's deepest real answers (a quoted repost in a conversation module) nest about 30 levels.
MAX_DEPTH = 96
# The most views any post has had is in the billions: a trillion is no real count.
MAX_REAL_COUNT = 10**12
# A JSON string, as the unrolled loop that keeps the regex engine out of per-character alternation.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_INNERMOST = re.compile(rb"[\[{][\]}]")


def json_depth(data: bytes | str, stop_after: int = MAX_DEPTH) -> int:
    """How deeply the arrays and objects of ``data`` nest (0 for a scalar), without decoding it.

    Strings are dropped, then the brackets left; each pass of a C-speed
    substitution removes the innermost pairs, one level of nesting, so the
    passes count the depth (and stop once past ``stop_after``). Brackets never
    closed (JSON cut short) count a level each.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    depth = 0
    while brackets and depth <= stop_after:
        inner = _INNERMOST.sub(b"", brackets)
        if len(inner) == len(brackets):
            return depth + sum(1 for byte in brackets if byte in b"[{")
        depth += 1
        brackets = inner
    return depth
