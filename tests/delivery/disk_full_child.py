"""Child process for the disk-full test: one alert is sent while the state file cannot be written.

Usage: python disk_full_child.py DB URL

Enqueues one alert, then forbids itself to write any file (``RLIMIT_FSIZE``,
as ``prlimit --fsize`` does to a running daemon), so the send goes out but its
outcome cannot be recorded. SIGUSR1 lifts the limit again. Prints "enqueued",
then "unwritable" and "writable" when the deliverer reports the state file's
condition, and each delivery outcome, until the parent ends it.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import signal
import sys
import time

from notifier.alert import Alert
from notifier.delivery import Deliverer, Outbox, build_targets


async def main(db: str, url: str) -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    outbox = Outbox(db)
    deliverer = Deliverer(
        outbox, build_targets({"hook": url}), backoff=lambda attempt: 0.05,
        on_result=lambda result: print(result.outcome, flush=True),
    )
    await deliverer.start()
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    asyncio.get_running_loop().add_signal_handler(
        signal.SIGUSR1, lambda: resource.setrlimit(resource.RLIMIT_FSIZE, limits)
    )
    deliverer.enqueue([
        Alert(
            rule="disk", topic="/tweet_engagement/1", key="1", title="disk full alert",
            message="sent once, however long its outcome cannot be written", targets=("hook",), ts=time.time(),
        )
    ])
    # No await since enqueue: the scheduler has not run, so the send comes after this.
    # A limit of one byte fails every write to the state file (Python ignores SIGXFSZ).
    resource.setrlimit(resource.RLIMIT_FSIZE, (1, limits[1]))
    print("enqueued", flush=True)
    reported = False  # writable until a write fails
    while True:
        unwritable = deliverer.unwritable_since is not None
        if unwritable != reported:
            print("unwritable" if unwritable else "writable", flush=True)
            reported = unwritable
        await asyncio.sleep(0.01)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
