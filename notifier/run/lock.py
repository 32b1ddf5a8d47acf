"""One notifier per state file: an exclusive lock on a file beside it.

Two daemons on one state file would each deliver every alert (both read the
same outbox rows as due). The lock is ``fcntl.flock`` on ``STATE.lock``, which
holds the owner's pid for the message the next one prints. The kernel releases
a flock when its process ends, however it ends (SIGKILL and a crash
included), so a stale lock file never keeps a new run from starting.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from ..exceptions import StateError

__all__ = ["StateInUseError", "StateLock", "lock_path"]


class StateInUseError(StateError):
    """Another live process holds the state file's lock."""

    def __init__(self, state: Path, pid: int | None) -> None:
        who = f"another notifier (pid {pid})" if pid is not None else "another notifier"
        super().__init__(
            f"{who} is using {state}; stop it first, or give this run its own state file "
            "with --state or NOTIFIER_STATE"
        )
        self.state = state
        self.pid = pid


def lock_path(state: Path) -> Path:
    """The lock file of a state file: ``state.db`` → ``state.db.lock``."""
    return state.with_name(state.name + ".lock")


class StateLock:
    """A held lock on a state file; :meth:`release` (or the process's end) lets it go."""

    __slots__ = ("_fd", "path", "state")

    def __init__(self, state: Path, path: Path, fd: int) -> None:
        self.state = state
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, state: str | os.PathLike[str]) -> StateLock:
        """Take the lock of ``state`` at once, or raise :class:`StateInUseError` (never waits).

        An OSError (the folder cannot be made, the file cannot be opened) is
        raised as a :class:`StateError` that says so.
        """
        state = Path(state)
        path = lock_path(state)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # os.open's descriptors are not inherited by children (PEP 446).
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StateError(
                f"cannot create the lock file {path}: {exc.strerror or exc}; check that the folder "
                "exists and is writable, or choose another with --state or NOTIFIER_STATE"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise StateInUseError(state, pid) from None
        except OSError as exc:
            os.close(fd)
            raise StateError(f"cannot lock {path}: {exc.strerror or exc}") from exc
        # Written only once the lock is ours: the pid in the file is always the holder's.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(state, path, fd)

    def release(self) -> None:
        """Let the lock go (once; later calls do nothing). The file stays for the next run."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        # Emptied first so that nobody reads a pid that no longer holds it.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the only descriptor releases the flock

    def __enter__(self) -> StateLock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"StateLock({str(self.state)!r}, held={self._fd is not None})"


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
