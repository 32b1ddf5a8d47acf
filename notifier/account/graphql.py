"""GraphQL query ids and feature flags of X's web API: the one place they live.

X rotates both without notice. A stale query id gets an empty 404; a
feature flag X newly requires gets a 400 ("The following features cannot be
null"). The ids below are those of twscrape 0.20.1 (2026-08), the most recent
public client, except ``TweetResultByRestId`` (which twscrape does not use):
its id is the one public web userscripts sent in 2025-26 (see
:mod:`.lookup`), and ``Viewer`` (who is signed in, :mod:`.identity`). The rule file can replace any of them (``account.graphql``)
without a release, and :func:`query_ids` merges those overrides.

Extra feature flags are tolerated by X, so :data:`FEATURES` errs on the side of
sending more rather than fewer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

__all__ = [
    "DEFAULT_QUERY_IDS",
    "FEATURES",
    "OPERATIONS",
    "missing_features",
    "query_ids",
    "request_params",
]

_CANNOT_BE_NULL = re.compile(r"features cannot be null:\s*([\w\s,]{1,4000})", re.I)
_FEATURE_NAME = re.compile(r"[a-z][a-z0-9_]{2,120}")
# X names a handful at a time; a list of hundreds is not a real answer.
_MAX_LEARNED = 50

OPERATIONS: tuple[str, ...] = (
    "UserByScreenName", "UserTweets", "UserTweetsAndReplies", "TweetResultByRestId", "Viewer",
)

DEFAULT_QUERY_IDS: Mapping[str, str] = MappingProxyType(
    {
        "UserByScreenName": "Gb-d6r0vxPOADdG62OEBpQ",
        "UserTweets": "SXVCYB8XHSS25nzIljNtZA",
        "UserTweetsAndReplies": "qUpkZU6eN8MbtQb7rC_pYg",
        "TweetResultByRestId": "zAz9764BcLZOJ0JU2wrd1A",
        # Who is signed in, when account/settings.json will not say (2026); public 2026 scripts'
        # fallback. Clients read it from the web app's scripts, as notifier does when it is stale.
        "Viewer": "_8ClT24oZ8tpylf_OSuNdg",
    }
)

# One set for every operation, as the web app's bundles share most of them.
FEATURES: Mapping[str, bool] = MappingProxyType(
    {
        "articles_preview_enabled": True,
        "c9s_tweet_anatomy_moderator_badge_enabled": True,
        "communities_web_enable_tweet_community_results_fetch": True,
        "creator_subscriptions_quote_tweet_preview_enabled": False,
        "creator_subscriptions_tweet_preview_api_enabled": True,
        "freedom_of_speech_not_reach_fetch_enabled": True,
        "graphql_is_translatable_rweb_tweet_is_translatable_enabled": True,
        "hidden_profile_subscriptions_enabled": True,
        "highlights_tweets_tab_ui_enabled": True,
        "longform_notetweets_consumption_enabled": True,
        "longform_notetweets_inline_media_enabled": True,
        "longform_notetweets_rich_text_read_enabled": True,
        "payments_enabled": False,
        "premium_content_api_read_enabled": False,
        "profile_label_improvements_pcf_label_in_post_enabled": True,
        "responsive_web_edit_tweet_api_enabled": True,
        "responsive_web_enhance_cards_enabled": False,
        "responsive_web_graphql_exclude_directive_enabled": True,
        "responsive_web_graphql_skip_user_profile_image_extensions_enabled": False,
        "responsive_web_graphql_timeline_navigation_enabled": True,
        "responsive_web_grok_analysis_button_from_backend": True,
        "responsive_web_grok_analyze_button_fetch_trends_enabled": False,
        "responsive_web_grok_analyze_post_followups_enabled": True,
        "responsive_web_grok_image_annotation_enabled": True,
        # Required since 2025-08: X answered 400/336 without it.
        "responsive_web_grok_imagine_annotation_enabled": True,
        "responsive_web_grok_share_attachment_enabled": True,
        "responsive_web_grok_show_grok_translated_post": False,
        "responsive_web_jetfuel_frame": False,
        "responsive_web_twitter_article_notes_tab_enabled": True,
        "responsive_web_twitter_article_tweet_consumption_enabled": True,
        "rweb_tipjar_consumption_enabled": True,
        "rweb_video_screen_enabled": False,
        "standardized_nudges_misinfo": True,
        "subscriptions_feature_can_gift_premium": True,
        "subscriptions_verification_info_is_identity_verified_enabled": True,
        "subscriptions_verification_info_verified_since_enabled": True,
        "tweet_awards_web_tipping_enabled": False,
        "tweet_with_visibility_results_prefer_gql_limited_actions_policy_enabled": True,
        "verified_phone_label_enabled": False,
        "view_counts_everywhere_api_enabled": True,
    }
)


def query_ids(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The query id of every operation: the defaults, replaced by ``overrides``.

    Raises ValueError for an operation not in :data:`OPERATIONS` or an id that
    is not a non-empty string without spaces or slashes (it becomes a URL
    path segment). The rule file checks the same first, to report it as a
    load error with its line.
    """
    ids = dict(DEFAULT_QUERY_IDS)
    for operation, query_id in (overrides or {}).items():
        if operation not in ids:
            raise ValueError(
                f"unknown GraphQL operation {operation!r}: use one of {', '.join(OPERATIONS)}"
            )
        if not isinstance(query_id, str) or not query_id.strip() or any(c in query_id for c in " /?#"):
            raise ValueError(
                f"the query id of {operation} must be a single word such as "
                f"{DEFAULT_QUERY_IDS[operation]!r}, not {query_id!r}"
            )
        ids[operation] = query_id.strip()
    return ids


def request_params(variables: Mapping[str, Any], extra_features: Mapping[str, bool] | None = None) -> dict[str, str]:
    """The query string of a GraphQL GET: ``variables`` and ``features`` (plus those learned) as compact JSON."""
    return {
        "variables": json.dumps(dict(variables), separators=(",", ":")),
        "features": json.dumps({**FEATURES, **(extra_features or {})}, separators=(",", ":")),
    }


def missing_features(message: str) -> tuple[str, ...]:
    """The feature names of X's 400 "The following features cannot be null: a, b"; none if it is not that."""
    match = _CANNOT_BE_NULL.search(message)
    if match is None:
        return ()
    names = (name.strip() for name in match.group(1).split(","))
    return tuple(dict.fromkeys(name for name in names if _FEATURE_NAME.fullmatch(name)))[:_MAX_LEARNED]
