"""Each target's own sending threads: a target that hangs or drips holds only its own.

Apprise's blocking sends would otherwise share one pool of a few threads. A
send that Apprise stops waiting for keeps its thread until the socket gives up,
and a service that drips its reply a byte at a time never lets the socket give
up: a few such sends fill the pool and every other target waits behind them.

Here every send runs on a thread of its own, and each target has a fixed number
of slots. A slot is taken when the send starts and freed only when its thread
really ends, not when the caller stops waiting: a target whose sends outlive
their deadline runs out of slots, and its further alerts wait for it (the
scheduler asks :meth:`Lanes.saturated`) instead of piling up more threads or
reaching the service again in a burst. Other targets never notice.

The threads are kept: a send's thread, once its work is done, waits up to a
minute for the next send of its target instead of ending (starting a thread
cost 0.25 ms of every alert, measured for issue 26). A thread still running
an abandoned send is never handed another, so a target never has more
threads than slots plus those still held by abandoned sends.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

__all__ = ["Lanes", "Slot"]

T = TypeVar("T")

# How long a kept sending thread waits for its target's next send before it ends.
_IDLE = 60.0


class Slot:
    """One taken sending slot of a target; freed once, by its thread or by its owner."""

    __slots__ = ("key", "_lanes", "_handed", "_freed")

    def __init__(self, lanes: Lanes, key: str) -> None:
        self.key = key
        self._lanes = lanes
        self._handed = False
        self._freed = False

    def __repr__(self) -> str:
        return f"Slot({self.key!r}, handed={self._handed}, freed={self._freed})"

    async def run(self, work: Callable[[], T], *, timeout: float) -> T:
        """Run ``work`` on a thread of the target's that owns this slot; wait at most ``timeout`` s.

        Raises TimeoutError when the deadline passes first; the thread runs on,
        holding the slot, until ``work`` returns.
        """
        done = self.start(work)
        async with asyncio.timeout(timeout):
            return await asyncio.shield(done)

    def start(self, work: Callable[[], T]) -> asyncio.Future[T]:
        """Hand ``work`` to a thread of the target's now (on the event loop); its result arrives in the future."""
        if self._handed or self._freed:
            raise RuntimeError("a sending slot runs one send")
        self._handed = True
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()

        def settle(outcome: Callable[[], None]) -> None:
            if not done.done():
                outcome()

        def thread() -> Callable[[], None]:
            # The answer is handed back, not posted: the worker posts it once
            # it is idle again, so the caller's next send finds this thread.
            try:
                value = work()
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting coroutine
                error = exc
                return lambda: _call(loop, settle, lambda: done.set_exception(error))
            return lambda: _call(loop, settle, lambda: done.set_result(value))

        # The thread frees the slot when ``work`` has returned, however long after the deadline.
        self._lanes._run_on_thread(self.key, thread, then=self._free)
        return done

    def release(self) -> None:
        """Free the slot, unless a thread took it over (that thread frees it when it ends)."""
        if not self._handed:
            self._free()

    def _free(self) -> None:
        if not self._freed:
            self._freed = True
            self._lanes._release(self.key)


class Lanes:
    """At most ``slots`` sends to each target at once, counted until their threads end.

    ``on_free`` is called (from any thread) when a slot frees up, so a
    scheduler that skipped a saturated target can look again.
    """

    def __init__(self, slots: int, *, on_free: Callable[[], None] | None = None) -> None:
        if slots < 1:
            raise ValueError("a target needs at least one sending slot")
        self._slots = slots
        self._on_free = on_free
        self._busy: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._idle: dict[str, list[_Worker]] = {}
        self.reuse = True  # False: a new thread for every send (the tests' plain path)

    def __repr__(self) -> str:
        return f"Lanes(slots={self._slots}, busy={dict(self._busy)})"

    def busy(self, key: str) -> int:
        """Slots of ``key`` taken, by sends under way or abandoned but still running."""
        with self._lock:
            return self._busy[key]

    def saturated(self) -> tuple[str, ...]:
        """Targets with no free slot."""
        with self._lock:
            return tuple(key for key, count in self._busy.items() if count >= self._slots)

    def take(self, key: str) -> Slot | None:
        """A slot of ``key``, or None when all are taken."""
        with self._lock:
            if self._busy[key] >= self._slots:
                return None
            self._busy[key] += 1
        return Slot(self, key)

    def _run_on_thread(
        self, key: str, job: Callable[[], Callable[[], None]], *, then: Callable[[], None],
    ) -> None:
        """Run ``job`` on an idle thread of ``key``, or on a new one; ``then`` once the thread is idle again.

        ``job`` returns what announces its result, called after ``then``.
        """
        with self._lock:
            idle = self._idle.get(key)
            worker = idle.pop() if idle and self.reuse else None
        if worker is None:
            worker = _Worker(self, key)
        worker.jobs.put((job, then))

    def _rest(self, worker: _Worker) -> None:
        """``worker`` finished its job: it waits for the next one of its target."""
        if self.reuse:
            with self._lock:
                self._idle.setdefault(worker.key, []).append(worker)

    def _retire(self, worker: _Worker) -> bool:
        """Whether ``worker``, idle for _IDLE seconds, may end (False: it was just handed a job)."""
        with self._lock:
            idle = self._idle.get(worker.key, [])
            if worker not in idle:
                return not self.reuse
            idle.remove(worker)
            if not idle:
                del self._idle[worker.key]
            return True

    def _release(self, key: str) -> None:
        with self._lock:
            self._busy[key] -= 1
            if self._busy[key] <= 0:
                del self._busy[key]
        if self._on_free is not None:
            self._on_free()


class _Worker:
    """One sending thread of a target: runs the jobs it is handed, one at a time."""

    __slots__ = ("key", "jobs", "thread", "_lanes")

    def __init__(self, lanes: Lanes, key: str) -> None:
        self.key = key
        self.jobs: queue.SimpleQueue[tuple[Callable[[], Callable[[], None]], Callable[[], None]]] = queue.SimpleQueue()
        self._lanes = lanes
        # A daemon thread: a service that drips forever must not keep the process alive.
        self.thread = threading.Thread(target=self._loop, name=f"notifier-send-{key}", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            try:
                job, then = self.jobs.get(timeout=_IDLE)
            except queue.Empty:
                if self._lanes._retire(self):
                    return
                continue  # handed a job as the wait ended: it is in the queue
            announce = None
            try:
                announce = job()
            finally:
                # Idle before the slot is free, and both before the result is
                # announced: the send that the freed slot or the answer lets
                # start finds this thread.
                self._lanes._rest(self)
                then()
                if announce is not None:
                    announce()
            if not self._lanes.reuse:
                return


def _call(loop: asyncio.AbstractEventLoop, settle: Callable[..., None], outcome: Callable[[], None]) -> None:
    try:
        loop.call_soon_threadsafe(settle, outcome)
    except RuntimeError:
        pass  # the loop is closed: nobody waits for this send any more
