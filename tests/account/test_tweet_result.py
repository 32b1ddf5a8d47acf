"""One post by id (TweetResultByRestId): the answer's parsing, and the request's shape checked with respx."""

import json
import time

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.account import FEATURES, XWebClient
from notifier.account.timeline import LookedUp, parse_tweet_result
from notifier.exceptions import QueryRejectedError, WebAPIError
from notifier.stream.auth import Cookies

API = "https://x.test/i/api"
COOKIES = {"auth_token": "secret-auth-value", "ct0": "secret-csrf-value", "twid": "u%3D77"}
QUERY_ID = "zAz9764BcLZOJ0JU2wrd1A"
URL = f"{API}/graphql/{QUERY_ID}/TweetResultByRestId"


def answer(result):
    return {"data": {"tweetResult": {"result": result}}}


def tweet(rest_id="500", text="Launching today", **extra):
    return {
        "__typename": "Tweet",
        "rest_id": rest_id,
        "core": {"user_results": {"result": {"__typename": "User", "rest_id": "9", "core": {"screen_name": "brand"}}}},
        "legacy": {"full_text": text, "favorite_count": 12, "created_at": "Fri Jul 31 21:34:08 +0000 2026"},
        **extra,
    }


def test_a_tweet_gives_its_words_author_and_counts():
    """A plain Tweet is read like a timeline's: text, author, counts."""
    looked_up = parse_tweet_result(answer(tweet()))
    assert looked_up is not None and looked_up.post is not None
    assert (looked_up.post.id, looked_up.post.text, looked_up.post.author_id, looked_up.post.likes) == (
        "500", "Launching today", "9", 12,
    )


def test_a_visibility_wrapper_is_opened():
    """TweetWithVisibilityResults holds the tweet at .tweet."""
    looked_up = parse_tweet_result(answer({"__typename": "TweetWithVisibilityResults", "tweet": tweet()}))
    assert looked_up is not None and looked_up.post is not None and looked_up.post.text == "Launching today"


def test_a_long_post_gives_its_whole_text_from_note_tweet():
    """A long post's full_text is cut; the note_tweet text is the whole post."""
    whole = "Launching today " + "and more " * 60
    note = {"note_tweet_results": {"result": {"text": whole}}}
    looked_up = parse_tweet_result(answer(tweet(text=whole[:275], note_tweet=note)))
    assert looked_up is not None and looked_up.post is not None and looked_up.post.text == whole


@pytest.mark.parametrize(
    "body",
    [
        answer({"__typename": "TweetTombstone", "tombstone": {"text": {"text": "This Post was deleted."}}}),
        answer({"__typename": "TweetUnavailable", "reason": "Protected"}),
        answer({"__typename": "TweetWithVisibilityResults", "tweet": {"__typename": "TweetTombstone"}}),
        {"data": {"tweetResult": {}}},
    ],
    ids=["tombstone", "unavailable", "wrapped-tombstone", "empty"],
)
def test_a_post_x_will_not_show_is_unavailable(body):
    """Tombstones, TweetUnavailable and an empty tweetResult say: X will not show this post."""
    assert parse_tweet_result(body) == LookedUp(None)


@pytest.mark.parametrize(
    "body",
    [None, [], "x", {}, {"data": None}, {"data": {"tweetResult": []}}, answer({"__typename": "Tweet"}),
     answer({"rest_id": "abc"}), answer(["Tweet"])],
)
def test_an_answer_not_understood_is_none(body):
    """Shapes that are neither a post nor 'unavailable' are unreadable (None), not a crash."""
    assert parse_tweet_result(body) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["data", "tweetResult", "result", "__typename", "tweet", "rest_id", "legacy", "full_text",
                         "note_tweet", "note_tweet_results", "text", "core"]), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_garbage_never_raises(body):
    """Whatever X sends, the parser returns a LookedUp or None."""
    assert parse_tweet_result(body) is None or isinstance(parse_tweet_result(body), LookedUp)


@pytest.fixture
async def client():
    # Ids found just now: the client does not read x.com's web app, which these unit tests do not mock.
    web = XWebClient(Cookies.from_mapping(COOKIES), api_base=API, learned={"found_at": time.time()})
    yield web
    await web.aclose()


@respx.mock
async def test_the_request_asks_as_the_web_app_does(client):
    """GET graphql/<id>/TweetResultByRestId with the post's variables, the shared features and the session's headers."""
    route = respx.get(URL).mock(return_value=httpx.Response(200, json=answer(tweet("1850"))))
    looked_up = await client.tweet_result("1850")
    assert looked_up.post is not None and looked_up.post.id == "1850"
    request = route.calls.last.request
    assert json.loads(request.url.params["variables"]) == {
        "tweetId": "1850", "withCommunity": False, "includePromotedContent": False, "withVoice": False,
    }
    assert json.loads(request.url.params["features"]) == dict(FEATURES)
    assert request.headers["x-csrf-token"] == "secret-csrf-value"
    assert request.headers["authorization"].startswith("Bearer ")
    assert "auth_token=secret-auth-value" in request.headers["cookie"]


@respx.mock
async def test_a_stale_query_id_names_the_setting():
    """A 404 is a QueryRejectedError naming account.graphql.TweetResultByRestId; an override is the id used."""
    web = XWebClient(
        Cookies.from_mapping(COOKIES), api_base=API, query_ids={"TweetResultByRestId": "NewId"},
        learned={"found_at": time.time()},
    )
    route = respx.get(f"{API}/graphql/NewId/TweetResultByRestId").mock(return_value=httpx.Response(404))
    # Before giving up the client looks for what the header X may want is computed from: not there.
    respx.get(url__regex=r".*/home$").mock(return_value=httpx.Response(404))
    with pytest.raises(QueryRejectedError, match=r"account\.graphql\.TweetResultByRestId"):
        await web.tweet_result("1850")
    assert route.called
    await web.aclose()


@respx.mock
async def test_an_answer_not_understood_is_a_web_api_error(client):
    """A 200 whose body is no post and no 'unavailable' is a WebAPIError naming the post."""
    respx.get(URL).mock(return_value=httpx.Response(200, json={"data": {}}))
    with pytest.raises(WebAPIError, match="1850"):
        await client.tweet_result("1850")


async def test_an_id_that_is_not_digits_is_refused(client):
    """A post id goes into the variables only if it is a snowflake."""
    with pytest.raises(ValueError, match="digits"):
        await client.tweet_result("18 50")
