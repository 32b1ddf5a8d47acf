"""What the engine remembers, as JSON-safe entries the daemon can save and restore.

Entries are small dicts under short keys (the saved format; only this module
spells them out, the engine reads and writes them through names):

* ``s:<tweet_id>`` — the last-known snapshot of a tweet's counts
  (``{"likes": 1204, "views": 30112, ...}``), shared by every rule on that tweet;
* ``r:<rule id>:<key>`` — one rule's state for one tweet or conversation, where
  ``<rule id>`` is :attr:`Rule.identity <notifier.rules.model.Rule.identity>`
  (a hash of the rule's name and trigger). Fields: ``a`` armed (edge-triggered
  rules), ``m`` milestone high-water mark, ``p`` gain samples (flat
  ``[t0, v0, t1, v1, ...]``, bounded; held as doubles, exact for counts below
  2**53), ``f`` time of the last firing, ``o`` set once a ``once: true`` rule
  fired, ``n``/``ns`` matches a cooldown held back and since when, ``u`` since
  when no rule set has watched the key (absent while it is watched).

State follows the post, not the rule set: when a rule stops watching a tweet
or conversation (a reload, a post leaving an account's window) its entry and
the tweet's snapshot are kept, and a rule that watches the key again goes on
from them, as after a restart. They age out :data:`UNWATCHED_RETENTION` after
the first rule change (on the event clock) that found the key unwatched.

The engine marks what it changes; :meth:`EngineState.take_dirty` hands exactly
those entries over for saving (``None`` for deleted ones). A rule's entry is a
:class:`RuleEntry`: the saved dict itself, with named accessors, so that the
engine can keep a reference to it and nothing has to be converted on save.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Mapping

from .model import FIELDS

__all__ = [
    "UNWATCHED_RETENTION", "EngineState", "RuleEntry", "history_key", "is_history_key", "is_snapshot_key",
    "rule_key", "snapshot_key", "valid_snapshot",
]

# How long a rule's state for a key no rule watches any more is kept (seconds):
# long enough for a rule edited back or a post brought back into an account's
# window, short enough that the state file does not grow with every post ever made.
UNWATCHED_RETENTION = 30 * 86400.0


def snapshot_key(tweet_id: str) -> str:
    """The key of a tweet's snapshot."""
    return f"s:{tweet_id}"


def history_key(tweet_id: str) -> str:
    """The key of a tweet's counts over time (for charts)."""
    return f"h:{tweet_id}"


def rule_key(rule_id: str, key: str) -> str:
    """The key of one rule's state for one tweet or conversation (``rule_id``: ``Rule.identity``)."""
    return f"r:{rule_id}:{key}"


def is_snapshot_key(key: str) -> bool:
    return key.startswith("s:")


def is_history_key(key: str) -> bool:
    return key.startswith("h:")


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_SNAPSHOT_FIELDS = set(FIELDS)


def valid_snapshot(entry: Mapping) -> bool:
    """Whether a saved snapshot holds only known fields, counts as ints and the view state as text."""
    for name, value in entry.items():
        if name not in _SNAPSHOT_FIELDS:
            return False
        if name == "view_state":
            if not isinstance(value, str):
                return False
        elif not (isinstance(value, int) and not isinstance(value, bool)):
            return False
    return True


class RuleEntry(dict):
    """One rule's state for one tweet or conversation: the saved dict, read and written by name.

    A dict so that it is saved as it is; the named accessors keep the short
    keys of the saved format in this module.
    """

    __slots__ = ()

    @classmethod
    def edge(cls, armed: bool) -> RuleEntry:
        """The first state of an edge-triggered rule (when)."""
        return cls(a=armed)

    @classmethod
    def milestone(cls, mark: int) -> RuleEntry:
        """The first state of a milestone rule: the mark already reached."""
        return cls(m=mark)

    @classmethod
    def sampling(cls, samples: array) -> RuleEntry:
        """The first state of a gain rule: armed, with its first sample."""
        return cls(a=True, p=samples)

    @property
    def armed(self) -> bool | None:
        return self.get("a")

    @armed.setter
    def armed(self, value: bool) -> None:
        self["a"] = value

    @property
    def mark(self) -> object:
        """A milestone rule's high-water mark (an int, unless the saved state was damaged)."""
        return self.get("m")

    @mark.setter
    def mark(self, value: int) -> None:
        self["m"] = value

    @property
    def samples(self) -> list | array | None:
        """A gain rule's samples, flat: ``[t0, v0, t1, v1, ...]``."""
        return self.get("p")

    @samples.setter
    def samples(self, value: array) -> None:
        self["p"] = value

    @property
    def fired_once(self) -> bool:
        """Whether a ``once: true`` rule has fired."""
        return bool(self.get("o"))

    @property
    def last_fired(self) -> float | None:
        return self.get("f")

    def hold_back(self, now: float) -> None:
        """Count a match the cooldown suppressed, and since when they are held back."""
        self["n"] = self.get("n", 0) + 1
        self.setdefault("ns", now)

    def record_firing(self, now: float, once: bool) -> tuple[int, float | None]:
        """Note a firing at ``now``; the matches held back before it, and since when."""
        self["f"] = now
        if once:
            self["o"] = 1
        return self.pop("n", 0), self.pop("ns", None)

    # When no rule watches the entry's key. Only the engine's rule changes read
    # and write this, never an event.

    @property
    def unwatched_since(self) -> float | None:
        return self.get("u")

    def unwatched(self, now: float | None) -> bool:
        """Note that no rule watches the key, from ``now`` if not already noted; whether that changed it.

        ``now`` is None before the first event: the time is noted at a later change.
        """
        if now is None or "u" in self:
            return False
        self["u"] = now
        return True

    def watched_again(self) -> bool:
        """A rule watches the key again: forget since when it was not; whether that changed it."""
        return self.pop("u", None) is not None

    def aged_out(self, now: float | None) -> bool:
        """Whether the key has been unwatched for :data:`UNWATCHED_RETENTION` at ``now``."""
        since = self.get("u")
        return since is not None and now is not None and now - since >= UNWATCHED_RETENTION

    # What each rule kind writes: a saved entry of another shape is dropped.

    @staticmethod
    def valid_timing(entry: Mapping) -> bool:
        """The fields every kind may have: last firing, held-back count and since when, unwatched since."""
        return (
            ("f" not in entry or _number(entry["f"]))
            and ("n" not in entry or (isinstance(entry["n"], int) and not isinstance(entry["n"], bool)))
            and ("ns" not in entry or _number(entry["ns"]))
            and ("u" not in entry or _number(entry["u"]))
        )

    @staticmethod
    def valid_edge(entry: Mapping) -> bool:
        return isinstance(entry.get("a"), bool) and RuleEntry.valid_timing(entry)

    @staticmethod
    def valid_milestone(entry: Mapping) -> bool:
        return _number(entry.get("m")) and RuleEntry.valid_timing(entry)

    @staticmethod
    def valid_sampling(entry: Mapping) -> bool:
        samples = entry.get("p")
        return (
            isinstance(entry.get("a"), bool)
            and isinstance(samples, (list, array))
            and len(samples) >= 2
            and len(samples) % 2 == 0
            and all(_number(item) for item in samples)
            and RuleEntry.valid_timing(entry)
        )


def _copy(entry: dict) -> dict:
    # One level deep is enough: values are numbers, strings, bools or flat
    # sequences (lists, or the array of doubles the engine keeps gain samples in).
    return {key: (list(value) if isinstance(value, (list, array)) else value) for key, value in entry.items()}


class EngineState:
    """The engine's memory: snapshots and per-(rule, key) trigger state."""

    __slots__ = ("_entries", "changes")

    def __init__(self) -> None:
        self._entries: dict[str, dict] = {}
        # The keys changed in this round (since the last take_dirty): the
        # engine's side, a live set. Each take_dirty starts a new set, so the
        # set's identity also names the round: the engine notes in which set it
        # last put an entry that changes on nearly every event (a snapshot, gain
        # samples) and puts it there only once a round. A plain attribute, not a
        # property: every event reads it, and a property is a function call.
        self.changes: set[str] = set()

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
                copied = _copy(dict(entry))
                plain = is_snapshot_key(key) or is_history_key(key)
                state._entries[key] = copied if plain else RuleEntry(copied)
        return state

    def entries(self) -> dict[str, dict]:
        """Copies of every entry."""
        return {key: _copy(entry) for key, entry in self._entries.items()}

    def take_dirty(self) -> dict[str, dict | None]:
        """Copies of the entries changed since the last call; ``None`` for deleted ones."""
        dirty = self.changes
        if not dirty:
            return {}
        self.changes = set()
        entries = self._entries
        changed = {key: (_copy(entries[key]) if key in entries else None) for key in dirty}
        dirty.clear()  # it may still be named as some entry's last round; it holds nothing
        return changed

    def get(self, key: str) -> dict | None:
        """A copy of one entry, or None."""
        entry = self._entries.get(key)
        return None if entry is None else _copy(entry)

    # ------------------------------------------------- the engine's side
    # Live entries, not copies: the engine keeps references to them.

    def snapshot(self, key: str) -> dict | None:
        return self._entries.get(key)

    def store_snapshot(self, key: str, snapshot: dict) -> None:
        """Enter a tweet's snapshot (the engine marks it changed itself, once a round)."""
        self._entries[key] = snapshot

    def store_history(self, key: str, entry: dict) -> None:
        """Enter a tweet's counts over time, marked changed."""
        self._entries[key] = entry
        self.changes.add(key)

    def rule_entry(self, key: str) -> RuleEntry | None:
        return self._entries.get(key)  # type: ignore[return-value]

    def add_rule_entry(self, key: str, entry: RuleEntry) -> RuleEntry:
        """Enter a rule's new state, marked changed."""
        self._entries[key] = entry
        self.changes.add(key)
        return entry

    def retain(self, keep: Callable[[str, dict], bool]) -> None:
        """Delete the entries ``keep(key, entry)`` rejects; they are reported by take_dirty."""
        entries = self._entries
        for key in list(entries):
            if not keep(key, entries[key]):
                del entries[key]
                self.changes.add(key)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __repr__(self) -> str:
        return f"<EngineState {len(self._entries)} entries, {len(self.changes)} unsaved>"
