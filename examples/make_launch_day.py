"""Write examples/launch-day.jsonl: one simulated launch day, as `notifier record` writes it.

    python examples/make_launch_day.py > examples/launch-day.jsonl

The day, for the tweets and conversation of rules.example.yaml:

* 13:00 UTC — recording starts ten minutes after the launch tweet went out (~180 likes);
  it climbs past 1,000 likes within the hour, and on through the milestones.
* 14:20 — a DM: Alice types, then writes (the stream rings, the inbox has her words).
* 15:00 — the follow-up tweet is posted; it passes 1,000 likes in the evening.
* 17:00 — a large account reposts the launch tweet: ~950 likes in eight minutes (a surge).
* 19:30 — the connection drops and the stream reconnects (a second config line).
* 22:40 — a second DM from Alice, in the phone's quiet hours.

Counts are strings and each message carries only the fields that changed, as on
the wire. The output is the same on every run (a fixed random seed).
"""

from __future__ import annotations

import json
import math
import random
import sys
from collections.abc import Callable, Iterator

LAUNCH_TWEET = "1850000000000000000"
FOLLOW_UP_TWEET = "1850000000000000001"
CONVERSATION = "1111111111-2222222222"
OWN_USER = "1111111111"
PARTNER = "2222222222"

START = 1748955600.0  # 2025-06-03 13:00:00 UTC
DAY = 86400.0
HOUR = 3600.0


def _config(ts: float, session_id: str) -> dict:
    return {
        "ts": ts,
        "topic": "/system/config",
        "payload": {
            "config": {
                "session_id": session_id,
                "subscription_ttl_millis": 120000,
                "heartbeat_millis": 25000,
            }
        },
    }


def _subscriptions(ts: float) -> dict:
    return {"ts": ts, "topic": "/system/subscriptions", "payload": {"subscriptions": {"errors": []}}}


def _surge(t: float, at: float, size: float, minutes: float) -> float:
    """A smooth step of ``size`` likes centred on ``at`` lasting about ``minutes``."""
    return size / (1.0 + math.exp(-(t - at) / (minutes * 60 / 8)))


def launch_likes(t: float) -> float:
    # Fast at first, slowing over the day; the surge comes on top.
    return 180 + 5200 * (1 - math.exp(-t / (3.5 * HOUR))) + _surge(t, 4 * HOUR, 950, 8)


def follow_up_likes(t: float) -> float:
    age = t - 2 * HOUR
    if age < 0:
        return -1.0  # not posted yet
    return 1450 * (1 - math.exp(-age / (4 * HOUR)))


def _engagement(
    rng: random.Random, tweet_id: str, likes_at: Callable[[float], float], begin: float
) -> Iterator[dict]:
    """Messages for one tweet: denser while it is hot, each with only the changed counts."""
    last: dict[str, int] = {}
    t = begin
    while t < DAY:
        likes = likes_at(t)
        if likes >= 0:
            noise = rng.uniform(0.97, 1.03)
            counts = {
                "like_count": int(likes),
                "retweet_count": int(likes * 0.21 * noise),
                "reply_count": int(likes * 0.048 * noise),
                "quote_count": int(likes * 0.017 * noise),
                "views": int(likes * 71 * rng.uniform(0.99, 1.01) + 900),
            }
            if last:
                # Counts never go down on the wire in a normal day.
                counts = {name: max(value, last.get(name, 0)) for name, value in counts.items()}
            changed = {name: value for name, value in counts.items() if last.get(name) != value}
            # The server batches: views move constantly and are often left out of a batch.
            if "views" in changed and len(changed) > 1 and rng.random() < 0.35:
                del changed["views"]
            if changed:
                body: dict[str, object] = {
                    name: str(value) for name, value in changed.items() if name != "views"
                }
                if "views" in changed:
                    body["view_count_info"] = {"count": str(changed["views"]), "state": "EnabledWithCount"}
                last.update(changed)
                yield {
                    "ts": START + t,
                    "topic": f"/tweet_engagement/{tweet_id}",
                    "payload": {"tweet_engagement": body},
                }
        # Messages come as often as the counts move: every few seconds while the
        # tweet is hot, every few minutes late at night.
        rate = max(likes_at(t + 60) - likes_at(t), 0.0) / 60  # likes per second
        gap = 1 / max(rate, 1 / 600) if likes >= 0 else 600
        t += min(max(gap * rng.uniform(2.0, 6.0), 4.0), 900.0)


# The two messages Alice sends, with the ids the DM inbox gives them.
MESSAGES = (
    (1 * HOUR + 20 * 60, "1850000000000100001", "Congrats on the launch! Can I get a demo for my team this week?"),
    (9 * HOUR + 40 * 60, "1850000000000100002", "Still up? The repost from @bigaccount is everywhere, call me"),
)
PARTNER_HANDLE = "alice"
PARTNER_NAME = "Alice"


def _dms() -> Iterator[dict]:
    for at, message_id, text in MESSAGES:
        for offset in (0.0, 6.5):
            yield {
                "ts": START + at + offset,
                "topic": f"/dm_typing/{CONVERSATION}",
                "payload": {"dm_typing": {"conversation_id": CONVERSATION, "user_id": PARTNER}},
            }
        # X's stream rings with the two ids only ...
        yield {
            "ts": START + at + 14.2,
            "topic": f"/dm_update/{CONVERSATION}",
            "payload": {"dm_update": {"conversation_id": CONVERSATION, "user_id": PARTNER}},
        }
        # ... and account watching reads the message itself from the DM inbox, as notifier
        # record writes it: the sender's handle and name, and the text.
        yield {
            "ts": START + at + 15.1,
            "topic": f"/dm_message/{CONVERSATION}",
            "payload": {"dm_update": {
                "conversation_id": CONVERSATION, "user_id": PARTNER, "message_id": message_id, "text": text,
                "sender": PARTNER_HANDLE, "sender_name": PARTNER_NAME,
            }},
        }


def launch_day(seed: int = 2025) -> list[dict]:
    rng = random.Random(seed)
    messages = [_config(START, "d1f0c0a2-3b9e-4c1e-9a57-5d2b7c1e0001"), _subscriptions(START + 0.2)]
    messages += _engagement(rng, LAUNCH_TWEET, launch_likes, 1.0)
    messages += _engagement(rng, FOLLOW_UP_TWEET, follow_up_likes, 2 * HOUR)
    messages += _dms()
    reconnect = START + 6.5 * HOUR
    messages.append(_config(reconnect, "d1f0c0a2-3b9e-4c1e-9a57-5d2b7c1e0002"))
    messages.append(_subscriptions(reconnect + 0.2))
    messages.sort(key=lambda message: message["ts"])
    for message in messages:
        message["ts"] = round(message["ts"], 3)
    return messages


def main() -> None:
    out = sys.stdout
    for message in launch_day():
        out.write(json.dumps(message, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
