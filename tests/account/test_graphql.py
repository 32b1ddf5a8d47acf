"""GraphQL query ids, their overrides and the request parameters."""

import json

import pytest

from notifier.account import DEFAULT_QUERY_IDS, FEATURES, OPERATIONS, query_ids
from notifier.account.graphql import request_params


def test_defaults_cover_every_operation():
    """Every operation has a default query id and nothing else does."""
    assert set(DEFAULT_QUERY_IDS) == set(OPERATIONS)
    assert query_ids() == dict(DEFAULT_QUERY_IDS)


def test_override_replaces_one_id():
    """An override replaces that operation's id and keeps the others."""
    ids = query_ids({"UserTweets": "NEWID"})
    assert ids["UserTweets"] == "NEWID"
    assert ids["UserByScreenName"] == DEFAULT_QUERY_IDS["UserByScreenName"]


@pytest.mark.parametrize("overrides", [{"UserTweetz": "x"}, {"UserTweets": ""}, {"UserTweets": "a/b"}, {"UserTweets": 5}])
def test_bad_overrides_are_refused(overrides):
    """Unknown operations and ids that cannot be a URL segment are a ValueError."""
    with pytest.raises(ValueError):
        query_ids(overrides)


def test_request_params_are_json_strings():
    """variables and features travel as JSON strings; the features are the shared set."""
    params = request_params({"screen_name": "me"})
    assert json.loads(params["variables"]) == {"screen_name": "me"}
    assert json.loads(params["features"]) == dict(FEATURES)
