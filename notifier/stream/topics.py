"""Topic strings for live_pipeline subscriptions, and notifier's own topics beside them.

The stream's topics (``/tweet_engagement/``, ``/dm_update/``, ``/dm_typing/``)
are subscribed on X. notifier's account source adds topics of its own that
events are routed on but that are never subscribed: ``/dm_message/<id>``
(messages read from the DM inbox) and ``/notifier/discovery`` (what account
watching found). :meth:`Topic.on_stream` tells them apart.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["Topic", "TopicKind", "tweet_id_of"]

TopicKind = Literal["tweet_engagement", "dm_update", "dm_typing"]

_TWEET_ID = re.compile(r"[0-9]{1,25}")
# A group conversation is one number; a one-to-one conversation joins two user ids.
_CONVERSATION_ID = re.compile(r"[0-9]{1,25}(?:-[0-9]{1,25})?")
_KINDS: tuple[TopicKind, ...] = ("tweet_engagement", "dm_update", "dm_typing")
# A post's address as the share button and the address bar give it: x.com or twitter.com (www., mobile.),
# the author or i/web, /status/<id>, then anything (/photo/1, ?s=20, #m).
_POST_URL = re.compile(
    r"(?:https?://)?(?:www\.|mobile\.)?(?:x|twitter)\.com/(?:[A-Za-z0-9_]{1,15}|i/web|i)"
    r"/status(?:es)?/([0-9]{1,25})(?:[/?#].*)?",
    re.IGNORECASE,
)
_SITE = re.compile(r"(?:https?://)?(?:www\.|mobile\.)?(?:x|twitter)\.com(?:/|$)", re.IGNORECASE)


def tweet_id_of(text: str) -> str:
    """The tweet id ``text`` names: the id itself, or the URL of the post.

    Raises ValueError for anything else, saying what a post's URL looks like
    when ``text`` is an address on x.com that is not one (a profile, a search).
    """
    text = text.strip()
    match = _POST_URL.fullmatch(text)
    if match is not None:
        return match.group(1)
    if _SITE.match(text) or "://" in text:
        raise ValueError(
            f"{text!r} is not the address of a post: a post's URL looks like "
            "https://x.com/<user>/status/1850000000000000000"
        )
    return _check_tweet_id(text)


def _check_tweet_id(tweet_id: str | int) -> str:
    if isinstance(tweet_id, bool) or not isinstance(tweet_id, (str, int)):
        raise ValueError(
            f"a tweet id must be a string of digits such as '1850000000000000000', "
            f"not {type(tweet_id).__name__}"
        )
    text = str(tweet_id)
    if not _TWEET_ID.fullmatch(text):
        raise ValueError(
            f"invalid tweet id {text!r}: a tweet id is digits only, "
            "such as '1850000000000000000' (the number at the end of the tweet's URL)"
        )
    return text


def _check_conversation_id(conversation_id: str | int) -> str:
    if isinstance(conversation_id, bool) or not isinstance(conversation_id, (str, int)):
        raise ValueError(
            "a conversation id must be a string such as '00000000' or "
            f"'00000000-00000001', not {type(conversation_id).__name__}"
        )
    text = str(conversation_id)
    if not _CONVERSATION_ID.fullmatch(text):
        raise ValueError(
            f"invalid conversation id {text!r}: use a group id such as '00000000' "
            "or two user ids joined by '-', such as '00000000-00000001'"
        )
    return text


class Topic:
    """Build and read topic strings such as ``/tweet_engagement/<tweet_id>``."""

    __slots__ = ()

    KINDS = _KINDS

    @staticmethod
    def tweet_engagement(tweet_id: str | int) -> str:
        """Topic of live like, repost, reply, quote and view counts of one tweet."""
        return f"/tweet_engagement/{_check_tweet_id(tweet_id)}"

    @staticmethod
    def dm_update(conversation_id: str | int) -> str:
        """Topic of new direct messages in one conversation."""
        return f"/dm_update/{_check_conversation_id(conversation_id)}"

    @staticmethod
    def dm_typing(conversation_id: str | int) -> str:
        """Topic of typing indicators in one conversation."""
        return f"/dm_typing/{_check_conversation_id(conversation_id)}"

    # What account watching found (a DiscoveryEvent); recorded, never subscribed.
    DISCOVERY = "/notifier/discovery"

    @staticmethod
    def dm_message(conversation_id: str | int) -> str:
        """notifier's topic of the messages the DM inbox shows in one conversation (never on the stream)."""
        return f"/dm_message/{_check_conversation_id(conversation_id)}"

    @staticmethod
    def on_stream(topic: str) -> bool:
        """True for topics X's stream serves; False for notifier's own (``/dm_message/``, ``/notifier/``)."""
        return topic.startswith(("/tweet_engagement/", "/dm_update/", "/dm_typing/"))

    @staticmethod
    def parse(topic: str) -> tuple[TopicKind, str]:
        """Return ``(kind, id)`` of a topic string; raise ValueError if it is not one."""
        if not isinstance(topic, str):
            raise ValueError(f"a topic is a string, not {type(topic).__name__}")
        parts = topic.split("/")
        if len(parts) != 3 or parts[0] != "" or parts[1] not in _KINDS:
            raise ValueError(
                f"invalid topic {topic!r}: expected /tweet_engagement/<tweet_id>, "
                "/dm_update/<conversation_id> or /dm_typing/<conversation_id>"
            )
        kind: TopicKind = parts[1]  # type: ignore[assignment]
        if kind == "tweet_engagement":
            return kind, _check_tweet_id(parts[2])
        return kind, _check_conversation_id(parts[2])

    @staticmethod
    def is_dm(topic: str) -> bool:
        """True for dm_update and dm_typing topics, which cannot be added to a running session."""
        return topic.startswith(("/dm_update/", "/dm_typing/"))
