"""Account watching in a run: what to poll, where its finds go, and the stream topics they add.

The rule file says which accounts to follow and whether every conversation
counts (``tweets: {from: …}``, ``dms: any``). :func:`watch_plan` turns that
into what the :class:`~notifier.account.watcher.AccountWatcher` polls. What it
finds goes through the pipeline like any event (see
:mod:`notifier.account.feed`), and :class:`StreamTopics` keeps the stream
subscribed to what the rules now watch, plus a ``dm_update`` doorbell for
each conversation the inbox showed, so a new message rings at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..account.posts import Followed
from ..account.watcher import WatchPlan
from ..rulefile.account import inbox_interval
from ..stream.session import URL_TOPIC_LIMIT
from ..stream.topics import Topic

if TYPE_CHECKING:
    from ..rulefile import RuleFile
    from ..stream.supervisor import StreamSupervisor

__all__ = ["GRAPHQL_KEY", "INBOX_KEY", "WORDS_PREFIX", "StreamTopics", "named_posts", "watch_plan"]

log = logging.getLogger(__name__)

# Where the watcher's inbox memory lives in the state file, beside the engine's entries.
INBOX_KEY = "account:inbox"
# What the web client learned of X's web app: query ids (and when), feature flags, header needs.
GRAPHQL_KEY = "account:graphql"
# Where the looked-up words of posts live: one entry per post, "account:words:<id>".
WORDS_PREFIX = "account:words:"


def watch_plan(ruleset: RuleFile) -> WatchPlan:
    """What the rules ask account watching to poll, and how often."""
    follows = tuple(Followed(f.account, f.within, f.max_posts, f.replies) for f in ruleset.follows)
    return WatchPlan(
        follows, ruleset.watches_any_dm, ruleset.any_dm_requests, ruleset.poll, inbox_interval(ruleset.poll),
    )


def named_posts(ruleset: RuleFile) -> tuple[str, ...]:
    """The posts the enabled rules name by id, in file order: those whose words are looked up."""
    return tuple(dict.fromkeys(post_id for rule in ruleset.rules for post_id in rule.tweets))


class StreamTopics:
    """The stream's topics: the rules' own, and a doorbell per known conversation while room is left.

    X takes at most twenty DM topics on a stream, so the most recently active
    conversations get a doorbell first; the others are still read by polling.
    """

    def __init__(self, rules: frozenset[str] = frozenset()) -> None:
        self._rules = rules
        self._conversations: tuple[str, ...] = ()
        self.supervisor: StreamSupervisor | None = None

    def rules_changed(self, topics: frozenset[str]) -> None:
        self._rules = topics
        self._ask()

    def conversations_changed(self, ids: Sequence[str]) -> None:
        self._conversations = tuple(ids)
        self._ask()

    def wanted(self) -> set[str]:
        topics = {topic for topic in self._rules if Topic.on_stream(topic)}
        room = URL_TOPIC_LIMIT - sum(1 for topic in topics if Topic.is_dm(topic))
        for conversation in self._conversations:
            if room <= 0:
                break
            try:
                doorbell = Topic.dm_update(conversation)
            except ValueError:  # an id the stream cannot name (XChat): polling alone reads it
                continue
            if doorbell not in topics:
                topics.add(doorbell)
                room -= 1
        return topics

    def _ask(self) -> None:
        if self.supervisor is not None:
            self.supervisor.request(self.wanted())
