"""One lookup per post: the words of the posts that rules name by id.

Account watching knows the text of every post it finds; a post a rule names
by its id (``tweets: ["1850…"]``) is known to the stream by its counts only.
When the rule file has an ``account`` (cookies), a :class:`PostLookup` asks X
once for each such post, so that default titles name it by its first words.
The answer (the words, or that X will not show the post) is kept in the state
file, one entry per post, so a restart does not ask again; entries of posts no
rule names any more are dropped, so the file holds at most what the rules
name. The lookup holds nothing up: it is a task of its own beside the stream,
and until the words are known titles name the post by its id. Without an
``account`` in the rule file nothing is looked up, and ``notifier replay``
never looks anything up (a replay makes no network calls).

Wire facts (not in ``x-web-api.md``; from public clients: the-convocation's
twitter-scraper ``src/api-data.ts`` (2026) and several x.com media userscripts
of 2025-26): ``GET /i/api/graphql/<queryId>/TweetResultByRestId`` with the
usual headers and ``features``, and ``variables`` ``{"tweetId": "<id>",
"withCommunity": false, "includePromotedContent": false, "withVoice": false}``.
The query id rotates like the others (``account.graphql.TweetResultByRestId``
replaces it). The answer's ``data.tweetResult.result`` is a tweet laid out as
in timelines (``Tweet``, ``TweetWithVisibilityResults`` around ``.tweet``,
``TweetTombstone``, ``TweetUnavailable``; ``legacy.full_text``,
``note_tweet…text``, ``core.user_results.result``); an empty ``tweetResult``
is a post X does not show.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from ..exceptions import QueryRejectedError, RateLimitedError, WebAPIError
from .timeline import LookedUp

__all__ = ["PostLookup", "read_words"]

log = logging.getLogger(__name__)

# What is kept of a post's text: far more than a title shows, bounded for the state file.
_KEPT = 1000
# The shortest wait after a 429 that did not say when the limit resets.
_MIN_WAIT = 1.0


def read_words(entries: Mapping[str, object]) -> dict[str, str | None]:
    """What :class:`PostLookup` saved, by post id: the words, or None when X does not show the post.

    An entry that does not read as one is left out: that post is looked up again.
    """
    words: dict[str, str | None] = {}
    for post_id, entry in entries.items():
        text = entry.get("text", False) if isinstance(entry, Mapping) else False
        if text is None or isinstance(text, str):
            words[post_id] = text
    return words


class PostLookup:
    """Looks up, once each, the posts the rules name by id; tells ``found`` their words.

    ``known`` is what earlier runs learned (:func:`read_words`); ``save`` gets
    what to keep, by post id (``{"text": …}``, or None to forget a post);
    ``retry`` is how long to wait after a failure before asking X again (the
    poll interval).
    """

    def __init__(
        self,
        client: _Client,
        *,
        found: Callable[[Mapping[str, str]], None],
        save: Callable[[Mapping[str, dict | None]], None],
        known: Mapping[str, str | None] | None = None,
        retry: float = 120.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._found = found
        self._save = save
        self._known: dict[str, str | None] = dict(known or {})
        self._retry = retry
        self._clock = clock
        self._wanted: tuple[str, ...] = ()
        # Post → when it may be asked about again, after an answer not understood.
        self._retry_at: dict[str, float] = {}
        # No post is asked about before this: X's limit is spent, or it rejected the query.
        self._paused_until = 0.0
        self._rejected = False
        self._wake = asyncio.Event()
        self._idle = False
        self.lookups = 0

    def words(self) -> dict[str, str]:
        """The words known of the posts wanted now."""
        return {post_id: text for post_id, text in self._known.items() if text}

    @property
    def idle(self) -> bool:
        """Nothing left to look up, waiting for more to be wanted: no request comes until then."""
        return self._idle

    def pending(self) -> tuple[str, ...]:
        """The posts wanted whose words are not known yet."""
        return tuple(post_id for post_id in self._wanted if post_id not in self._known)

    def want(self, post_ids: Iterable[str]) -> None:
        """Look up these posts (the rules' ids); forget what is known of the others."""
        wanted = tuple(dict.fromkeys(post_ids))
        keep = set(wanted)
        gone = [post_id for post_id in self._known if post_id not in keep]
        for post_id in gone:
            del self._known[post_id]
        if gone:
            self._save(dict.fromkeys(gone))
        self._wanted = wanted
        self._idle = False
        self._wake.set()

    def set_retry(self, seconds: float) -> None:
        """Wait this long after a failure from now on (a reloaded rule file's poll interval)."""
        self._retry = seconds

    async def run(self) -> None:
        """Look up what is wanted, then wait for more, until cancelled.

        AuthenticationError (cookies rejected) ends it, as it ends account watching.
        """
        log.info(
            "post words: %d known from the state file, %d to look up", len(self.words()), len(self.pending()),
            extra={"event": "post_lookup_started", "known": len(self.words()), "pending": len(self.pending())},
        )
        while True:
            self._wake.clear()
            post_id, wait = self._next()
            if post_id is not None:
                await self._look_up(post_id)
                continue
            self._idle = wait is None
            try:
                await asyncio.wait_for(self._wake.wait(), wait)
            except TimeoutError:
                pass
            self._idle = False

    def _next(self) -> tuple[str | None, float | None]:
        """The post to ask about now, or how long to wait (None: until more is wanted)."""
        now = self._clock()
        if self._paused_until > now:
            return None, self._paused_until - now
        pending = self.pending()
        if not pending:
            return None, None
        # Never asked first, then the one that failed longest ago: one post X
        # keeps answering strangely about does not hold up the others.
        post_id = min(pending, key=lambda p: self._retry_at.get(p, 0.0))
        due = self._retry_at.get(post_id, 0.0)
        return (post_id, None) if due <= now else (None, due - now)

    async def _look_up(self, post_id: str) -> None:
        now = self._clock()
        try:
            looked_up = await self._client.tweet_result(post_id)
        except RateLimitedError as exc:
            wait = max(exc.retry_after or 0.0, _MIN_WAIT)
            # From now, not from before the request: retry_after counts from X's answer, and a
            # pause that ended before the reset met the spent limit again (and logged it twice).
            self._paused_until = self._clock() + wait
            log.warning(
                "X's rate limit for looking up posts is spent: asking again in %.0f s", wait,
                extra={"event": "post_lookup_rate_limited", "retry_in": round(wait)},
            )
            return
        except QueryRejectedError as exc:
            self._paused_until = now + self._retry
            if not self._rejected:
                self._rejected = True
                log.error("%s; until then alerts name those posts by their id", exc,
                          extra={"event": "post_lookup_rejected"})
            return
        except WebAPIError as exc:
            self._paused_until = self._retry_at[post_id] = now + self._retry
            log.warning("looking up post %s failed: %s; trying again in %.0f s", post_id, exc, self._retry,
                        extra={"event": "post_lookup_failed", "post": post_id})
            return
        if self._rejected:
            self._rejected = False
            log.info("X answers TweetResultByRestId again", extra={"event": "post_lookup_recovered"})
        self._retry_at.pop(post_id, None)
        if post_id not in self._wanted:  # the rules changed while X was answering
            return
        self._learn(post_id, looked_up)

    def _learn(self, post_id: str, looked_up: LookedUp) -> None:
        text = looked_up.post.text.strip()[:_KEPT] if looked_up.post is not None else None
        self._known[post_id] = text
        self.lookups += 1
        self._save({post_id: {"text": text}})
        log.debug(
            "post %s looked up: %s", post_id, "its words are known" if text else "X shows no words of it",
            extra={"event": "post_looked_up", "post": post_id, "available": looked_up.post is not None},
        )
        if text:
            self._found({post_id: text})


class _Client(Protocol):
    """What the lookup uses of :class:`~notifier.account.web.XWebClient`."""

    async def tweet_result(self, post_id: str) -> LookedUp: ...
