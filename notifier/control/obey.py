"""One message on the control topic, obeyed or ignored: the edge between the subscriber and the mute.

Each message is read by :func:`~.commands.parse` (the rules' names as they
are now); a mute or unmute goes to the :class:`~.keeper.MuteKeeper`,
``status`` to ``answer`` (which sends the status line on the alert topic).
Anything else is one log line, with at most the message's first few
characters, escaped: the topic is a secret, but its messages are still input.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from datetime import tzinfo

from .commands import Ignored, Status, parse
from .keeper import MuteKeeper

__all__ = ["Obey"]

log = logging.getLogger(__name__)

_SHOWN = 40
SOURCE = "the control topic"


class Obey:
    """``obey(text)``: what a message on the control topic asks, done (or ignored with one log line)."""

    def __init__(
        self,
        keeper: MuteKeeper,
        *,
        rules: Callable[[], Collection[str]],
        zone: tzinfo,
        answer: Callable[[], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keeper = keeper
        self._rules = rules
        self._zone = zone
        self._answer = answer
        self._clock = clock
        self.ignored = 0

    def __call__(self, text: str) -> None:
        command = parse(text, now=self._clock(), zone=self._zone, rules=self._rules())
        if isinstance(command, Ignored):
            self.ignored += 1
            log.warning("control topic: ignored %r: %s", text[:_SHOWN], command.reason,
                        extra={"event": "control_ignored"})
            return
        if isinstance(command, Status):
            log.info("control topic: status asked", extra={"event": "status"})
            self._answer()
            return
        self._keeper.apply(command, SOURCE)
