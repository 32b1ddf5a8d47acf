"""What both of notifier's X clients do alike at the HTTP boundary.

The live_pipeline client (:mod:`notifier.stream.client`) and the web API
client (:mod:`notifier.account.web`) talk to the same X: they check their
API base the same way, describe httpx errors the same way and read X's
``{"errors": [{"code": ..., "message": ...}]}`` answers the same way, so an
error reads alike whichever client met it. The account package may import
this module (and :mod:`notifier.stream.auth`) but nothing else of the stream.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

__all__ = ["check_api_base", "describe", "error_detail", "parse_json", "x_errors"]


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


def parse_json(data: bytes) -> Any:
    """``data`` as JSON, or None when it is not."""
    try:
        return json.loads(data)
    except ValueError:
        return None


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
