"""Child process for the secrets test: delivery with logging as verbose as it gets.

Usage: python secrets_child.py DB GOOD_URL... -- BAD_URL

Logs everything (notifier and Apprise at DEBUG) through notifier's own log
setup, delivers one alert to every good URL and to the bad one until it is
dead, prints every DeliveryResult and the reprs of the targets, and prints the
error of a rule file URL that Apprise cannot use.
"""

from __future__ import annotations

import asyncio
import sys
import time

from notifier.alert import Alert
from notifier.delivery import Deliverer, Outbox, build_targets
from notifier.exceptions import DeliveryError
from notifier.logs import configure_logging


async def main(db: str, good: list[str], bad: str) -> None:
    configure_logging(verbose=2)
    named = {f"good{n}": url for n, url in enumerate(good)}
    named["bad"] = bad
    targets = build_targets(named)
    print(repr(targets), [repr(t) for t in targets], [str(t) for t in targets])
    results = []
    deliverer = Deliverer(
        Outbox(db), targets, max_age=2.0, backoff=lambda attempt: 0.1, on_result=results.append
    )
    await deliverer.start()
    deliverer.enqueue(
        [Alert(rule="r", topic="/t", key="k", title="Secret test", message="body", targets=tuple(named), ts=time.time())]
    )
    deadline = time.monotonic() + 20
    while sum(r.outcome in ("sent", "dead") for r in results) < len(named) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await deliverer.aclose()
    for result in results:
        print(result)
    try:
        build_targets({"typo": bad.replace("json://", "jsno://", 1)})
    except DeliveryError as exc:
        print("error:", exc)


if __name__ == "__main__":
    separator = sys.argv.index("--")
    asyncio.run(main(sys.argv[1], sys.argv[2:separator], sys.argv[separator + 1]))
