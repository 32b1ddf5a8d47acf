"""The X session cookies and the request headers built from them.

X's web app authenticates ``live_pipeline`` with the browser's session cookies:
``auth_token`` (the login) and ``ct0`` (the CSRF token, echoed in the
``X-Csrf-Token`` header). They are as good as a password, so :class:`Cookies`
never shows a value: not in its repr, not in an error message, not in a log line.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ..exceptions import CredentialsError
from ..logs import add_secrets
from .bounds import json_depth

__all__ = [
    "BEARER_TOKEN",
    "USER_AGENT",
    "Cookies",
    "SessionCookies",
    "auth_headers",
    "load_cookies",
    "resolve_cookies",
    "write_private",
]

log = logging.getLogger(__name__)

# The bearer token compiled into X's public web app; every browser sends it.
# It identifies the app, not the user; the cookies identify the user.
BEARER_TOKEN = (
    "AAAAAAAAAAAAAAAAAAAAANRILgAAAAAAnNwIzUejRCOuH5E6I8xnZz4puTs"
    "%3D1Zv7ttfk8LF81IUq16cHjhLTvJu4FA33AGWWjCpTnA"
)
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
_REQUIRED = ("auth_token", "ct0")
_ENV_AUTH_TOKEN = "NOTIFIER_AUTH_TOKEN"
_ENV_CT0 = "NOTIFIER_CT0"
_ENV_TWID = "NOTIFIER_TWID"
# RFC 6265 cookie-octets, plus a quoted form some exporters keep.
_COOKIE_VALUE = re.compile(r'"?[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*"?')
_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TWID = re.compile(r'"?u=([0-9]+)"?')
# A browser's whole cookie jar is a few hundred KB; x.com's cookies, a few KB.
MAX_COOKIE_FILE = 1 << 20
# A browser extension's export is a list of objects of scalars (some add one more level).
_MAX_COOKIE_DEPTH = 8
_HOW_TO_EXPORT = (
    "export auth_token and ct0 from a browser logged in to x.com "
    "(a cookies.txt or a JSON file such as twikit's cookies.json), "
    f"or set {_ENV_AUTH_TOKEN} and {_ENV_CT0}"
)


@dataclass(frozen=True, slots=True, repr=False)
class Cookies:
    """The cookies of one logged-in X session; never shows their values.

    ``source`` says where they came from (a file path, ``"the environment"``,
    ``"a mapping"``), for messages.
    """

    items: tuple[tuple[str, str], ...]
    source: str = "a mapping"
    # The cookie file they were read from, where a rotated ct0 is written back; None otherwise.
    path: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        jar = dict(self.items)
        missing = [name for name in _REQUIRED if not jar.get(name)]
        if missing:
            raise CredentialsError(
                f"{' and '.join(missing)} missing from the cookies in {self.source}: {_HOW_TO_EXPORT}."
            )
        for name in _REQUIRED:
            if not _COOKIE_VALUE.fullmatch(jar[name]):
                raise CredentialsError(
                    f"the {name} cookie in {self.source} contains characters a cookie "
                    "cannot hold (spaces, quotes, ';' or ','); copy its value again"
                )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], source: str = "a mapping") -> Cookies:
        """Keep the usable name/value pairs of ``values``; check auth_token and ct0."""
        return cls(tuple(_usable(values.items(), source)), source)

    @property
    def auth_token(self) -> str:
        return self._get("auth_token")

    @property
    def ct0(self) -> str:
        return self._get("ct0")

    @property
    def names(self) -> tuple[str, ...]:
        """Cookie names, for diagnostics (values stay hidden)."""
        return tuple(name for name, _ in self.items)

    @property
    def user_id(self) -> str | None:
        """The account's own user id, from the ``twid`` cookie (``u%3D<id>``)."""
        twid = dict(self.items).get("twid")
        if not twid:
            return None
        match = _TWID.fullmatch(unquote(twid))
        return match.group(1) if match else None

    def header(self) -> str:
        """The ``Cookie`` request header."""
        return "; ".join(f"{name}={value}" for name, value in self.items)

    def _get(self, name: str) -> str:
        return dict(self.items)[name]

    def __repr__(self) -> str:
        return f"Cookies(source={self.source!r}, names={list(self.names)!r}, user_id={self.user_id!r})"

    __str__ = __repr__


class SessionCookies:
    """The one session of a run: the stream and the web client read its cookies at every request.

    X may rotate ``ct0`` with a ``Set-Cookie`` on any answer (undocumented,
    seen by other clients). :meth:`accept` takes the new value once, for every
    user of the session alike (a stream reconnecting with the old one is
    refused), and writes it back to the cookie file it came from, atomically
    and readable by the owner only, so a restart starts with it too.
    """

    __slots__ = ("_cookies",)

    def __init__(self, cookies: Cookies) -> None:
        self._cookies = cookies

    @property
    def cookies(self) -> Cookies:
        return self._cookies

    def headers(self) -> dict[str, str]:
        """The headers of the next request, with ``ct0`` as X last set it."""
        return auth_headers(self._cookies)

    def accept(self, set_cookie: Iterable[str]) -> bool:
        """Use a new ``ct0`` from these ``Set-Cookie`` header values; True when it changed."""
        for header in set_cookie:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0].strip().strip('"')
            if name.strip() != "ct0" or not value or value == self._cookies.ct0:
                continue
            items = tuple((n, value if n == "ct0" else v) for n, v in self._cookies.items)
            try:
                rotated = Cookies(items, self._cookies.source, self._cookies.path)
            except CredentialsError:
                log.warning("X set a ct0 cookie that cannot be sent back; keeping the current one")
                continue
            add_secrets(value)
            self._cookies = rotated
            log.info("X rotated the ct0 cookie; using the new one from now on", extra={"event": "ct0_rotated"})
            if rotated.path is not None:
                _write_back(Path(rotated.path), value)
            return True
        return False

    def __repr__(self) -> str:
        return f"SessionCookies({self._cookies!r})"


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, mode 600, replacing it in one step (a crash leaves the old file or the new)."""
    import tempfile  # noqa: PLC0415 - only a login or a rotated ct0 writes

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp creates the file 600 before a byte is written.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_back(path: Path, ct0: str) -> None:
    """Put the new ``ct0`` into the cookie file in its own format; a file that cannot take it is left alone."""
    try:
        with path.open("rb") as raw:
            text = raw.read(MAX_COOKIE_FILE + 1).decode("utf-8-sig")
        updated = _with_ct0(text, ct0)
        if updated is None:
            log.warning("the cookie file %s cannot take the rotated ct0 (its format is not one notifier writes): "
                        "notifier uses the new one until it stops; export fresh cookies if X rejects the old one then",
                        path, extra={"event": "ct0_not_saved"})
            return
        write_private(path, updated)
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("cannot write the rotated ct0 to %s: %s", path, exc.strerror if isinstance(exc, OSError) else exc,
                    extra={"event": "ct0_not_saved"})
        return
    log.info("saved the rotated ct0 in %s", path, extra={"event": "ct0_saved"})


def _with_ct0(text: str, ct0: str) -> str | None:
    """``text`` (a JSON object, a JSON list of cookies, or a cookies.txt) with ``ct0`` replaced; None if it has none."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        if json_depth(text) > _MAX_COOKIE_DEPTH:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if isinstance(data, dict) and "ct0" in data:
            data["ct0"] = ct0
            return json.dumps(data, indent=2) + "\n"
        if isinstance(data, list):
            hits = [item for item in data if isinstance(item, dict) and item.get("name") == "ct0"]
            for item in hits:
                item["value"] = ct0
            return json.dumps(data, indent=2) + "\n" if hits else None
        return None
    lines, hit = [], False
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        fields = body.split("\t")
        if len(fields) in (6, 7) and fields[5] == "ct0" and not (body.startswith("#") and not body.startswith("#HttpOnly_")):
            fields[6:] = [ct0]
            line = "\t".join(fields) + line[len(body):]
            hit = True
        lines.append(line)
    return "".join(lines) if hit else None


def auth_headers(cookies: Cookies) -> dict[str, str]:
    """Headers X's web app sends with every API request of a cookie session."""
    return {
        "Authorization": f"Bearer {BEARER_TOKEN}",
        "Cookie": cookies.header(),
        "X-Csrf-Token": cookies.ct0,
        "X-Twitter-Auth-Type": "OAuth2Session",
        "X-Twitter-Active-User": "yes",
        "User-Agent": USER_AGENT,
        "Referer": "https://x.com/",
    }


def load_cookies(
    source: Cookies | Mapping[str, str] | str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> Cookies:
    """Load X session cookies.

    ``source`` is a mapping of cookie names to values, the path of a JSON file
    (twikit's flat ``{"auth_token": ..., "ct0": ...}`` or a browser extension's
    list of ``{"name", "value", "domain"}`` objects) or of a Netscape
    ``cookies.txt``; ``None`` reads ``NOTIFIER_AUTH_TOKEN`` and ``NOTIFIER_CT0``
    (and optionally ``NOTIFIER_TWID``) from ``env`` (default: ``os.environ``).
    Raises :class:`CredentialsError` naming what is missing or unreadable.
    """
    if isinstance(source, Cookies):
        return source
    if source is None:
        return _from_env(os.environ if env is None else env)
    if isinstance(source, Mapping):
        return Cookies.from_mapping(source)
    if isinstance(source, (str, os.PathLike)):
        return _from_file(Path(source))
    raise CredentialsError(
        f"cannot read cookies from a {type(source).__name__}: "
        "give a mapping, the path of a cookie file, or None for the environment"
    )


def resolve_cookies(
    explicit: str | os.PathLike[str] | None,
    from_rules: str | None,
    env: Mapping[str, str],
) -> Cookies:
    """The X session cookies for a live run, wherever the user put them.

    ``explicit`` (``--cookies``) wins; then ``from_rules`` (the rule file's
    ``account.cookies``); then ``NOTIFIER_AUTH_TOKEN``/``NOTIFIER_CT0``. A
    rule-file path that does not exist gives way to the environment when that
    is set, so one rule file works on a laptop (cookies.json) and in a
    container (env). From the moment they are read no log line, from any
    library, can print them.
    """
    if explicit is not None:
        cookies = load_cookies(explicit)
    else:
        env_set = bool(env.get(_ENV_AUTH_TOKEN) and env.get(_ENV_CT0))
        if from_rules and (Path(from_rules).exists() or not env_set):
            cookies = load_cookies(from_rules)
        else:
            cookies = load_cookies(None, env=env)
    # Short values such as lang=en are not secrets, and masking them would garble ordinary words.
    add_secrets(*(value for _, value in cookies.items if len(value) >= 8))
    return cookies


def _from_env(env: Mapping[str, str]) -> Cookies:
    names = {_ENV_AUTH_TOKEN: "auth_token", _ENV_CT0: "ct0", _ENV_TWID: "twid"}
    missing = [var for var in (_ENV_AUTH_TOKEN, _ENV_CT0) if not env.get(var, "").strip()]
    if missing:
        raise CredentialsError(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
            f"set {_ENV_AUTH_TOKEN} and {_ENV_CT0} to the auth_token and ct0 cookies of a "
            "browser logged in to x.com, or give a cookie file"
        )
    values = {cookie: env[var].strip() for var, cookie in names.items() if env.get(var, "").strip()}
    return Cookies.from_mapping(values, "the environment")


def _from_file(path: Path) -> Cookies:
    try:
        with path.open("rb") as raw:
            data = raw.read(MAX_COOKIE_FILE + 1)
        if len(data) > MAX_COOKIE_FILE:
            # Read whole, it would become a Cookie header of that size, refused and retried forever.
            raise CredentialsError(
                f"cookie file {str(path)!r} is over 1 MB, far more than any cookie export: {_HOW_TO_EXPORT}"
            )
        text = data.decode("utf-8-sig")
    except FileNotFoundError as exc:
        raise CredentialsError(f"cookie file {str(path)!r} does not exist: {_HOW_TO_EXPORT}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise CredentialsError(f"cannot read cookie file {str(path)!r}: {reason}") from exc
    source = repr(str(path))
    if text.lstrip().startswith(("{", "[")):
        cookies = Cookies.from_mapping(_parse_json(text, source), source)
    else:
        cookies = Cookies.from_mapping(_parse_netscape(text, source), source)
    return replace(cookies, path=str(path))


def _parse_json(text: str, source: str) -> dict[str, Any]:
    # Any export nests three levels at most; a deeper file is not one, and would
    # otherwise reach the recursive decoder (RecursionError, a traceback).
    if json_depth(text) > _MAX_COOKIE_DEPTH:
        raise CredentialsError(
            f"cookie file {source} nests JSON {_MAX_COOKIE_DEPTH}+ levels deep, which no cookie export does: "
            f"{_HOW_TO_EXPORT}"
        )
    try:
        data = json.loads(text)
    except ValueError as exc:
        # The decoder's message gives a position only, never the document.
        raise CredentialsError(f"cookie file {source} is not valid JSON ({exc})") from exc
    if isinstance(data, dict):
        return data
    if isinstance(data, list):
        pairs = [
            (item.get("domain", ""), item.get("name"), item.get("value"))
            for item in data
            if isinstance(item, dict)
        ]
        return _for_x(pairs, source)
    raise CredentialsError(
        f"cookie file {source} holds JSON that is neither an object of cookie names "
        "to values nor a list of cookies"
    )


def _parse_netscape(text: str, source: str) -> dict[str, Any]:
    pairs = []
    for line in text.splitlines():
        line = line.strip("\r\n")
        if line.startswith("#HttpOnly_"):
            line = line[len("#HttpOnly_") :]
        elif not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) == 6:  # some exporters drop the tab of an empty value
            fields.append("")
        if len(fields) != 7:
            raise CredentialsError(
                f"cookie file {source} is neither JSON nor a Netscape cookies.txt "
                "(expected 7 tab-separated fields per line): export it again"
            )
        pairs.append((fields[0], fields[5], fields[6]))
    return _for_x(pairs, source)


def _for_x(pairs: list[tuple[Any, Any, Any]], source: str) -> dict[str, Any]:
    """Cookies of x.com (preferred) or twitter.com from a whole browser's export."""

    def rank(domain: Any) -> int:
        host = str(domain or "").lstrip(".").lower()
        if host == "x.com" or host.endswith(".x.com"):
            return 2
        if host == "twitter.com" or host.endswith(".twitter.com"):
            return 1
        return 0 if host else 2  # no domain given: assume the file is for X

    chosen: dict[str, tuple[int, Any]] = {}
    for domain, name, value in pairs:
        level = rank(domain)
        if level and isinstance(name, str) and (name not in chosen or chosen[name][0] <= level):
            chosen[name] = (level, value)
    if not chosen and pairs:
        raise CredentialsError(f"cookie file {source} has no cookies for x.com: {_HOW_TO_EXPORT}")
    return {name: value for name, (_, value) in chosen.items()}


def _usable(items: Iterable[tuple[Any, Any]], source: str) -> Iterable[tuple[str, str]]:
    for name, value in items:
        if not isinstance(name, str) or not _COOKIE_NAME.fullmatch(name):
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            log.debug("skipping cookie %s from %s: its value is not text", name, source)
            continue
        value = value.strip()
        if name not in _REQUIRED and not _COOKIE_VALUE.fullmatch(value):
            # Sending it would break the Cookie header; X does not need it.
            log.debug("skipping cookie %s from %s: its value cannot be sent", name, source)
            continue
        yield name, value
