"""Exceptions raised by notifier.

The tree::

    NotifierError
    ├── CredentialsError          cookies missing or unreadable
    ├── StreamError               the live_pipeline stream failed
    │   ├── AuthenticationError   401/403: the cookies were rejected
    │   ├── SessionNotFoundError  error 392: the server forgot the session
    │   ├── RateLimitedError      429: wait for Retry-After
    │   └── ProtocolError         an answer we cannot use
    ├── RuleFileError             the rule file does not load (every problem at once)
    │   └── ExpectFileError       nor does a replay --expect file
    ├── StateError                the state database cannot be opened, read or written
    ├── DeliveryError             a target cannot be used
    └── WebAPIError               X's web API (account polling) failed: 5xx, network, odd answer
        ├── QueryRejectedError    GraphQL 400/404: X rotated a query id or its features
        └── UnreadableAnswerError too slow, too large, too deep, HTML or not JSON

The account poller (``notifier.account.web``) also raises AuthenticationError
and RateLimitedError from the stream branch, so one ``except`` handles bad
cookies and rate limits wherever they come from.

Library errors (httpx, yaml, apprise) are translated where they cross into
notifier, so callers only ever catch these.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "CredentialsError",
    "DeliveryError",
    "ExpectFileError",
    "NotifierError",
    "ProtocolError",
    "QueryRejectedError",
    "RateLimitedError",
    "RuleFileError",
    "SessionNotFoundError",
    "StateError",
    "StreamError",
    "UnreadableAnswerError",
    "WebAPIError",
]


class NotifierError(Exception):
    """Base class of every error notifier raises on purpose."""


class CredentialsError(NotifierError):
    """The X session cookies are missing or cannot be read."""


class StreamError(NotifierError):
    """The live_pipeline stream could not be opened or kept."""


class AuthenticationError(StreamError):
    """X rejected the session cookies (401/403); retrying will not help."""

    def __init__(self, status_code: int, detail: str = "") -> None:
        self.status_code = status_code
        message = (
            f"X answered {status_code}: the session cookies were rejected. "
            "Log in to x.com in a browser, run notifier login RULES to save its fresh auth_token "
            "and ct0 (or set NOTIFIER_AUTH_TOKEN and NOTIFIER_CT0), and start again."
        )
        if detail:
            message += f" ({detail})"
        super().__init__(message)


class SessionNotFoundError(StreamError):
    """The server answered error 392: it no longer knows this session."""


class RateLimitedError(StreamError):
    """X answered 429; ``retry_after`` is the delay it asked for, if it said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProtocolError(StreamError):
    """The server answered something the client cannot use."""


class RuleFileError(NotifierError):
    """The rule file does not load; ``problems`` lists every problem found."""

    document = "the rule file"

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} in {self.document}"
        super().__init__(header + ":\n" + "\n".join(self.problems))


class ExpectFileError(RuleFileError):
    """The expected-alerts file of ``notifier replay --expect`` does not load."""

    document = "the expected-alerts file"


class StateError(NotifierError):
    """The state database cannot be opened, read or written."""


class DeliveryError(NotifierError):
    """A notification target cannot be used."""


class WebAPIError(NotifierError):
    """X's web API, polled for an account's posts and messages, failed or answered oddly."""


class QueryRejectedError(WebAPIError):
    """X refused a GraphQL query (400/404): its query id or feature flags are out of date.

    ``operation`` is the GraphQL operation (``UserTweets``), ``query_id`` the id
    sent; ``features`` the feature flags X said it wants (a 400); ``tried``
    what notifier did about it already. The message names the rule-file
    setting that replaces the id.
    """

    def __init__(
        self,
        operation: str,
        query_id: str,
        status_code: int,
        detail: str = "",
        *,
        features: tuple[str, ...] = (),
        tried: tuple[str, ...] = (),
    ) -> None:
        self.operation = operation
        self.query_id = query_id
        self.status_code = status_code
        self.detail = detail
        self.features = features
        self.tried = tried
        message = (
            f"X answered {status_code} to the GraphQL query {operation} (query id {query_id}): "
            "X has probably rotated the query id or the feature flags it requires."
        )
        if tried:
            message += " Tried: " + "; ".join(tried) + "."
        message += (
            f" Set a current id in the rule file as account.graphql.{operation} "
            f"(account: {{graphql: {{{operation}: <id>}}}}); the id is in x.com's web app "
            f"scripts, as queryId next to operationName \"{operation}\"."
        )
        if detail:
            message += f" ({detail})"
        super().__init__(message)

    def with_tried(self, tried: tuple[str, ...]) -> QueryRejectedError:
        """The same rejection, saying what notifier tried about it."""
        return QueryRejectedError(
            self.operation, self.query_id, self.status_code, self.detail, features=self.features, tried=tried
        )


class UnreadableAnswerError(WebAPIError):
    """X's answer could not be read: ``kind`` is ``timeout``, ``too_large``, ``too_deep``, ``html`` or ``not_json``."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind
