"""Notification targets: named Apprise URLs and Apprise config files, checked through Apprise itself.

A rule names where its alerts go. A name is either a target of the rule file's
``targets:`` (one Apprise URL) or a tag of the Apprise config file given as
``targets_from:`` (every URL carrying that tag). :func:`build_targets` turns
both into a :class:`TargetSet` of :class:`Target` values, one per URL.

A URL holds secrets (passwords, tokens, webhook keys). It is kept only in
:attr:`Target.url`, which no repr shows; everything printed or logged uses
:attr:`Target.masked`, Apprise's ``url(privacy=True)``. Every URL is also
registered with the log filter of :mod:`notifier.logs`, so its secret parts are
masked whatever logger (Apprise's own included) happens to print them.

Plain ``console://`` URLs are checked and masked without Apprise (see
:mod:`.console`): a rule file that only prints loads without loading Apprise.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .. import logs
from ..exceptions import DeliveryError
from . import console
from .policy import TargetPolicy

__all__ = [
    "Target",
    "TargetSet",
    "build_targets",
    "check_url",
    "config_tags",
    "mask_url",
]

# Outbox rows of a targets_from URL refer to it by this prefix and Apprise's url_id().
_CONFIG_KEY = "config:"
_URL_IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"]+")


def check_url(url: str) -> str | None:
    """``None`` if Apprise can use ``url``, else why not (never echoing the URL)."""
    if not isinstance(url, str) or not url.strip():
        return "the URL is empty"
    if "://" not in url:
        return "this is not an Apprise URL (expected SCHEMA://..., such as ntfys://ntfy.sh/topic)"
    if console.label_of(url) is not None:
        return None
    # Apprise logs each URL it loads (at DEBUG): its secrets are registered first.
    logs.add_url_parts(url)
    if _apprise().Apprise.instantiate(url) is None:
        schema = url.split("://", 1)[0]
        return (
            f"Apprise cannot use this {schema}:// URL: the service is unknown or the URL "
            "is incomplete (see the Apprise wiki page for the service)"
        )
    return None


def mask_url(url: str) -> str:
    """The URL as Apprise shows it with secrets hidden; never the raw text."""
    if console.label_of(url) is not None:
        return console.MASKED
    _apprise()  # a console URL with options is Apprise's to mask
    return logs.mask_url(url)


def config_tags(path: str | Path) -> set[str]:
    """The tags defined in an Apprise YAML/TEXT config file (empty if it holds none)."""
    tags: set[str] = set()
    for service in _config_services(path):
        tags.update(str(tag) for tag in service.tags)
    return tags


@dataclass(frozen=True, slots=True)
class Target:
    """One Apprise URL that alerts can be sent to.

    ``key`` identifies the target in the outbox and stays the same across
    restarts: the target's name for a rule-file target, ``config:<id>`` for a URL
    of a ``targets_from`` file. ``name`` is what a person reads: the target name,
    or the URL's tags. ``url`` holds secrets and is left out of the repr; show
    ``masked`` instead. ``policy`` holds its quiet hours and budget (rule-file
    targets written as a mapping; the default policy holds nothing back).
    ``chart`` is False for a target whose rule-file mapping says ``chart: false``.
    """

    key: str
    name: str
    url: str = field(repr=False)
    masked: str
    tags: frozenset[str] = frozenset()
    policy: TargetPolicy = TargetPolicy()
    chart: bool = True

    def __str__(self) -> str:
        return f"{self.name} ({self.masked})"


class TargetSet:
    """The targets of one rule file: names and config tags, each resolving to URLs.

    A rule-file target name wins over a config tag of the same name.
    """

    __slots__ = ("_by_key", "_named", "_tagged", "targets_from")

    def __init__(
        self,
        named: Mapping[str, Target] | None = None,
        configured: tuple[Target, ...] = (),
        targets_from: Path | None = None,
    ) -> None:
        self._named: dict[str, Target] = dict(named or {})
        self._tagged: dict[str, list[Target]] = {}
        for target in configured:
            for tag in sorted(target.tags):
                self._tagged.setdefault(tag, []).append(target)
        self._by_key: dict[str, Target] = {t.key: t for t in self._named.values()}
        self._by_key.update((t.key, t) for t in configured)
        self.targets_from = targets_from

    def names(self) -> tuple[str, ...]:
        """Every name a rule may use in ``notify``: target names, then config tags."""
        named = sorted(self._named)
        return tuple(named + sorted(tag for tag in self._tagged if tag not in self._named))

    def resolve(self, name: str) -> tuple[Target, ...]:
        """The targets a ``notify`` name stands for; DeliveryError if there are none."""
        if name in self._named:
            return (self._named[name],)
        tagged = self._tagged.get(name) or self._tagged.get(name.lower())
        if tagged:
            return tuple(tagged)
        known = ", ".join(self.names()) or "none"
        raise DeliveryError(
            f"no target or tag named {name!r}: define it under targets: in the rule file "
            f"or tag a URL with it in the targets_from file (known names: {known})"
        )

    def get(self, key: str) -> Target | None:
        """The target an outbox row refers to, or None if it is no longer configured."""
        return self._by_key.get(key)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._named or name in self._tagged)

    def __iter__(self) -> Iterator[Target]:
        """Every target once: rule-file targets in file order, then config URLs in theirs."""
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def __repr__(self) -> str:
        return f"TargetSet(names={list(self.names())!r})"


class _HasURL(Protocol):
    url: str
    policy: TargetPolicy


def build_targets(
    targets: Mapping[str, str | _HasURL],
    targets_from: str | Path | None = None,
) -> TargetSet:
    """Check every URL through Apprise and build the :class:`TargetSet`.

    ``targets`` maps names to Apprise URLs (or to objects with a ``url`` and a
    ``policy``, such as the rule file's TargetSpec). ``targets_from`` is an Apprise YAML/TEXT config
    whose tags become names too. Raises DeliveryError listing every unusable URL
    by target name, the URL masked.
    """
    problems: list[str] = []
    named: dict[str, Target] = {}
    for name, value in targets.items():
        url = value if isinstance(value, str) else getattr(value, "url", None)
        error = check_url(url) if isinstance(url, str) else "the target has no URL"
        if error is not None:
            problems.append(f"target {name!r} ({mask_url(url) if isinstance(url, str) else '-'}): {error}")
            continue
        masked = mask_url(url)
        logs.add_url(url, masked)
        policy = getattr(value, "policy", None) or TargetPolicy()
        chart = getattr(value, "chart", True) is not False
        named[name] = Target(key=name, name=name, url=url, masked=masked, policy=policy, chart=chart)

    configured: tuple[Target, ...] = ()
    path = Path(targets_from) if targets_from is not None else None
    if path is not None:
        try:
            configured = _load_config(path)
        except DeliveryError as exc:
            problems.append(str(exc))

    if problems:
        raise DeliveryError("; ".join(problems))
    return TargetSet(named, configured, path)


def _apprise() -> Any:
    """Apprise, imported on first need, with console:// registered (a config file may list it)."""
    from .console_apprise import apprise

    return apprise


def _config_services(path: str | Path) -> list:
    # Apprise logs each URL it loads from the file: what looks like a URL there is
    # registered as a secret before Apprise reads it.
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    for found in _URL_IN_TEXT.findall(text):
        logs.add_url_parts(found.rstrip(":,"))
    config = _apprise().AppriseConfig()
    config.add(str(path))
    return list(config.services())


def _load_config(path: Path) -> tuple[Target, ...]:
    if not path.is_file():
        raise DeliveryError(
            f"targets_from {path}: no such file; give the path of an Apprise YAML or TEXT "
            "config file (relative paths are relative to the rule file)"
        )
    services = _config_services(path)
    if not services:
        raise DeliveryError(
            f"targets_from {path}: Apprise found no usable URL in it; check that it is an "
            "Apprise YAML config (urls: ...) or TEXT config (one 'tag=URL' per line)"
        )
    found: dict[str, Target] = {}
    for service in services:
        url = service.url(privacy=False)
        logs.add_url(url)
        key = _CONFIG_KEY + (service.url_id() or hashlib.sha256(url.encode()).hexdigest()[:8])
        tags = frozenset(str(tag) for tag in service.tags)
        if key in found:
            # The same URL listed twice: one target carrying both sets of tags.
            tags |= found[key].tags
        masked = logs.mask_url(url)  # ntfy topics hidden too, as for the rule file's targets
        found[key] = Target(
            key=key,
            name=",".join(sorted(tags)) or path.name,
            url=url,
            masked=masked,
            tags=tags,
        )
    return tuple(found.values())
