"""Rule reloading: read the rule file again on SIGHUP or when it changes, and apply it.

A rule file that does not load changes nothing: the rules in force stay, and
the error is logged with everything the loader found wrong. What applying
means (new rules for the engine, new targets for delivery, new topics for the
stream) is the daemon's business; this unit decides *when*.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Generic, TypeVar

from ..exceptions import DeliveryError, RuleFileError

__all__ = ["RuleReloader", "file_stamp"]

log = logging.getLogger(__name__)

Loaded = TypeVar("Loaded")


def file_stamp(path: Path) -> int | None:
    """The rule file's mtime (ns); saving the file changes it, SIGHUP does not need it to."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


class RuleReloader(Generic[Loaded]):
    """Loads ``path`` with ``load`` and hands the result to ``apply``, when asked or when it changed.

    ``on_result`` hears ``"ok"`` or ``"failed"`` for each attempt (metrics).
    ``watch_interval`` is how often the file's mtime is looked at; 0: only
    when asked.
    """

    def __init__(
        self,
        path: Path,
        *,
        load: Callable[[], Loaded],
        apply: Callable[[Loaded], Awaitable[None]],
        on_result: Callable[[str], None] = lambda result: None,
        watch_interval: float = 0.0,
    ) -> None:
        self._path = path
        self._load = load
        self._apply = apply
        self._on_result = on_result
        self._watch_interval = watch_interval
        self._wanted = asyncio.Event()
        self._stamp = file_stamp(path)

    def request(self) -> None:
        """Ask for a reload (what SIGHUP does); it happens in :meth:`run`'s task."""
        self._wanted.set()

    async def run(self) -> None:
        """Reload whenever asked or whenever the file's mtime changes; runs until cancelled."""
        timeout = self._watch_interval if self._watch_interval > 0 else None
        while True:
            try:
                await asyncio.wait_for(self._wanted.wait(), timeout)
            except TimeoutError:
                stamp = file_stamp(self._path)
                if stamp is None or stamp == self._stamp:
                    continue
                log.info("the rule file changed: reloading", extra={"event": "reload_requested"})
            self._wanted.clear()
            await self.reload()

    async def reload(self) -> bool:
        """Read the file and apply it now; False (and the old rules kept) when it does not load."""
        # Taken before reading, so an edit during the read triggers another reload.
        self._stamp = file_stamp(self._path)
        try:
            loaded = self._load()
        except (RuleFileError, DeliveryError, OSError) as exc:
            self._on_result("failed")
            log.error(
                "the rule file does not load; the previous rules stay in force:\n%s", exc,
                extra={"event": "reload_failed"},
            )
            return False
        await self._apply(loaded)
        self._on_result("ok")
        return True
