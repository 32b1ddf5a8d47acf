"""The account source: an X account's posts and DM inbox, polled from X's web API, and the parsers of its answers.

May import the leaves and `notifier.stream.auth`/`stream.http`; never rules, delivery, rulefile or run.
"""

# It sits beside the live stream as a second source of events: the stream
# says quickly that counts moved or that a conversation changed, and polling
# finds what the stream cannot name (a new post, a new conversation, the text
# of a message). Parsing (:mod:`.timeline`, :mod:`.inbox`) is pure; the only
# I/O is :class:`~notifier.account.web.XWebClient`, which heals itself when X
# changes (:mod:`.healing`): it reads current query ids from the web app
# (:mod:`.webapp`) and computes the transaction header where X demands it
# (:mod:`.transaction`). GraphQL query ids and feature flags live in
# :mod:`.graphql`; :mod:`.identity` says who is signed in; :mod:`.watcher`
# decides when to ask, :mod:`.posts` which of an account's posts are watched
# and new, and :mod:`.lookup` asks once for the words of each post a rule
# names by id.
# It may import the leaves and ``notifier.stream.auth`` (cookies and headers);
# what it finds reaches the rules through the daemon's pipeline.

from .graphql import DEFAULT_QUERY_IDS, FEATURES, OPERATIONS, query_ids
from .inbox import Conversation, DirectMessage, InboxPage, Sender, parse_inbox
from .timeline import (
    LookedUp,
    Post,
    TimelinePage,
    User,
    parse_timeline,
    parse_tweet_result,
    parse_user,
)
from .web import DEFAULT_WEB_API_BASE, XWebClient

__all__ = [
    "DEFAULT_QUERY_IDS",
    "DEFAULT_WEB_API_BASE",
    "FEATURES",
    "OPERATIONS",
    "Conversation",
    "DirectMessage",
    "InboxPage",
    "LookedUp",
    "Post",
    "Sender",
    "TimelinePage",
    "User",
    "XWebClient",
    "parse_inbox",
    "parse_timeline",
    "parse_tweet_result",
    "parse_user",
    "query_ids",
]
