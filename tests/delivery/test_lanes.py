"""A target's sending threads: kept between sends, never handed a send while an abandoned one still runs."""

from __future__ import annotations

import asyncio
import threading

import pytest

from notifier.delivery.lanes import Lanes


async def _thread_of(lanes: Lanes, work=threading.current_thread, *, timeout: float = 5.0) -> threading.Thread:
    slot = lanes.take("hook")
    assert slot is not None
    return await slot.run(work, timeout=timeout)


async def test_sends_of_a_target_one_after_another_run_on_one_kept_thread():
    """The second send of a target runs on the first one's thread; with reuse off each gets a thread of its own."""
    kept = Lanes(2)
    assert await _thread_of(kept) is await _thread_of(kept)
    plain = Lanes(2)
    plain.reuse = False
    assert await _thread_of(plain) is not await _thread_of(plain)
    assert plain._idle == {}


async def test_a_thread_still_running_an_abandoned_send_is_not_handed_the_next():
    """A send past its deadline keeps its thread and slot; the next send runs elsewhere; once done, the thread is kept."""
    lanes = Lanes(2)
    release = threading.Event()
    dripping: list[threading.Thread] = []

    def drip() -> None:
        dripping.append(threading.current_thread())
        release.wait(5)

    slot = lanes.take("hook")
    assert slot is not None
    with pytest.raises(TimeoutError):
        await slot.run(drip, timeout=0.05)
    assert lanes.busy("hook") == 1  # the abandoned send still holds its slot
    assert await _thread_of(lanes) is not dripping[0]
    release.set()
    for _ in range(500):
        if lanes.busy("hook") == 0:
            break
        await asyncio.sleep(0.01)
    assert lanes.busy("hook") == 0
    assert dripping[0] in [worker.thread for worker in lanes._idle["hook"]]  # done now: kept for the next send
    assert len(lanes._idle["hook"]) == 2


async def test_a_send_is_answered_only_once_its_thread_is_idle_again(monkeypatch):
    """The caller learns a send's result after its thread is back among the idle: the next send finds it."""
    lanes = Lanes(2)
    rested: list[threading.Thread] = []
    resumed = threading.Event()
    rest = Lanes._rest

    def slow_rest(self, worker) -> None:
        # Holds the thread between its work and its rest, as a busy machine may:
        # until the caller has its answer (or, when the answer waits for the rest, briefly).
        resumed.wait(0.3)
        rested.append(worker.thread)
        rest(self, worker)

    monkeypatch.setattr(Lanes, "_rest", slow_rest)
    first = await _thread_of(lanes)
    idle_when_answered = list(rested)
    resumed.set()
    assert idle_when_answered == [first]
    assert await _thread_of(lanes) is first
