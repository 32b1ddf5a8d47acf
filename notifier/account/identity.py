"""Who am I: the signed-in account's user id and @handle, however X lets it be known.

The one place that decides it, for account watching (``me``, one's own
messages), ``notifier login`` and Home Assistant's device name:

1. the user id from the ``twid`` cookie (``u%3D<id>``), when the cookies have it;
2. the handle (and, without ``twid``, the id through ``UserByScreenName``) from
   ``1.1/account/settings.json``, which answered 404 for some sessions in 2026;
3. else GraphQL ``Viewer``, which the web app itself asks (its id heals like the others).

Rejected cookies and rate limits are raised as they come (retrying another
way would not help); any other failure moves on to the next way, and only
when every way failed is the error raised, saying what each said.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from ..exceptions import AuthenticationError, RateLimitedError, WebAPIError
from ..stream.auth import Cookies
from .timeline import User

__all__ = ["Identity", "who_am_i"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Identity:
    """The signed-in account: its user id, its @handle (without the @) if X said, and where the id came from."""

    user_id: str
    handle: str | None
    source: str  # "the twid cookie", "account/settings.json", "GraphQL Viewer"


async def who_am_i(client: _Client) -> Identity:
    """The signed-in account; WebAPIError (naming every way tried) when X says by no way."""
    twid = client.cookies.user_id
    failures: list[str] = []
    handle: str | None = None
    try:
        handle = await client.settings()
    except (AuthenticationError, RateLimitedError):
        raise
    except WebAPIError as exc:
        failures.append(f"account/settings.json: {exc}")
    if handle is not None and twid is not None:
        return Identity(twid, handle, "the twid cookie")
    if handle is not None:
        try:
            user = await client.user_by_screen_name(handle)
            return Identity(user.id, user.screen_name, "account/settings.json")
        except (AuthenticationError, RateLimitedError):
            raise
        except WebAPIError as exc:
            failures.append(f"UserByScreenName: {exc}")
    try:
        user = await client.viewer()
    except (AuthenticationError, RateLimitedError):
        raise
    except WebAPIError as exc:
        failures.append(f"Viewer: {exc}")
    else:
        log.info("X's account settings did not answer; GraphQL Viewer says who is signed in",
                 extra={"event": "identity_from_viewer"})
        if twid is not None:
            return Identity(twid, user.screen_name if user.id == twid else handle, "the twid cookie")
        return Identity(user.id, user.screen_name, "GraphQL Viewer")
    if twid is not None:
        return Identity(twid, handle, "the twid cookie")
    raise WebAPIError(
        "X did not say which account is signed in (" + "; ".join(failures) + "). Add the twid cookie "
        "(u%3D<your user id>, beside auth_token and ct0 in the browser) to the cookie file: notifier then "
        "knows the account without asking"
    )


class _Client(Protocol):
    """What :func:`who_am_i` uses of :class:`~notifier.account.web.XWebClient`."""

    @property
    def cookies(self) -> Cookies: ...

    async def settings(self) -> str: ...

    async def user_by_screen_name(self, handle: str) -> User: ...

    async def viewer(self) -> User: ...
