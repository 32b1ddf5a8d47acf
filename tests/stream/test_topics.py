"""Topic helpers build, check and parse topic strings."""

import pytest

from notifier import Topic


def test_builders():
    """Each builder returns the documented topic string."""
    assert Topic.tweet_engagement("1850000000000000000") == "/tweet_engagement/1850000000000000000"
    assert Topic.tweet_engagement(1850000000000000000) == "/tweet_engagement/1850000000000000000"
    assert Topic.dm_update("00000000-00000001") == "/dm_update/00000000-00000001"
    assert Topic.dm_typing("00000000") == "/dm_typing/00000000"


@pytest.mark.parametrize("bad", ["", "12a", "1/2", "-1", "1.5", True, None])
def test_bad_tweet_id(bad):
    """A tweet id that is not digits is refused with what a valid one looks like."""
    with pytest.raises(ValueError, match="tweet id"):
        Topic.tweet_engagement(bad)


@pytest.mark.parametrize("bad", ["", "1-2-3", "a-b", "1-", "-1", "1/2"])
def test_bad_conversation_id(bad):
    """A conversation id must be N or N-M."""
    with pytest.raises(ValueError, match="00000000-00000001"):
        Topic.dm_update(bad)


def test_parse_round_trip():
    """parse returns the kind and id a builder was given."""
    assert Topic.parse(Topic.tweet_engagement("42")) == ("tweet_engagement", "42")
    assert Topic.parse(Topic.dm_typing("1-2")) == ("dm_typing", "1-2")
    with pytest.raises(ValueError):
        Topic.parse("/system/config")
    assert Topic.is_dm("/dm_update/1") and not Topic.is_dm("/tweet_engagement/1")
