"""What the in-process Daemon tests share: a console-only rule file and engagement payloads."""

from __future__ import annotations

from notifier.stream.events import Payload, TweetEngagementEvent

from .conftest import TWEET

TOPIC = f"/tweet_engagement/{TWEET}"

THRESHOLD = f"""\
  - name: Threshold
    tweets: ["{TWEET}"]
    when: likes > 1000
"""


def console_rules(rules: str, *, cookies: str | None = None) -> str:
    """A version-1 rule file whose only target is console://, with ``rules`` under ``rules:``."""
    account = f"account:\n  cookies: {cookies}\n" if cookies else ""
    return f"version: 1\n{account}targets:\n  screen: console://\ndefaults:\n  notify: [screen]\nrules:\n{rules}"


def engagement(**fields: int) -> Payload:
    """An engagement payload carrying ``fields`` (wire names: like_count, retweet_count, ...)."""
    return Payload(tweet_engagement=TweetEngagementEvent(**fields))
