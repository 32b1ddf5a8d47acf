"""What the engine remembers, as JSON-safe entries the daemon can save and restore.

Entries are small dicts under short keys:

* ``s:<tweet_id>`` — the last-known snapshot of a tweet's counts
  (``{"likes": 1204, "views": 30112, ...}``), shared by every rule on that tweet;
* ``r:<rule id>:<key>`` — one rule's state for one tweet or conversation, where
  ``<rule id>`` is :attr:`Rule.identity <notifier.rules.model.Rule.identity>`
  (a hash of the rule's name and trigger). Fields: ``a`` armed (edge-triggered
  rules), ``m`` milestone high-water mark, ``p`` gain samples (flat
  ``[t0, v0, t1, v1, ...]``, bounded; held as doubles, exact for counts below
  2**53), ``f`` time of the last firing, ``o`` set once a ``once: true`` rule
  fired, ``n``/``ns`` matches a cooldown held back and since when.

The engine marks what it changes; :meth:`EngineState.take_dirty` hands exactly
those entries over for saving (``None`` for deleted ones).
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping

__all__ = ["EngineState"]


def _copy(entry: dict) -> dict:
    # One level deep is enough: values are numbers, strings, bools or flat
    # sequences (lists, or the array of doubles the engine keeps gain samples in).
    return {key: (list(value) if isinstance(value, (list, array)) else value) for key, value in entry.items()}


class EngineState:
    """The engine's memory: snapshots and per-(rule, key) trigger state."""

    __slots__ = ("_dirty", "_entries")

    def __init__(self) -> None:
        self._entries: dict[str, dict] = {}
        # The keys changed since the last take_dirty. Each call starts a new
        # set, so the set also names the current round: the engine notes in
        # which set it last put an entry that changes on nearly every event (a
        # snapshot, gain samples) and puts it there only once.
        self._dirty: set[str] = set()

    @classmethod
    def from_entries(cls, mapping: Mapping[str, Mapping]) -> EngineState:
        """A state holding copies of saved entries; entries that are not mappings are skipped.

        The engine checks each entry against its rules when it takes the state
        and drops what does not fit (a renamed rule, a changed trigger, a
        damaged row), so saved state can never make it fail.
        """
        state = cls()
        for key, entry in mapping.items():
            if isinstance(key, str) and isinstance(entry, Mapping):
                state._entries[key] = _copy(dict(entry))
        return state

    def entries(self) -> dict[str, dict]:
        """Copies of every entry."""
        return {key: _copy(entry) for key, entry in self._entries.items()}

    def take_dirty(self) -> dict[str, dict | None]:
        """Copies of the entries changed since the last call; ``None`` for deleted ones."""
        dirty = self._dirty
        if not dirty:
            return {}
        self._dirty = set()
        entries = self._entries
        changed = {key: (_copy(entries[key]) if key in entries else None) for key in dirty}
        dirty.clear()  # it may still be named as some entry's last round; it holds nothing
        return changed

    def get(self, key: str) -> dict | None:
        """A copy of one entry, or None."""
        entry = self._entries.get(key)
        return None if entry is None else _copy(entry)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __repr__(self) -> str:
        return f"<EngineState {len(self._entries)} entries, {len(self._dirty)} unsaved>"
