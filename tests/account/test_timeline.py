"""Parsing users and timeline pages out of X's GraphQL answers, on the reference's shapes."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.account import Post, TimelinePage, User, parse_timeline, parse_user

# The UserTweets page of x-web-api.md §5: pinned 100, tweet 400, retweet 300, self-reply 210, cursor.
REFERENCE_PAGE = json.loads(
    """
{"data":{"user":{"result":{"timeline":{"timeline":{"instructions":[
 {"type":"TimelineClearCache"},
 {"type":"TimelinePinEntry","entry":{"entryId":"tweet-100","content":{"itemContent":{"socialContext":{"contextType":"Pin"},"tweet_results":{"result":{"__typename":"Tweet","rest_id":"100"}}}}}},
 {"type":"TimelineAddEntries","entries":[
  {"entryId":"tweet-400","content":{"itemContent":{"tweet_results":{"result":{"__typename":"Tweet","rest_id":"400","views":{"count":"57"},"core":{"user_results":{"result":{"rest_id":"9"}}},"legacy":{"created_at":"Fri Jul 31 21:34:08 +0000 2026","full_text":"hi","favorite_count":3,"retweet_count":0,"reply_count":1,"quote_count":0}}}}}},
  {"entryId":"tweet-300","content":{"itemContent":{"tweet_results":{"result":{"__typename":"Tweet","rest_id":"300","legacy":{"full_text":"RT @bob: x","retweeted_status_result":{"result":{"rest_id":"250"}}}}}}}},
  {"entryId":"profile-conversation-7","content":{"items":[{"item":{"itemContent":{"tweet_results":{"result":{"__typename":"Tweet","rest_id":"210","legacy":{"in_reply_to_status_id_str":"200","in_reply_to_user_id_str":"9"}}}}}}]}},
  {"entryId":"cursor-bottom-1","content":{"cursorType":"Bottom","value":"DAAHCgAB"}}]}]}}}}}}
"""
)


def page(*instructions, key="timeline"):
    return {"data": {"user": {"result": {key: {"timeline": {"instructions": list(instructions)}}}}}}


def add_entries(*entries):
    return {"type": "TimelineAddEntries", "entries": list(entries)}


def tweet_entry(result, entry_id=None):
    rest_id = result.get("rest_id", "0")
    return {"entryId": entry_id or f"tweet-{rest_id}", "content": {"itemContent": {"tweet_results": {"result": result}}}}


def tweet(rest_id, **legacy):
    return {"__typename": "Tweet", "rest_id": rest_id, "legacy": {"full_text": f"post {rest_id}", **legacy}}


def ids(result: TimelinePage) -> list[str]:
    return [post.id for post in result.posts]


def test_user_from_core():
    """A 2026 UserByScreenName answer gives id, handle and name from ``core``."""
    body = {"data": {"user": {"result": {"__typename": "User", "rest_id": "9", "core": {"screen_name": "me", "name": "Me"}}}}}
    assert parse_user(body) == User("9", "me", "Me")


def test_user_from_legacy():
    """A pre-2026 answer with ``legacy`` instead of ``core`` still gives the user."""
    body = {"data": {"user": {"result": {"rest_id": "9", "legacy": {"screen_name": "old", "name": "Old"}}}}}
    assert parse_user(body) == User("9", "old", "Old")


def test_user_unavailable_or_missing_is_none():
    """An unavailable, empty or handle-less user answer is None, not an error."""
    assert parse_user({"data": {"user": {"result": {"__typename": "UserUnavailable", "rest_id": "9"}}}}) is None
    assert parse_user({"data": {}}) is None
    assert parse_user({"data": {"user": {"result": {"rest_id": "9", "core": {}}}}}) is None


def test_reference_page():
    """The reference's example page yields every post with its kind and the Bottom cursor."""
    result = parse_timeline(REFERENCE_PAGE)
    assert ids(result) == ["100", "400", "300", "210"]
    assert result.cursor == "DAAHCgAB"
    pinned, post, repost, reply = result.posts
    assert pinned.pinned and not post.pinned
    assert post == Post(
        id="400", author_id="9", created_at=1785533648.0, text="hi", likes=3, retweets=0, replies=1,
        quotes=0, views=57, reply=False, repost=False, pinned=False,
    )
    assert repost.repost and not repost.reply
    assert reply.reply and not reply.repost


def test_timeline_v2_is_read():
    """The pre-2026 ``timeline_v2`` key holds the same instructions."""
    result = parse_timeline(page(add_entries(tweet_entry(tweet("5"))), key="timeline_v2"))
    assert ids(result) == ["5"]


def test_visibility_wrapper_is_unwrapped():
    """A TweetWithVisibilityResults gives the tweet inside it."""
    wrapped = {"__typename": "TweetWithVisibilityResults", "tweet": tweet("6", favorite_count=2)}
    result = parse_timeline(page(add_entries(tweet_entry(wrapped, "tweet-6"))))
    assert [(p.id, p.likes) for p in result.posts] == [("6", 2)]


def test_tombstones_unavailable_and_empty_results_are_skipped():
    """Tombstones, unavailable tweets and empty results are left out without error."""
    result = parse_timeline(
        page(
            add_entries(
                tweet_entry({"__typename": "TweetTombstone", "tombstone": {"text": {"text": "gone"}}}, "tweet-1"),
                tweet_entry({"__typename": "TweetUnavailable", "rest_id": "2"}, "tweet-2"),
                tweet_entry({}, "tweet-3"),
                tweet_entry(tweet("4")),
            )
        )
    )
    assert ids(result) == ["4"]


def test_promoted_and_suggestion_entries_are_skipped():
    """Ads, who-to-follow, modules and message prompts never become posts."""
    ad = tweet_entry(tweet("7"), "promoted-tweet-7-ab12")
    ad_by_metadata = {"entryId": "tweet-8", "content": {"itemContent": {"promotedMetadata": {"advertiser": 1}, "tweet_results": {"result": tweet("8")}}}}
    others = [tweet_entry(tweet(str(n)), f"{prefix}{n}") for n, prefix in ((11, "who-to-follow-"), (12, "module-"), (13, "messageprompt-"))]
    result = parse_timeline(page(add_entries(ad, ad_by_metadata, *others, tweet_entry(tweet("9")))))
    assert ids(result) == ["9"]


def test_cursor_entries_give_only_the_bottom_value():
    """Top cursors are ignored; the Bottom cursor (also inside itemContent or a replace entry) is returned."""
    top = {"entryId": "cursor-top-1", "content": {"cursorType": "Top", "value": "TOP"}}
    inner = {"entryId": "cursor-bottom-2", "content": {"itemContent": {"cursorType": "Bottom", "value": "INNER"}}}
    assert parse_timeline(page(add_entries(top, inner))).cursor == "INNER"
    replaced = {"type": "TimelineReplaceEntry", "entry": {"entryId": "cursor-bottom-3", "content": {"cursorType": "Bottom", "value": "NEW"}}}
    assert parse_timeline(page(add_entries(top, inner), replaced)).cursor == "NEW"
    assert parse_timeline(page(add_entries(top))).cursor is None


def test_legacy_null_reads_fields_at_the_top_level():
    """With ``legacy: null`` the fields are read from the result itself."""
    result = {
        "__typename": "Tweet", "rest_id": "20", "legacy": None, "full_text": "top level",
        "favorite_count": 12, "created_at": "Sat Aug 01 10:00:00 +0000 2026", "user_id_str": "9",
        "in_reply_to_status_id_str": "19",
    }
    (post,) = parse_timeline(page(add_entries(tweet_entry(result)))).posts
    assert (post.text, post.likes, post.author_id, post.reply) == ("top level", 12, "9", True)
    assert post.created_at == 1785578400.0


def test_long_posts_use_note_tweet_text():
    """A long post's full text comes from note_tweet, not the truncated full_text."""
    result = tweet("21", full_text="Short…")
    result["note_tweet"] = {"note_tweet_results": {"result": {"text": "The whole long text"}}}
    assert parse_timeline(page(add_entries(tweet_entry(result)))).posts[0].text == "The whole long text"


def test_missing_counts_are_none():
    """Counts X did not send stay None rather than 0."""
    (post,) = parse_timeline(page(add_entries(tweet_entry({"__typename": "Tweet", "rest_id": "22"})))).posts
    assert (post.likes, post.views, post.created_at, post.text) == (None, None, None, "")


def test_duplicates_keep_the_first_and_any_pin():
    """A post seen twice appears once, in its first place, pinned if either copy was."""
    pin = {"type": "TimelinePinEntry", "entry": tweet_entry(tweet("30"))}
    result = parse_timeline(page(add_entries(tweet_entry(tweet("31")), tweet_entry(tweet("30", favorite_count=1))), pin))
    assert ids(result) == ["31", "30"]
    assert result.posts[1].pinned and result.posts[1].likes == 1


def test_zero_post_user_without_entries():
    """A user with no posts (an AddEntries without ``entries``) gives an empty page."""
    assert parse_timeline(page({"type": "TimelineAddEntries"})) == TimelinePage((), None)
    assert parse_timeline(page()) == TimelinePage((), None)


def test_garbage_of_every_type_gives_empty_results():
    """Any JSON value that is not a timeline gives an empty page and no user."""
    garbage = [None, True, 0, 1.5, "x", [], {}, [{}], {"data": None}, {"data": {"user": []}},
               {"data": {"user": {"result": {"timeline": {"timeline": {"instructions": "no"}}}}}},
               page(None, 1, "x", {"type": "TimelineAddEntries", "entries": [None, 1, {"content": "x"}]}),
               page(add_entries(tweet_entry({"__typename": "Tweet", "rest_id": "1" * 5000})))]
    for body in garbage:
        assert parse_timeline(body) == TimelinePage((), None)
        assert parse_user(body) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(
        ["data", "user", "result", "timeline", "timeline_v2", "instructions", "type", "entries", "entry",
         "entryId", "content", "itemContent", "items", "item", "tweet_results", "tweet", "rest_id", "legacy",
         "__typename", "core", "user_results", "views", "count", "cursorType", "value", "created_at",
         "favorite_count", "note_tweet", "retweeted_status_result", "socialContext", "promotedMetadata"]
    ) | st.text(max_size=4), inner, max_size=5),
    max_leaves=40,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_parsers_never_raise(body):
    """parse_timeline and parse_user return a value for any JSON whatsoever."""
    assert isinstance(parse_timeline(body), TimelinePage)
    assert parse_user(body) is None or isinstance(parse_user(body), User)


def _nodes(value, trail=()):
    yield trail
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from _nodes(child, (*trail, key))


REFERENCE_NODES = list(_nodes(REFERENCE_PAGE))[1:]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(REFERENCE_NODES), json_values)
def test_reference_page_with_any_part_replaced_never_raises(trail, replacement):
    """Replacing any one part of a real page by any JSON value still parses without error."""
    body = json.loads(json.dumps(REFERENCE_PAGE))
    holder = body
    for key in trail[:-1]:
        holder = holder[key]
    holder[trail[-1]] = replacement
    assert isinstance(parse_timeline(body), TimelinePage)
