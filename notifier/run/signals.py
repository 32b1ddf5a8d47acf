"""How the daemon answers signals: the first SIGTERM or SIGINT stops it in order, a second one at once.

SIGHUP reloads the rules. SIGPIPE, which the kernel sends to a write into a
pipe nobody reads any more (``run --dry-run | head``), stops it in order too:
console:// output has nowhere to go, and retrying it would only spin.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable

from ..exitcodes import EXIT_FAILURE

__all__ = ["Signals"]

log = logging.getLogger("notifier.run.daemon")

_HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE)


class Signals:
    """Signal handlers on an event loop, calling back the daemon's ``stop`` and ``reload``.

    ``pending`` says how many deliveries stay in the outbox when a second signal exits at once.
    """

    def __init__(self, *, stop: Callable[..., None], reload: Callable[[], None], pending: Callable[[], int]) -> None:
        self._stop = stop
        self._reload = reload
        self._pending = pending
        self._seen = 0
        self._piped = False

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_stop, sig)
        loop.add_signal_handler(signal.SIGHUP, self._on_hup)
        loop.add_signal_handler(signal.SIGPIPE, self._on_pipe)

    def remove(self, loop: asyncio.AbstractEventLoop) -> None:
        for sig in _HANDLED:
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        # remove_signal_handler leaves SIGPIPE at its default, which kills: back to
        # Python's own setting, under which a closed pipe is a BrokenPipeError.
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)

    def _on_stop(self, sig: signal.Signals) -> None:
        self._seen += 1
        name = signal.Signals(sig).name
        if self._seen > 1:
            log.warning(
                "%s again: exiting now; %d deliveries stay in the outbox for the next start",
                name, self._pending(), extra={"event": "exit_now"},
            )
            logging.shutdown()
            os._exit(EXIT_FAILURE)
        self._stop(f"{name} received (send it again to exit at once)")

    def _on_pipe(self) -> None:
        # Counted apart from SIGTERM/SIGINT: each further write repeats it.
        if not self._piped:
            self._piped = True
            log.info("standard output is closed: stopping", extra={"event": "output_closed"})
        self._stop("standard output closed")

    def _on_hup(self) -> None:
        log.info("SIGHUP: reloading the rules", extra={"event": "reload_requested"})
        self._reload()
