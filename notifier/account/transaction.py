"""The ``x-client-transaction-id`` header, for the operations X answers 404 without it.

X demands it per operation (TweetDetail since 2025-04, UserTweetsAndReplies
and SearchTimeline since 2026; ``x-web-api.md`` §6). It is computed from the
logged-in page (its ``twitter-site-verification`` key and ``loading-x-anim``
frames) and the ``ondemand.s`` script the page names. The maintained
``xclienttransaction`` package does that computation; it is pure (it sends
nothing anywhere; notifier fetches the page and the script itself, from X
only, bounded like every answer) and it is imported here only when an
operation first needs the header, so ``notifier --help`` stays instant.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx

from ..exceptions import WebAPIError
from .webapp import WebApp, fetch_text

__all__ = ["TransactionIds", "ondemand_url"]

log = logging.getLogger(__name__)

# Where X serves ondemand.s when no script of the page says otherwise (the package's own URL).
_ONDEMAND_DEFAULT = "https://abs.twimg.com/responsive-web/client-web/ondemand.s.{hash}a.js"
_ONDEMAND_INDEX = re.compile(r""",(\d+):["']ondemand\.s["']""")


def ondemand_url(app: WebApp) -> str | None:
    """The URL of the page's ``ondemand.s`` script: its chunk number, then that chunk's hash; None if absent."""
    index = _ONDEMAND_INDEX.search(app.page)
    if index is None:
        return None
    digest = re.search(r",%s:[\"']([0-9a-f]+)[\"']" % index.group(1), app.page)
    if digest is None:
        return None
    # The scripts' own folder when the page loads them from one (as X's CDN does, and a test's fake).
    folder = next((url.rsplit("/", 1)[0] for url in app.scripts if "/client-web/" in url), None)
    if folder is None:
        return _ONDEMAND_DEFAULT.format(hash=digest.group(1))
    return f"{folder}/ondemand.s.{digest.group(1)}a.js"


class TransactionIds:
    """Makes ``x-client-transaction-id`` values from one reading of the web app."""

    __slots__ = ("_generator",)

    def __init__(self, generator: Any) -> None:
        self._generator = generator

    @classmethod
    async def from_web_app(cls, app: WebApp, http: httpx.AsyncClient, timeout: float) -> TransactionIds:
        """Read the ondemand script the page names and prepare the computation; WebAPIError saying why not."""
        url = ondemand_url(app)
        if url is None:
            raise WebAPIError(
                "the logged-in page has no ondemand.s script to compute it from (X may have changed its front end)"
            )
        script = app.scripts.get(url) or await fetch_text(http, url, timeout)
        try:
            import bs4  # noqa: PLC0415 - only an operation that needs the header pays for these
            from x_client_transaction import ClientTransaction  # noqa: PLC0415
        except ImportError as exc:
            raise WebAPIError(f"the xclienttransaction package is not installed ({exc.name})") from None
        try:
            page = bs4.BeautifulSoup(app.page, "html.parser")
            generator = ClientTransaction(page, script)
        except Exception as exc:  # noqa: BLE001 - a third party reading X's page: any failure is "cannot"
            raise WebAPIError(f"the page does not carry what it is computed from ({type(exc).__name__})") from None
        return cls(generator)

    def make(self, method: str, path: str) -> str | None:
        """The header's value for ``method`` and the URL ``path`` (``/i/api/graphql/…``); None if it fails."""
        try:
            return str(self._generator.generate_transaction_id(method=method, path=path))
        except Exception as exc:  # noqa: BLE001 - as above
            log.warning("cannot compute x-client-transaction-id: %s", type(exc).__name__,
                        extra={"event": "transaction_id_failed"})
            return None
