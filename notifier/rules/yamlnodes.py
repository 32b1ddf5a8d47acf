"""What the YAML readers of the package share: node tags and the hint for a mistyped key.

Both the rule file (:mod:`notifier.rulefile`) and the expected-alerts file
(:mod:`notifier.rules.expect`) are composed into PyYAML nodes and judged by
their tags, so that each problem can point at its line and column.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

__all__ = ["BOOL_TAG", "FLOAT_TAG", "INT_TAG", "NULL_TAG", "STR_TAG", "unknown_key_fix"]

BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
STR_TAG = "tag:yaml.org,2002:str"


def unknown_key_fix(key: str, allowed: Sequence[str]) -> str:
    """How to fix an unknown key: the allowed key it is most likely a typo of, or the allowed ones."""
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else f"allowed here: {', '.join(allowed)}"
