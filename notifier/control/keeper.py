"""Where the one mute lives: an entry of the state file, shared by the running daemon and ``notifier mute``.

**Why the state file, not a socket.** ``notifier mute 1h`` must act on the
running daemon without a network round trip, and a mute must survive
restarts. The state file does both with what is already there: the command
line writes the mute into it (one SQLite transaction, safe beside the daemon's
own writes in WAL mode), and the daemon looks at it once a second, so the
mute takes effect within a second. The same command works while the daemon is
stopped (the next start obeys it), needs no socket file, port or permissions
of its own, and is guarded by the state file's own permissions.

:class:`MuteStore` reads and changes the entry (each change bumps a
``revision``); :class:`MuteKeeper` is the daemon's side: it applies commands
(from the control topic, Home Assistant's switch), adopts what the command
line wrote, notices when a mute ends, and tells its listeners (delivery, the
Home Assistant switch) of every change.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from ..exceptions import StateError
from ..sqlite import connect
from .commands import Command, MuteFor, Status, Unmute
from .mute import FOREVER, Mute

__all__ = ["MUTE_KEY", "Change", "MuteKeeper", "MuteStore", "apply_command"]

log = logging.getLogger(__name__)

# The mute's entry in the state file's rule_state table, beside the engine's.
MUTE_KEY: Final = "mute"
# How often the daemon looks for a mute written by `notifier mute`.
POLL: Final = 1.0


def apply_command(mute: Mute, command: Command, now: float) -> Mute:
    """The mute after ``command`` (``status`` changes nothing); parts that ended by ``now`` are dropped."""
    current = mute.current(now)
    if isinstance(command, MuteFor):
        return current.muting(command.until, command.rule)
    if isinstance(command, Unmute):
        if command.rule is None:
            return Mute()
        rules = {name: end for name, end in current.rules.items() if name != command.rule}
        return Mute(current.until, MappingProxyType(rules))
    return current


@dataclass(frozen=True, slots=True)
class Change:
    """A mute as stored: the value, its ``revision`` (bumped by every write) and who wrote it."""

    mute: Mute
    revision: int = 0
    source: str = ""


class MuteStore:
    """The mute's entry in the state file at ``path``; its own connection (the daemon's stores keep theirs)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self._db = connect(self.path, synchronous="NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS rule_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        except (OSError, sqlite3.Error) as exc:
            raise StateError(
                f"cannot open the state database {self.path}: {exc}; check that the folder exists and is "
                "writable, or choose another with --state or NOTIFIER_STATE"
            ) from exc

    def read(self) -> Change:
        try:
            row = self._db.execute("SELECT value FROM rule_state WHERE key = ?", (MUTE_KEY,)).fetchone()
        except sqlite3.Error as exc:
            raise StateError(f"cannot read the state database {self.path}: {exc}") from exc
        return _decode(row[0] if row else None)

    def change(self, how: Callable[[Mute], Mute], source: str) -> Change:
        """Read, change and write the mute in one transaction (a daemon and a command line may both write)."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT value FROM rule_state WHERE key = ?", (MUTE_KEY,)).fetchone()
                old = _decode(row[0] if row else None)
                new = Change(how(old.mute), old.revision + 1, source)
                value = json.dumps({**new.mute.to_entry(), "revision": new.revision, "source": source},
                                   separators=(",", ":"), sort_keys=True)
                self._db.execute(
                    "INSERT INTO rule_state (key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (MUTE_KEY, value),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StateError(f"cannot write the state database {self.path}: {exc}") from exc
        return new

    def close(self) -> None:
        self._db.close()


def _decode(text: str | None) -> Change:
    try:
        entry: Any = json.loads(text) if text else {}
    except ValueError:
        entry = {}
    if not isinstance(entry, dict):
        entry = {}
    revision = entry.get("revision")
    return Change(Mute.from_entry(entry), revision if isinstance(revision, int) else 0, str(entry.get("source", "")))


class MuteKeeper:
    """The daemon's one mute: ``apply`` commands, ``run`` to follow the state file and the mute's ends.

    ``listeners`` hear of every change with the new :class:`Mute` (delivery
    holds by it; Home Assistant's switch shows it). ``zone`` is the clock the
    log lines show times on.
    """

    def __init__(
        self,
        store: MuteStore,
        *,
        clock: Callable[[], float] = time.time,
        zone: tzinfo | None = None,
        listeners: tuple[Callable[[Mute], None], ...] = (),
    ) -> None:
        from ..times import local_zone

        self._store = store
        self._clock = clock
        self._zone = zone or local_zone()
        self._listeners = list(listeners)
        stored = store.read()
        self._revision = stored.revision
        self._mute = stored.mute.current(clock())
        self._watched_end = self._mute.next_end(clock())

    @property
    def mute(self) -> Mute:
        return self._mute

    def close(self) -> None:
        self._store.close()

    def listen(self, listener: Callable[[Mute], None]) -> None:
        self._listeners.append(listener)

    def describe(self) -> str:
        return self._mute.describe(self._clock(), self._zone)

    def apply(self, command: Command, source: str) -> str:
        """Obey ``command`` from ``source`` ("the control topic", "Home Assistant"); what it did, for a log line."""
        if isinstance(command, Status):
            return self.describe()
        now = self._clock()
        try:
            change = self._store.change(lambda mute: apply_command(mute, command, now), source)
        except StateError as exc:
            # The mute still acts for this run; the next change tries to write it again.
            log.error("%s; the mute holds until notifier stops", exc, extra={"event": "state_error"})
            change = Change(apply_command(self._mute, command, now), self._revision, source)
        self._adopt(change)
        what = self.describe()
        log.info("mute: %s (from %s)", what, source, extra={"event": "mute", "source": source})
        return what

    def set_everything(self, muted: bool, source: str) -> None:
        """Home Assistant's switch: on mutes everything until unmuted, off is ``unmute``."""
        if muted == self._mute.everything(self._clock()):
            return
        self.apply(MuteFor(FOREVER) if muted else Unmute(), source)

    def poll(self) -> None:
        """Adopt a mute the command line wrote; tell the listeners when a part of the mute ended."""
        try:
            stored = self._store.read()
        except StateError as exc:
            log.debug("%s", exc)
            stored = None
        if stored is not None and stored.revision != self._revision:
            self._adopt(stored)
            log.info("mute: %s (from %s)", self.describe(), stored.source or "the state file",
                     extra={"event": "mute", "source": stored.source})
            return
        now = self._clock()
        if self._watched_end is not None and now >= self._watched_end:
            self._mute = self._mute.current(now)
            self._watched_end = self._mute.next_end(now)
            log.info("mute ended: now %s", self.describe(), extra={"event": "mute_ended"})
            self._tell()

    async def run(self) -> None:
        """Poll every second until cancelled."""
        while True:
            await asyncio.sleep(POLL)
            try:
                self.poll()
            except Exception:  # noqa: BLE001 - the mute must never stop notifier
                log.exception("looking at the mute failed; trying again")

    def _adopt(self, change: Change) -> None:
        now = self._clock()
        self._revision = change.revision
        self._mute = change.mute.current(now)
        self._watched_end = self._mute.next_end(now)
        self._tell()

    def _tell(self) -> None:
        for listener in self._listeners:
            try:
                listener(self._mute)
            except Exception:  # noqa: BLE001 - one listener must not keep the others from hearing
                log.exception("a mute listener failed")
