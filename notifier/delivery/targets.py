"""Notification targets: named Apprise URLs, checked through Apprise itself."""

from __future__ import annotations

from pathlib import Path

import apprise

__all__ = ["check_url", "config_tags", "mask_url"]


def check_url(url: str) -> str | None:
    """``None`` if Apprise can use ``url``, else why not (never echoing the URL)."""
    if not isinstance(url, str) or not url.strip():
        return "the URL is empty"
    if "://" not in url:
        return "this is not an Apprise URL (expected SCHEMA://..., such as ntfy://ntfy.sh/topic)"
    if apprise.Apprise.instantiate(url) is None:
        schema = url.split("://", 1)[0]
        return (
            f"Apprise cannot use this {schema}:// URL: the service is unknown or the URL "
            "is incomplete (see the Apprise wiki page for the service)"
        )
    return None


def mask_url(url: str) -> str:
    """The URL as Apprise shows it with secrets hidden; never the raw text."""
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        schema = url.split("://", 1)[0] if "://" in url else "?"
        return f"{schema}://***"
    return plugin.url(privacy=True)


def config_tags(path: str | Path) -> set[str]:
    """The tags defined in an Apprise YAML/TEXT config file (empty if it holds none)."""
    config = apprise.AppriseConfig()
    config.add(str(path))
    tags: set[str] = set()
    for server in config.servers():
        tags.update(server.tags)
    return tags
