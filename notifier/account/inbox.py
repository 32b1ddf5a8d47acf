"""Direct messages out of X's v1.1 DM inbox (``inbox_initial_state``, ``user_updates``).

Pure: JSON in, frozen values out, and never an exception. Both endpoints
answer the same body under a different key; ``user_updates`` leaves the key
out when nothing happened since the cursor. Only ``message`` entries become
messages: edits, reactions, reads and membership changes are not new words
from anyone. The account's own messages are included (the caller knows who
it is and filters on ``sender_id``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..untrusted import MAX_DM, MAX_NAME, clean, decode_entities
from .jsonvalues import count, dict_at, path, snowflake, snowflake_time

__all__ = ["Conversation", "DirectMessage", "InboxPage", "Sender", "parse_inbox"]

_SECTIONS = ("inbox_initial_state", "user_events")


@dataclass(frozen=True, slots=True)
class DirectMessage:
    """One message: who sent it where, what it says, and when (epoch seconds)."""

    id: str
    conversation_id: str
    sender_id: str
    text: str
    time: float


@dataclass(frozen=True, slots=True)
class Conversation:
    """A DM conversation; ``trusted=False`` is a message request not yet accepted."""

    id: str
    group: bool
    trusted: bool
    participants: tuple[str, ...]
    name: str | None


@dataclass(frozen=True, slots=True)
class Sender:
    """A user the inbox mentions: id, @handle (without the @) and display name."""

    id: str
    screen_name: str
    name: str


@dataclass(frozen=True, slots=True)
class InboxPage:
    """What one inbox answer holds; ``cursor`` asks ``user_updates`` for what comes after it.

    ``messages`` are sorted by id (X sends them in no reliable order);
    ``users`` and ``conversations`` are keyed by id and cover what this answer
    mentions, which need not be every conversation of a message.
    """

    cursor: str | None
    messages: tuple[DirectMessage, ...]
    users: Mapping[str, Sender]
    conversations: Mapping[str, Conversation]


_EMPTY = InboxPage(None, (), MappingProxyType({}), MappingProxyType({}))


def parse_inbox(body: Any) -> InboxPage:
    """The page of an ``inbox_initial_state`` or ``user_updates`` answer; empty if it has none."""
    section = next((path(body, key) for key in _SECTIONS if isinstance(path(body, key), dict)), None)
    if section is None:
        return _EMPTY
    cursor = section.get("cursor")
    entries = section.get("entries")
    messages: dict[str, DirectMessage] = {}
    for entry in entries if isinstance(entries, list) else ():
        message = _message(path(entry, "message"))
        if message is not None and message.id not in messages:
            messages[message.id] = message
    return InboxPage(
        cursor=cursor if isinstance(cursor, str) and cursor else None,
        messages=tuple(sorted(messages.values(), key=lambda m: int(m.id))),
        users=MappingProxyType(_users(section.get("users"))),
        conversations=MappingProxyType(_conversations(section.get("conversations"))),
    )


def _message(entry: Any) -> DirectMessage | None:
    data = dict_at(path(entry, "message_data"))
    message_id = snowflake(dict_at(entry).get("id")) or snowflake(data.get("id"))
    conversation_id = dict_at(entry).get("conversation_id")
    sender_id = snowflake(data.get("sender_id"))
    if message_id is None or sender_id is None:
        return None
    if not isinstance(conversation_id, str) or not conversation_id:
        return None
    text = data.get("text")
    return DirectMessage(
        id=message_id,
        conversation_id=conversation_id,
        sender_id=sender_id,
        # X escapes &, < and > in message text as in a post's full_text; decoded once,
        # here, and kept to X's own limit however much arrives.
        text=clean(decode_entities(text), MAX_DM) if isinstance(text, str) else "",
        time=_seconds(dict_at(entry).get("time"), data.get("time"), message_id),
    )


def _seconds(entry_ms: Any, data_ms: Any, message_id: str) -> float:
    """Epoch seconds from the entry's or the message's time (ms), else from the id itself."""
    for value in (entry_ms, data_ms):
        millis = count(value)
        if millis is not None:
            return millis / 1000
    return snowflake_time(message_id)


def _users(value: Any) -> dict[str, Sender]:
    users = {}
    for key, user in dict_at(value).items():
        user = dict_at(user)
        user_id = snowflake(user.get("id_str")) or snowflake(user.get("id")) or snowflake(key)
        screen_name, name = user.get("screen_name"), user.get("name")
        if user_id is None or not isinstance(screen_name, str) or not screen_name:
            continue
        users[user_id] = Sender(
            user_id, clean(screen_name, MAX_NAME), clean(name, MAX_NAME) if isinstance(name, str) else "",
        )
    return users


def _conversations(value: Any) -> dict[str, Conversation]:
    conversations = {}
    for key, conversation in dict_at(value).items():
        conversation = dict_at(conversation)
        conversation_id = conversation.get("conversation_id") or key
        if not isinstance(conversation_id, str) or not conversation_id:
            continue
        participants = conversation.get("participants")
        ids = (snowflake(path(p, "user_id")) for p in (participants if isinstance(participants, list) else ()))
        name = conversation.get("name")
        conversations[conversation_id] = Conversation(
            id=conversation_id,
            group=conversation.get("type") == "GROUP_DM",
            # Only message requests are marked untrusted; a missing flag is an ordinary conversation.
            trusted=conversation.get("trusted") is not False,
            participants=tuple(dict.fromkeys(i for i in ids if i is not None)),
            name=clean(name, MAX_NAME) if isinstance(name, str) and name else None,
        )
    return conversations
