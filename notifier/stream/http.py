"""What both of notifier's X clients do alike at the HTTP boundary.

The live_pipeline client (:mod:`notifier.stream.client`) and the web API
client (:mod:`notifier.account.web`) talk to the same X: they check their
API base the same way, describe httpx errors the same way and read X's
``{"errors": [{"code": ..., "message": ...}]}`` answers the same way, so an
error reads alike whichever client met it. The account package may import
this module (and :mod:`notifier.stream.auth`) but nothing else of the stream.

Every answer from X is bounded here too: :func:`parse_json` refuses a body
over the limits of :mod:`notifier.stream.bounds` before the recursive
decoder sees it (a 5 KB ``[[[…`` page would otherwise raise RecursionError
wherever it is read).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from .bounds import MAX_ANSWER, MAX_DEPTH, json_depth

__all__ = [
    "check_api_base",
    "describe",
    "error_detail",
    "parse_json",
    "unreadable_kind",
    "x_errors",
]


def check_api_base(value: str, example: str) -> str:
    """``value`` without a trailing slash; ValueError, naming ``example``, unless an http(s) URL."""
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ValueError(f"api_base {value!r} is not a URL: use e.g. {example}") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"api_base must be an http(s) URL such as {example}, not {value!r}")
    return value.rstrip("/")


def describe(exc: BaseException) -> str:
    """An exception as ``Type: message`` (only ``Type`` when it has no message)."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def parse_json(data: bytes | str) -> Any:
    """``data`` as JSON, or None when it is not, or is too large or too deep to be X's."""
    if len(data) > MAX_ANSWER or json_depth(data) > MAX_DEPTH:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def unreadable_kind(data: bytes) -> str:
    """Why ``data`` did not read as JSON, in one word: ``too_large``, ``too_deep``, ``html`` or ``not_json``."""
    if len(data) > MAX_ANSWER:
        return "too_large"
    if b"<html" in data[:2048].lower() or data[:64].lstrip().lower().startswith(b"<!doctype"):
        return "html"
    if json_depth(data) > MAX_DEPTH:
        return "too_deep"
    return "not_json"


def x_errors(body: Any) -> list[dict[str, Any]]:
    """The error objects of an X error answer; none when ``body`` has no readable list."""
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def error_detail(body: Any, raw: bytes = b"") -> str:
    """X's errors in ``body`` for a message; else a note when ``raw`` is an HTML page; else ``""``."""
    details = [
        f"X error {error.get('code')}: {str(error.get('message', '')).strip().rstrip('.')}"
        for error in x_errors(body)
    ]
    if not details and b"<html" in raw[:2048].lower():
        # X's edge answers with a page of its own when it challenges a client.
        details.append("an HTML page came back instead of JSON, possibly a Cloudflare check")
    return "; ".join(details)
