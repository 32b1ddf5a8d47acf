"""Waiting for a fake server's state with a deadline, never a fixed sleep."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Self

__all__ = ["Polling"]

_STEP = 0.01


class Polling:
    """Mixin: ``wait_for`` / ``wait_for_async`` poll ``predicate(self)`` until a deadline."""

    def wait_for(self, predicate: Callable[[Self], bool], timeout: float = 5.0) -> bool:
        """Poll ``predicate(self)`` until it is true (True) or ``timeout`` passes (False)."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() >= deadline:
                return False
            time.sleep(_STEP)
        return True

    async def wait_for_async(self, predicate: Callable[[Self], bool], timeout: float = 5.0) -> bool:
        """:meth:`wait_for` for async tests: polls without blocking the event loop."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(_STEP)
        return True
