"""Child process for the crash test: enqueue alerts to a target that is down, then wait to be killed.

Usage: python crash_child.py DB URL COUNT

Prints "enqueued" once every alert is in the outbox, then keeps retrying
(against a server that refuses or hangs) until the parent kills it with SIGKILL.
"""

from __future__ import annotations

import asyncio
import sys
import time

from notifier.alert import Alert
from notifier.delivery import Deliverer, Outbox, build_targets


async def main(db: str, url: str, count: int) -> None:
    outbox = Outbox(db)
    deliverer = Deliverer(outbox, build_targets({"hook": url}), backoff=lambda attempt: 0.05)
    await deliverer.start()
    deliverer.enqueue(
        Alert(
            rule="crash",
            topic="/tweet_engagement/1",
            key="1",
            title=f"crash alert {n}",
            message="sent before the crash, delivered after it",
            targets=("hook",),
            ts=time.time(),
        )
        for n in range(count)
    )
    print("enqueued", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
