"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every mail it receives.

::

    with FakeSMTP() as smtp:
        url = smtp.url(to="me@example.com", user="bob", password="s3cret")
        # mailto://bob:s3cret@127.0.0.1:PORT?from=notifier%40example.com&to=me%40example.com
        ...
        assert smtp.wait_for(lambda s: len(s.mails) == 1, timeout=5.0)
        mail = smtp.mails[0]
        mail.subject, mail.text, mail.html, mail.recipients, mail.login

(``await smtp.wait_for_async(...)`` in async tests, so the event loop keeps running.)

It listens on a free port picked by the OS, accepts any login (without TLS,
as a local relay would) and records who logged in. ``mailto://`` URLs use
plain SMTP, which is what this server speaks.
"""

from __future__ import annotations

import email.policy
import logging
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any
from urllib.parse import quote, urlencode

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from .polling import Polling

__all__ = ["FakeSMTP", "Mail"]


class _QuietDeprecation(logging.Filter):
    # aiosmtpd warns about its own legacy attribute on every successful login.
    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_QuietDeprecation())


@dataclass(frozen=True, slots=True)
class Mail:
    """One received mail; ``at`` is its arrival time (``time.time()``)."""

    at: float
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage = field(repr=False)
    login: str | None = None

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def text(self) -> str:
        """The text/plain part ("" if none)."""
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def html(self) -> str:
        """The text/html part ("" if none)."""
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""


class FakeSMTP(Polling):
    """An aiosmtpd server in a background thread; see the module docstring."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.mails: list[Mail] = []
        self._controller = _Controller(
            _Handler(self),
            hostname=host,
            port=0,
            auth_require_tls=False,
            authenticator=_accept_any_login,
        )

    @property
    def port(self) -> int:
        return self._controller.port

    def start(self) -> FakeSMTP:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> FakeSMTP:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def url(
        self,
        to: str = "me@example.com",
        *,
        user: str | None = None,
        password: str | None = None,
        sender: str = "notifier@example.com",
    ) -> str:
        """A ``mailto://`` URL that sends through this server."""
        auth = ""
        if user is not None:
            auth = quote(user, safe="")
            if password is not None:
                auth += ":" + quote(password, safe="")
            auth += "@"
        query = urlencode({"from": sender, "to": to})
        return f"mailto://{auth}{self.host}:{self.port}?{query}"


def _accept_any_login(
    server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    login = auth_data.login.decode() if isinstance(auth_data, LoginPassword) else None
    return AuthResult(success=True, auth_data=login)


class _Handler:
    def __init__(self, owner: FakeSMTP) -> None:
        self._owner = owner

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode()
        message = BytesParser(policy=email.policy.default).parsebytes(content)
        self._owner.mails.append(
            Mail(
                at=time.time(),
                sender=envelope.mail_from or "",
                recipients=tuple(envelope.rcpt_tos),
                message=message,  # type: ignore[arg-type]
                login=session.auth_data if isinstance(session.auth_data, str) else None,
            )
        )
        return "250 OK"


class _Controller(Controller):
    """Binds port 0 (a free port chosen by the OS) and remembers which one it got.

    aiosmtpd's own Controller needs a fixed port up front; picking one by
    probing first would race with other tests.
    """

    def _create_server(self) -> Any:
        return self._bind()

    async def _bind(self) -> Any:
        server = await self.loop.create_server(self._factory_invoker, host=self.hostname, port=0)
        self.port = server.sockets[0].getsockname()[1]
        return server
