"""Reading X's web app as a browser does: the current GraphQL query ids from its scripts.

X rotates the ids of its GraphQL queries every few weeks; a stale id gets an
empty 404. The web app itself always knows the current ones: its scripts
hold a ``queryId``/``operationName`` pair per operation. :func:`read_web_app`
fetches the logged-in page (``$NOTIFIER_WEB_BASE``, default the origin of the
web API, ``https://x.com``) with the session's cookies, then the scripts it
names, and follows the scripts those name (the 2026 "x-web" front end loads
one small entry script that imports the rest) until every wanted operation
is found or :data:`MAX_SCRIPTS` were read.

Only X is asked: the page on the web base's host (with the cookies), scripts
on that host or on X's own script hosts (``*.twimg.com``, ``x.com``, without
cookies). Every answer is bounded like any other (a total deadline, a size
limit). The page and the scripts are kept in the result, as the
``x-client-transaction-id`` header is computed from them
(:mod:`notifier.account.transaction`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import httpx

from ..exceptions import WebAPIError
from ..stream.auth import USER_AGENT, Cookies
from ..stream.bounds import MAX_ANSWER
from ..stream.http import check_api_base, describe

__all__ = [
    "DEFAULT_WEB_BASE",
    "ENV_WEB_BASE",
    "MAX_SCRIPTS",
    "WebApp",
    "fetch_text",
    "find_query_ids",
    "read_web_app",
    "web_base",
]

DEFAULT_WEB_BASE = "https://x.com"
ENV_WEB_BASE = "NOTIFIER_WEB_BASE"
# The 2024-25 front end names a dozen scripts; x-web one entry that imports a few dozen.
MAX_SCRIPTS = 60
_SCRIPT_TAG = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"'<>\s]+?\.js)(?:\?[^"'<>\s]*)?["']""", re.I)
# A script's own references to further scripts: import("./chunk-ab12.js"), "https://abs.twimg.com/…/x.js".
_SCRIPT_REF = re.compile(r"""["'`]((?:https?://[\w.-]+)?(?:\.{0,2}/)?[\w./@-]*?[\w@-]+\.js)["'`]""")
_ID = r"([A-Za-z0-9_-]{8,64})"
_PAIR = re.compile(r"""queryId["']?\s*:\s*["']""" + _ID + r"""["']\s*,\s*["']?operationName["']?\s*:\s*["'](\w{1,80})["']""")
_PAIR_REVERSED = re.compile(
    r"""operationName["']?\s*:\s*["'](\w{1,80})["']\s*,\s*["']?queryId["']?\s*:\s*["']""" + _ID + """["']"""
)
_X_HOSTS = ("twimg.com", "x.com", "twitter.com")


@dataclass(frozen=True, slots=True)
class WebApp:
    """What the logged-in web app showed: the query ids found, the page, and the scripts read (URL → text)."""

    query_ids: Mapping[str, str]
    page: str = ""
    page_url: str = ""
    scripts: Mapping[str, str] = field(default_factory=dict)


def web_base(value: str | None, api_base: str) -> str:
    """The web app's base URL: ``value`` if given, else the origin of ``api_base`` (``https://x.com``)."""
    if value:
        return check_api_base(value, DEFAULT_WEB_BASE)
    url = httpx.URL(api_base)
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


def find_query_ids(text: str) -> dict[str, str]:
    """Every ``queryId``/``operationName`` pair in a script, either way round; the first of each operation wins."""
    found: dict[str, str] = {}
    for match in _PAIR.finditer(text):
        found.setdefault(match.group(2), match.group(1))
    for match in _PAIR_REVERSED.finditer(text):
        found.setdefault(match.group(1), match.group(2))
    return found


async def read_web_app(
    http: httpx.AsyncClient,
    base: str,
    cookies: Cookies,
    *,
    wanted: Iterable[str],
    timeout: float,
    page_path: str = "/home",
) -> WebApp:
    """The query ids of ``wanted`` (and any others seen) as the logged-in web app has them now.

    WebAPIError when the page cannot be read or names no script; a result
    without some wanted operation is still returned (the caller says which).
    """
    wanted = set(wanted)
    page_url = base + page_path
    headers = {"Cookie": cookies.header(), "User-Agent": USER_AGENT, "Accept": "text/html", "Referer": base + "/"}
    page = await _text(http, page_url, headers, timeout)
    queue = _resolve(page_url, (m.group(1) for m in _SCRIPT_TAG.finditer(page)), base)
    if not queue:
        raise WebAPIError(
            f"x.com's page {page_url} names no script: it is not the logged-in web app "
            "(the cookies may be rejected, or X changed its front end)"
        )
    found: dict[str, str] = {}
    scripts: dict[str, str] = {}
    seen = set(queue)
    while queue and len(scripts) < MAX_SCRIPTS and not wanted <= found.keys():
        url = queue.pop(0)
        try:
            text = await _text(http, url, {"User-Agent": USER_AGENT, "Referer": base + "/"}, timeout)
        except WebAPIError:
            continue  # one missing chunk must not hide the others
        scripts[url] = text
        for operation, query_id in find_query_ids(text).items():
            found.setdefault(operation, query_id)
        for ref in _resolve(url, (m.group(1) for m in _SCRIPT_REF.finditer(text)), base):
            if ref not in seen:
                seen.add(ref)
                queue.append(ref)
    return WebApp(found, page, page_url, scripts)


def _resolve(origin: str, refs: Iterable[str], base: str) -> list[str]:
    """``refs`` as absolute URLs, only those on the web base's host or X's script hosts, in order."""
    base_host = httpx.URL(base).host
    urls: list[str] = []
    for ref in refs:
        try:
            url = httpx.URL(origin).join(ref)
        except (httpx.InvalidURL, ValueError):
            continue
        host = url.host or ""
        if url.scheme not in ("http", "https"):
            continue
        if host != base_host and not any(host == h or host.endswith("." + h) for h in _X_HOSTS):
            continue
        text = str(url.copy_with(fragment=None))
        if text not in urls:
            urls.append(text)
    return urls


async def fetch_text(http: httpx.AsyncClient, url: str, timeout: float) -> str:
    """One of X's scripts as text (no cookies), bounded like every answer; WebAPIError otherwise."""
    return await _text(http, url, {"User-Agent": USER_AGENT}, timeout)


async def _text(http: httpx.AsyncClient, url: str, headers: Mapping[str, str], timeout: float) -> str:
    """The body of a GET as text, under one deadline and MAX_ANSWER bytes; WebAPIError otherwise."""
    try:
        async with asyncio.timeout(timeout):
            async with http.stream("GET", url, headers=headers) as response:
                if response.status_code != 200:
                    raise WebAPIError(f"x.com answered {response.status_code} for {url}")
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_ANSWER:
                        raise WebAPIError(f"x.com's answer for {url} is over {MAX_ANSWER} bytes")
                    chunks.append(chunk)
    except TimeoutError:
        raise WebAPIError(f"x.com did not answer {url} within {timeout:.0f} s") from None
    except httpx.HTTPError as exc:
        raise WebAPIError(f"cannot read {url}: {describe(exc)}") from exc
    return b"".join(chunks).decode("utf-8", "replace")
