"""What the fake X web API holds (users, posts, messages) and the JSON it answers with.

Kept apart from the server in ``x_web.py``: this is the shape of X's answers
as ``x-web-api.md`` describes them (users with ``core``, timelines under
``timeline.timeline.instructions``, the v1.1 inbox body) and one post by id
(``TweetResultByRestId``, see ``notifier/account/lookup.py``), built from
plain state the fake's controls change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = ["CURSOR_PREFIX", "DM_CURSOR_PREFIX", "Conversation", "Message", "Post", "World"]

CURSOR_PREFIX = "fake-bottom-"
DM_CURSOR_PREFIX = "fake-dm-"
_ADVERTISER_ID = "99"
# What legacy.full_text holds of a long post; the whole text is in note_tweet.
_NOTE_PREVIEW = 275


@dataclass
class Post:
    """A post, or (``kind``) a tombstone, an ad or a post X will not show, in ``author_id``'s timeline.

    ``note``: a long post, whose whole text X sends in ``note_tweet`` only.
    """

    id: str
    author_id: str
    text: str
    created_at: float
    counts: dict[str, int]
    reply_to: str | None = None
    repost_of: str | None = None
    pinned: bool = False
    kind: str = "post"  # or "tombstone", "promoted", "unavailable"
    wrapped: bool = False
    note: bool = False


@dataclass
class Message:
    """A DM; ``time`` in epoch seconds."""

    id: str
    conversation_id: str
    sender_id: str
    text: str
    time: float


@dataclass
class Conversation:
    """A DM conversation; ``trusted=False`` is a message request."""

    id: str
    group: bool
    trusted: bool
    participants: list[str]


@dataclass
class World:
    """Everything the fake serves; ``page_size`` entries per timeline page."""

    users: dict[str, tuple[str, str]]  # id -> (screen_name, name)
    page_size: int
    posts: dict[str, Post] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    conversations: dict[str, Conversation] = field(default_factory=dict)

    def user_answer(self, screen_name: str) -> dict[str, Any]:
        """A UserByScreenName answer; ``{"data": {}}`` for a handle nobody has."""
        for user_id, (name, _) in self.users.items():
            if name.lower() == screen_name.lower():
                return {"data": {"user": {"result": self._user(user_id)}}}
        return {"data": {}}

    def _user(self, user_id: str) -> dict[str, Any]:
        screen_name, name = self.users.get(user_id, (f"user{user_id}", f"User {user_id}"))
        return {
            "__typename": "User",
            "id": f"VXNlcjo{user_id}",
            "rest_id": user_id,
            "core": {"screen_name": screen_name, "name": name, "created_at": "Tue Mar 01 00:00:00 +0000 2016"},
            "legacy": {"followers_count": 10, "statuses_count": 1},
        }

    def timeline_answer(self, user_id: str, cursor: Any, replies: bool) -> dict[str, Any]:
        """A UserTweets (``replies``: UserTweetsAndReplies) page, newest first, after ``cursor``."""
        own = sorted(
            (p for p in self.posts.values() if p.author_id == user_id and p.kind != "promoted"),
            key=lambda p: int(p.id),
            reverse=True,
        )
        pinned = next((p for p in own if p.pinned), None)
        shown = [p for p in own if p is not pinned and (replies or self._in_user_tweets(p))]
        ads = [p for p in self.posts.values() if p.kind == "promoted" and p.author_id == user_id]
        for ad in ads:  # an ad sits where it was added among the posts
            shown.insert(sum(1 for p in shown if int(p.id) > int(ad.id)), ad)
        start = 0
        if isinstance(cursor, str) and cursor.startswith(CURSOR_PREFIX) and cursor[len(CURSOR_PREFIX) :].isdigit():
            start = int(cursor[len(CURSOR_PREFIX) :])
        chunk = shown[start : start + self.page_size]
        entries = [self._entry(post, module) for module, post in enumerate(chunk, start)]
        entries.append({"entryId": f"cursor-top-{start}", "content": {"cursorType": "Top", "value": f"fake-top-{start}"}})
        bottom = f"{CURSOR_PREFIX}{start + len(chunk)}"
        entries.append({"entryId": f"cursor-bottom-{start}", "content": {"cursorType": "Bottom", "value": bottom}})
        instructions: list[dict[str, Any]] = [{"type": "TimelineClearCache"}]
        if pinned is not None and cursor is None:
            entry = self._entry(pinned, 0)
            entry["content"]["itemContent"]["socialContext"] = {"type": "TimelineGeneralContext", "contextType": "Pin"}
            instructions.append({"type": "TimelinePinEntry", "entry": entry})
        instructions.append({"type": "TimelineAddEntries", "entries": entries})
        timeline = {"timeline": {"instructions": instructions, "metadata": {"scribeConfig": {"page": "profileBest"}}}}
        return {"data": {"user": {"result": {"__typename": "User", "timeline": timeline}}}}

    def tweet_answer(self, post_id: str) -> dict[str, Any]:
        """A TweetResultByRestId answer; an empty ``tweetResult`` for a post nobody has."""
        post = self.posts.get(post_id)
        if post is None or post.kind == "promoted":
            return {"data": {"tweetResult": {}}}
        return {"data": {"tweetResult": {"result": self._tweet(post)}}}

    def _in_user_tweets(self, post: Post) -> bool:
        """UserTweets shows replies only within the account's own threads."""
        parent = self.posts.get(post.reply_to) if post.reply_to else None
        return post.reply_to is None or (parent is not None and parent.author_id == post.author_id)

    def _entry(self, post: Post, module: int) -> dict[str, Any]:
        if post.kind == "promoted":
            item = {"itemType": "TimelineTweet", "tweet_results": {"result": self._tweet(post)},
                    "promotedMetadata": {"advertiser_results": {"result": self._user(_ADVERTISER_ID)}}}
            return {"entryId": f"promoted-tweet-{post.id}-5f3a", "content": {"entryType": "TimelineTimelineItem", "itemContent": item}}
        if post.reply_to is not None:
            thread = [p for p in (self.posts.get(post.reply_to), post) if p is not None]
            items = [
                {"entryId": f"profile-conversation-{module}-tweet-{p.id}",
                 "item": {"itemContent": {"itemType": "TimelineTweet", "tweet_results": {"result": self._tweet(p)}}}}
                for p in thread
            ]
            return {"entryId": f"profile-conversation-{module}", "content": {"entryType": "TimelineTimelineModule", "items": items}}
        item = {"itemType": "TimelineTweet", "tweet_results": {"result": self._tweet(post)}}
        return {"entryId": f"tweet-{post.id}", "content": {"entryType": "TimelineTimelineItem", "itemContent": item}}

    def _tweet(self, post: Post, nested: bool = False) -> dict[str, Any]:
        if post.kind == "tombstone":
            return {"__typename": "TweetTombstone", "tombstone": {"__typename": "TextTombstone", "text": {"text": "This Post was deleted by the Post author."}}}
        if post.kind == "unavailable":
            return {"__typename": "TweetUnavailable", "reason": "Protected"}
        author = post.author_id if post.kind != "promoted" else _ADVERTISER_ID
        legacy: dict[str, Any] = {
            "id_str": post.id,
            "user_id_str": author,
            "created_at": datetime.fromtimestamp(post.created_at, timezone.utc).strftime("%a %b %d %H:%M:%S +0000 %Y"),
            "full_text": post.text or "an ad",
            "favorite_count": post.counts.get("likes", 0),
            "retweet_count": post.counts.get("retweets", 0),
            "reply_count": post.counts.get("replies", 0),
            "quote_count": post.counts.get("quotes", 0),
            "lang": "en",
        }
        if post.reply_to is not None:
            parent = self.posts.get(post.reply_to)
            legacy["in_reply_to_status_id_str"] = post.reply_to
            if parent is not None:
                legacy["in_reply_to_user_id_str"] = parent.author_id
        original = self.posts.get(post.repost_of) if post.repost_of else None
        if original is not None and not nested:
            handle = self.users.get(original.author_id, (f"user{original.author_id}", ""))[0]
            legacy["full_text"] = f"RT @{handle}: {original.text}"
            legacy["retweeted_status_result"] = {"result": self._tweet(original, nested=True)}
        tweet: dict[str, Any] = {
            "__typename": "Tweet",
            "rest_id": post.id,
            "core": {"user_results": {"result": self._user(author)}},
            "views": {"count": str(post.counts.get("views", 0)), "state": "EnabledWithCount"},
            "is_translatable": False,
            "legacy": legacy,
        }
        if post.note:
            legacy["full_text"] = post.text[:_NOTE_PREVIEW]
            tweet["note_tweet"] = {"is_expandable": True, "note_tweet_results": {"result": {"id": f"Tm90ZV{post.id}", "text": post.text}}}
        return {"__typename": "TweetWithVisibilityResults", "tweet": tweet} if post.wrapped else tweet

    def inbox(self, messages: list[Message], initial: bool) -> dict[str, Any]:
        """The inbox body holding ``messages``; its cursor is past every message so far."""
        conversations = (
            self.conversations
            if initial
            else {m.conversation_id: self.conversations[m.conversation_id] for m in messages}
        )
        user_ids = {u for c in conversations.values() for u in c.participants} | {m.sender_id for m in messages}
        last = self.messages[-1].id if self.messages else "0"
        body: dict[str, Any] = {
            "cursor": f"{DM_CURSOR_PREFIX}{len(self.messages)}",
            "last_seen_event_id": last,
            "trusted_last_seen_event_id": last,
            "untrusted_last_seen_event_id": last,
            # Newest first, as X often sends them; clients must sort.
            "entries": [self._message(m) for m in reversed(messages)],
            "users": {u: self._dm_user(u) for u in sorted(user_ids)},
            "conversations": {c.id: self._conversation(c) for c in conversations.values()},
        }
        if initial:
            body["status"] = "AT_END"
            body["inbox_timelines"] = {
                "trusted": {"status": "AT_END", "min_entry_id": last},
                "untrusted": {"status": "AT_END", "min_entry_id": last},
            }
        return body

    def _message(self, message: Message) -> dict[str, Any]:
        millis = str(int(message.time * 1000))
        conversation = self.conversations[message.conversation_id]
        data: dict[str, Any] = {
            "id": message.id,
            "time": str(int(message.time) * 1000),
            "sender_id": message.sender_id,
            "text": message.text,
            "edit_count": 0,
            "is_edited": False,
        }
        if not conversation.group:
            others = [u for u in conversation.participants if u != message.sender_id]
            if others:
                data["recipient_id"] = others[0]
        return {
            "message": {
                "id": message.id,
                "time": millis,
                "affects_sort": True,
                "request_id": f"req-{message.id}",
                "conversation_id": message.conversation_id,
                "message_data": data,
            }
        }

    def _dm_user(self, user_id: str) -> dict[str, Any]:
        screen_name, name = self.users.get(user_id, (f"user{user_id}", f"User {user_id}"))
        return {"id": int(user_id), "id_str": user_id, "screen_name": screen_name, "name": name}

    def _conversation(self, conversation: Conversation) -> dict[str, Any]:
        body: dict[str, Any] = {
            "conversation_id": conversation.id,
            "type": "GROUP_DM" if conversation.group else "ONE_TO_ONE",
            "trusted": conversation.trusted,
            "low_quality": False,
            "muted": False,
            "participants": [{"user_id": u} for u in conversation.participants],
        }
        if conversation.group:
            body["name"] = f"Group {conversation.id}"
        return body
