"""What the engine remembers, as JSON-safe entries the daemon can save and restore.

Entries are small dicts under short keys:

* ``s:<tweet_id>`` — the last-known snapshot of a tweet's counts
  (``{"likes": 1204, "views": 30112, ...}``), shared by every rule on that tweet;
* ``r:<rule id>:<key>`` — one rule's state for one tweet or conversation, where
  ``<rule id>`` is :attr:`Rule.identity <notifier.rules.model.Rule.identity>`
  (a hash of the rule's name and trigger). Fields: ``a`` armed (edge-triggered
  rules), ``m`` milestone high-water mark, ``p`` gain samples (flat
  ``[t0, v0, t1, v1, ...]``, bounded), ``f`` time of the last firing, ``o`` set
  once a ``once: true`` rule fired, ``n``/``ns`` matches a cooldown held back and
  since when.

The engine marks what it changes; :meth:`EngineState.take_dirty` hands exactly
those entries over for saving (``None`` for deleted ones).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["EngineState"]


def _copy(entry: dict) -> dict:
    # One level deep is enough: values are numbers, strings, bools or flat lists.
    return {key: (list(value) if isinstance(value, list) else value) for key, value in entry.items()}


class EngineState:
    """The engine's memory: snapshots and per-(rule, key) trigger state."""

    __slots__ = ("_dirty", "_entries", "_round")

    def __init__(self) -> None:
        self._entries: dict[str, dict] = {}
        self._dirty: set[str] = set()
        # Counts take_dirty calls. The engine notes in which round it last
        # marked a snapshot, which changes on nearly every event, and does not
        # mark it again within the round.
        self._round = 0

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
        self._round += 1
        if not self._dirty:
            return {}
        entries = self._entries
        changed = {key: (_copy(entries[key]) if key in entries else None) for key in self._dirty}
        self._dirty.clear()
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
