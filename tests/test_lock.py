"""The state file's lock: one holder at a time, its pid in the message, gone once released."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from notifier.exceptions import StateError
from notifier.run.lock import StateInUseError, StateLock, lock_path


def test_a_second_acquire_names_the_holder(tmp_path: Path) -> None:
    """While one lock is held, a second acquire fails at once with the holder's pid and the state path."""
    state = tmp_path / "state.db"
    with StateLock.acquire(state):
        with pytest.raises(StateInUseError) as caught:
            StateLock.acquire(state)
    assert caught.value.pid == os.getpid()
    assert f"another notifier (pid {os.getpid()}) is using {state}" in str(caught.value)
    assert lock_path(state) == tmp_path / "state.db.lock"


def test_released_lock_can_be_taken_again(tmp_path: Path) -> None:
    """Releasing empties the pid and lets the next run take the lock; a second release does nothing."""
    state = tmp_path / "sub" / "state.db"
    lock = StateLock.acquire(state)
    assert lock_path(state).read_text() == f"{os.getpid()}\n"
    lock.release()
    lock.release()
    assert lock_path(state).read_text() == ""
    StateLock.acquire(state).release()


def test_an_unwritable_folder_is_a_state_error(tmp_path: Path) -> None:
    """A lock file that cannot be created is reported as a StateError naming it."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StateError, match="cannot create the lock file"):
        StateLock.acquire(blocker / "state.db")
