"""The web app part of the fake X: x.com's logged-in page and the scripts it names.

Real clients heal from rotated GraphQL ids by reading them where the web app
keeps them: the logged-in page (``/home``, fetched with the session cookies)
names script bundles, and those hold ``queryId``/``operationName`` pairs. Two
front ends are served, as X served them:

* ``"main"`` (2024-25): ``<script src=…/responsive-web/client-web/main.<hash>.js>``
  with ``{queryId:"…",operationName:"…",operationType:"query",…}`` per operation;
* ``"x-web"`` (2026): one ``entry-client-<hash>.js`` module that imports a chunk,
  whose operations read ``{"operationName":"…","queryId":"…"}`` (the other order);
* ``"none"``: a page that names no script.

The logged-in page also carries what ``x-client-transaction-id`` is computed
from (the ``twitter-site-verification`` meta, the ``loading-x-anim`` frames,
and the ``ondemand.s`` chunk id); the logged-out page carries none of it, as
since X's 2026 front end. Bundle names change with the ids, as a build's do.
:func:`valid_transaction_id` checks a header the way the fake needs: that it
was computed from this page's key.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Any

from .loopserver import parse_cookies

if TYPE_CHECKING:
    from .x_web import FakeXWeb

__all__ = ["SITE_KEY", "valid_transaction_id", "web_app_answer"]

# 48 bytes, as X's site-verification key is.
SITE_KEY = bytes(range(7, 7 + 48 * 5, 5))
_ONDEMAND_CHUNK = 20113
_ONDEMAND_HASH = "5f2b9c1e"
# Rows of 11 numbers (7 colours/rotation + 4 curve values); 16 rows per frame.
_ROWS = "C".join(" ".join(str((row * 37 + col * 11) % 256) for col in range(11)) for row in range(16))
_ONDEMAND = (
    '"use strict";(self.webpackChunk=self.webpackChunk||[]).push([["ondemand.s"],{1:(e,t,n)=>{'
    "const r=(e[2], 16),o=(e[12], 16),i=(e[14], 16),s=(e[7], 16);}}]);"
)


def _bundle_hash(fake: FakeXWeb) -> str:
    return hashlib.sha1("".join(sorted(fake._query_ids.values())).encode()).hexdigest()[:10]


def _logged_in(fake: FakeXWeb, headers: dict[str, str]) -> bool:
    cookies = parse_cookies(headers.get("cookie", ""))
    return cookies.get("auth_token") == fake.auth_token


def _page(fake: FakeXWeb, logged_in: bool) -> bytes:
    digest = _bundle_hash(fake)
    if not logged_in:
        # As since 2026: the logged-out page carries neither ids nor the transaction material.
        return b'<!DOCTYPE html><html data-app-env="prod"><head><title>X</title></head><body></body></html>'
    if fake.front_end == "x-web":
        scripts = f'<script type="module" crossorigin src="/x-web/x-web/assets/entry-client-{digest}.js"></script>'
    elif fake.front_end == "main":
        scripts = (
            f'<link rel="preload" as="script" href="/responsive-web/client-web/vendor.{digest}.js">'
            f'<script src="/responsive-web/client-web/main.{digest}.js" nonce="abc"></script>'
        )
    else:
        scripts = ""
    frames = "".join(
        f'<svg id="loading-x-anim-{i}" width="0" height="0"><g><path d="M0 0h1"/><path d="M 10,30 C{_ROWS}"/></g></svg>'
        for i in range(4)
    )
    key = base64.b64encode(SITE_KEY).decode()
    # As webpack's runtime in the page: chunk number → name, then chunk number → hash.
    chunks = (
        f'<script>var n={{1:"vendor",{_ONDEMAND_CHUNK}:"ondemand.s"}};'
        f'var h={{1:"0a1b2c3d",{_ONDEMAND_CHUNK}:"{_ONDEMAND_HASH}"}}</script>'
    )
    return (
        f'<!DOCTYPE html><html dir="ltr" lang="en"><head><meta name="twitter-site-verification" content="{key}"/>'
        f"{scripts}</head><body>{frames}{chunks}</body></html>"
    ).encode()


def _operations(fake: FakeXWeb, reversed_order: bool) -> str:
    parts = []
    for operation, query_id in fake._query_ids.items():
        if reversed_order:
            parts.append(f'{{"operationName":"{operation}","queryId":"{query_id}","operationType":"query"}}')
        else:
            parts.append(
                f'e.exports={{queryId:"{query_id}",operationName:"{operation}",operationType:"query",'
                'metadata:{featureSwitches:["view_counts_everywhere_api_enabled"],fieldToggles:[]}}'
            )
    return ";".join(parts)


def web_app_answer(fake: FakeXWeb, path: str, headers: dict[str, str]) -> tuple[int, Any, dict[str, str]] | None:
    """The answer for the web app's page or scripts, or None when ``path`` is an API path."""
    digest = _bundle_hash(fake)
    if path == "/home":
        return 200, _page(fake, _logged_in(fake, headers)), {}
    if not path.endswith(".js"):
        return None
    scripts = {
        f"/responsive-web/client-web/main.{digest}.js": _operations(fake, False) if fake.front_end == "main" else None,
        f"/responsive-web/client-web/vendor.{digest}.js": "var vendor=1;",
        f"/x-web/x-web/assets/entry-client-{digest}.js": (
            f'import("./chunk-router-{digest}.js");import("./chunk-ops-{digest}.js");'
            if fake.front_end == "x-web" else None
        ),
        f"/x-web/x-web/assets/chunk-router-{digest}.js": "export const r=1;",
        f"/x-web/x-web/assets/chunk-ops-{digest}.js": _operations(fake, True) if fake.front_end == "x-web" else None,
        f"/responsive-web/client-web/ondemand.s.{_ONDEMAND_HASH}a.js": _ONDEMAND,
    }
    body = scripts.get(path)
    if body is None:
        return 404, b"", {}
    return 200, body.encode(), {}


def valid_transaction_id(value: str) -> bool:
    """Whether ``value`` decodes to a transaction id built from this page's site key."""
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except ValueError:
        return False
    if len(raw) != 1 + len(SITE_KEY) + 4 + 16 + 1:
        return False
    key = bytes(b ^ raw[0] for b in raw[1 : 1 + len(SITE_KEY)])
    return key == SITE_KEY
