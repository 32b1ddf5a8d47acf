"""Log output of the daemon: one readable line per event of note, or JSON, never a secret.

Modules log through ``logging.getLogger(__name__)``; only the commands call
:func:`configure_logging`. Lines that matter to a person carry an ``event``
extra (``connected``, ``reconnecting``, ``alert``, ``delivered``, ``failed``…)
which the JSON format exposes for machines.

Every record passes :class:`SecretFilter` on its way out: cookie values,
bearer tokens, URL passwords and the secret parts of registered Apprise URLs
are replaced whatever logger wrote them, including third-party ones and
tracebacks.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterable
from typing import IO, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from .times import format_time, iso_utc

__all__ = [
    "JSONFormatter",
    "SecretFilter",
    "TextFormatter",
    "add_secrets",
    "add_url",
    "add_url_parts",
    "configure_logging",
    "mask_url",
    "secret_filter",
]

MASK = "***"
# Shorter strings would mask ordinary words; real tokens and passwords are longer.
_MIN_SECRET = 4
# Path pieces (tokens, ntfy topics) registered as secrets on their own: see _url_parts.
_MIN_PATH_SECRET = 8

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()
    | {"message", "asctime", "taskName"}
)

_COOKIE_ASSIGNMENT = re.compile(
    r"""(?P<name>\b(?:auth_token|ct0|twid|kdt|att|_twitter_sess)\b["']?\s*[=:]\s*["']?)"""
    r"""(?P<value>[^\s;,"'}&]+)""",
    re.IGNORECASE,
)
_CSRF_HEADER = re.compile(r"(?P<name>x-csrf-token[\"']?\s*[=:]\s*[\"']?)(?P<value>[^\s;,\"'}]+)", re.I)
_BEARER = re.compile(r"(?P<name>\bBearer\s+)(?P<value>[A-Za-z0-9%._~+/=-]{8,})")
# scheme://user:password@host — the password part, whatever the scheme.
_URL_PASSWORD = re.compile(r"(?P<name>\b[a-z][a-z0-9+.-]*://[^\s/:@]*:)(?P<value>[^\s@/]+)(?=@)", re.I)
_PATTERNS = (_COOKIE_ASSIGNMENT, _CSRF_HEADER, _BEARER, _URL_PASSWORD)


def _mask_match(match: re.Match[str]) -> str:
    return match.group("name") + MASK


class SecretFilter(logging.Filter):
    """Rewrites every record so that no registered secret or credential pattern survives.

    Always returns True: it cleans records, it does not drop them.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._replacements: dict[str, str] = {}
        # URLs whose privacy form is known (add_url): add_url_parts leaves them alone.
        self._known: set[str] = set()
        self._regex: re.Pattern[str] | None = None

    def add(self, *secrets: str | None, replacement: str = MASK) -> None:
        """Never print these strings (e.g. cookie values)."""
        with self._lock:
            for secret in secrets:
                if isinstance(secret, str) and len(secret) >= _MIN_SECRET:
                    self._replacements[secret] = replacement
            self._compile()

    def add_url(self, url: str, masked: str | None = None) -> None:
        """Never print this Apprise URL raw: show its privacy form, mask its secrets.

        ``masked`` is the privacy form when the caller knows it already (a
        console:// URL needs no Apprise); else it is Apprise's :func:`mask_url`.
        """
        if not isinstance(url, str) or "://" not in url:
            return
        if masked is None:
            masked = _privacy_url(url)
        # A URL that shows whole in its privacy form (json://host/path) hides nothing;
        # replacing it would also rewrite the privacy form that contains it.
        with self._lock:
            self._known.add(url)
            # What add_url_parts registered before Apprise saw the URL, and its privacy
            # form shows after all (a user name, a json://host/path), is no secret.
            for part in (url, *_url_parts(url)):
                if part in masked:
                    self._replacements.pop(part, None)
            self._compile()
        if url not in masked:
            self.add(url, replacement=masked)
        # Parts of the URL that Apprise itself hides (tokens in the path, passwords,
        # API keys in the query) are secrets even where they appear alone.
        self.add(*(part for part in _url_parts(url) if part not in masked))

    def add_url_parts(self, url: str) -> None:
        """Register a URL's secrets before Apprise first parses it (and logs it, at DEBUG).

        Without Apprise: the whole URL shows as ``SCHEMA://***`` until :meth:`add_url`
        knows its privacy form, and its secret-looking parts are masked.
        """
        if not isinstance(url, str) or "://" not in url or url in self._known:
            return
        self.add(url, replacement=url.split("://", 1)[0] + "://" + MASK)
        self.add(*_url_parts(url))

    def _compile(self) -> None:
        if not self._replacements:
            self._regex = None
            return
        # Longest first, so a whole URL is replaced before a token inside it.
        ordered = sorted(self._replacements, key=len, reverse=True)
        self._regex = re.compile("|".join(re.escape(item) for item in ordered))

    def scrub(self, text: str) -> str:
        """``text`` with every secret replaced."""
        regex = self._regex
        if regex is not None:
            replacements = self._replacements
            text = regex.sub(lambda match: replacements.get(match.group(0), MASK), text)
        for pattern in _PATTERNS:
            text = pattern.sub(_mask_match, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not leak its raw args
            message = f"{record.msg!s} (unformattable log arguments)"
        record.msg = self.scrub(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, self.scrub(value))
        return True


def mask_url(url: str) -> str:
    """The URL as Apprise shows it with secrets hidden (``url(privacy=True)``); never the raw text.

    A URL Apprise cannot read shows as ``SCHEMA://***``.
    """
    # Imported here: Apprise is heavy (it loads every plugin on first use), and only
    # a URL that is not a console:// one needs it.
    import apprise

    # Apprise logs the URL it loads (at DEBUG): its secrets are known first.
    if isinstance(url, str):
        _filter.add_url_parts(url)
    plugin = apprise.Apprise.instantiate(url) if isinstance(url, str) else None
    if plugin is None:
        schema = url.split("://", 1)[0] if isinstance(url, str) and "://" in url else "?"
        return f"{schema}://***"
    masked = plugin.url(privacy=True)
    masked = _hide_ntfy_topics(masked) if masked.startswith(("ntfy://", "ntfys://")) else masked
    return _short(masked, url)


def _short(masked: str, written: str) -> str:
    """``masked`` with only the parameters the user wrote: Apprise adds every default it has
    (``priority=default&mode=private&image=yes&…&optional=no``), which buries the target in noise."""
    parts = urlsplit(masked)
    try:
        wanted = {key.lower() for key, _ in parse_qsl(urlsplit(written).query, keep_blank_values=True)}
    except ValueError:
        wanted = set()
    kept = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key.lower() in wanted]
    query = "&".join(f"{key}={value}" for key, value in kept)
    path = parts.path.rstrip("/") if not query else parts.path
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return f"{parts.scheme}://{parts.netloc}{path}" + (f"?{query}" if query else "") + fragment


def _hide_ntfy_topics(masked: str) -> str:
    """An ntfy privacy URL with its topics shown as ``n...s``.

    Apprise shows ntfy topics whole, yet on a public server the topic is the
    only thing between the alerts and anyone who subscribes to it.
    """
    parts = urlsplit(masked)
    if "mode=cloud" in parts.query:  # ntfys://TOPIC: the topic is where the host would be
        return parts._replace(netloc=_glimpse(parts.netloc)).geturl()
    path = "/".join(_glimpse(segment) if segment else segment for segment in parts.path.split("/"))
    return parts._replace(path=path).geturl()


def _glimpse(secret: str) -> str:
    # Apprise's own privacy style: the first and last character, enough to tell two apart.
    return f"{secret[0]}...{secret[-1]}" if len(secret) > 2 else MASK


def _privacy_url(url: str) -> str:
    try:
        return mask_url(url)
    except Exception:  # noqa: BLE001 - whatever Apprise does, fall back to hiding it all
        return url.split("://", 1)[0] + "://" + MASK


def _url_parts(url: str) -> Iterable[str]:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ()
    found: list[str] = []
    if parts.password:
        found += [parts.password, unquote(parts.password)]
    if parts.username:
        found += [parts.username, unquote(parts.username)]
    segments = [parts.netloc.rsplit("@", 1)[-1]] if "@" in parts.netloc else []
    host = parts.netloc.rsplit("@", 1)[-1]
    if ":" in host and not host.rsplit(":", 1)[1].isdigit():
        # host:token, not host:port (tgram://BOT_ID:TOKEN/...): Apprise's Telegram plugin
        # and urllib3 print it inside a URL path (/botBOT_ID:TOKEN/sendMessage).
        segments += host.split(":")
    segments += [segment for segment in parts.path.split("/") if segment]
    if parts.scheme in ("ntfy", "ntfys") and "@" not in parts.netloc and not parts.path.strip("/"):
        segments.append(parts.netloc)  # ntfy://TOPIC: the topic in the host's place (with a path, a host)
    # A short path piece is a word, not a token: masking "alerts" alone would
    # garble every log line that says "18 alerts".
    segments = [segment for segment in segments if len(segment) >= _MIN_PATH_SECRET]
    found += segments + [unquote(segment) for segment in segments]
    found += [value for _, value in parse_qsl(parts.query) if value]
    return found


_filter = SecretFilter()


def secret_filter() -> SecretFilter:
    """The process-wide filter that :func:`configure_logging` installs."""
    return _filter


def add_secrets(*secrets: str | None) -> None:
    """Never log these strings, from any logger."""
    _filter.add(*secrets)


def add_url_parts(url: str) -> None:
    """Never log this URL's secret parts, from any logger: call before Apprise first parses it."""
    _filter.add_url_parts(url)


def add_url(url: str, masked: str | None = None) -> None:
    """Never log this Apprise URL or its secret parts, from any logger (``masked``: see SecretFilter)."""
    _filter.add_url(url, masked)


class TextFormatter(logging.Formatter):
    """``2025-06-01 12:00:03 CEST INFO alert fired: …`` — one line a person can read."""

    def __init__(self, *, show_logger: bool = False) -> None:
        fmt = "%(asctime)s %(levelname)s "
        if show_logger:
            fmt += "[%(name)s] "
        super().__init__(fmt + "%(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        # The zone too: a log line's time must read the same as the alerts' times.
        return format_time(record.created)


class JSONFormatter(logging.Formatter):
    """One JSON object per line: ``ts``, ``level``, ``logger``, ``message``, ``event`` and extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": iso_utc(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key in _STANDARD or key.startswith("_"):
                continue
            entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def _told_by_the_outcome(record: logging.LogRecord) -> bool:
    """Drop an Apprise warning that Apprise captured into a send's result.

    notifier's own line for that send ("delivery … failed …: REASON", or
    ``notifier test``'s FAILED) carries the same words as its reason: logged
    here too, each failure read twice. Apprise marks a capture under way with
    context variables of its logger module; an Apprise without them, or a
    warning outside a send (a config file it cannot read), is logged as before.
    """
    if not record.name.startswith("apprise") or record.levelno < logging.WARNING:
        return True
    module = sys.modules.get("apprise.logger")
    if module is None:
        return True
    captures = (getattr(module, "_active_capture", None), getattr(module, "_active_call_capture", None))
    return not any(capture is not None and capture.get() is not None for capture in captures)


def configure_logging(
    *,
    log_format: Literal["text", "json"] = "text",
    verbose: int = 0,
    stream: IO[str] | None = None,
) -> logging.Handler:
    """Send every log record to ``stream`` (stderr) through the secret filter.

    ``verbose`` 0 shows events of note, 1 adds debug lines of notifier, 2 adds
    debug lines of the libraries (httpx, Apprise).
    """
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(_filter)
    if verbose < 2:  # -vv shows the libraries' own lines, all of them
        handler.addFilter(_told_by_the_outcome)
    handler.setFormatter(JSONFormatter() if log_format == "json" else TextFormatter(show_logger=verbose > 0))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_notifier_handler", False):
            root.removeHandler(old)
    handler._notifier_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose >= 2 else logging.INFO)
    logging.getLogger("notifier").setLevel(logging.DEBUG if verbose >= 1 else logging.INFO)
    # httpx logs every request at INFO: noise for a daemon that posts every ~100 s.
    for name in ("httpx", "httpcore", "apprise", "asyncio"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbose >= 2 else logging.WARNING)
    return handler
