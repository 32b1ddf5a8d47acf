"""What a streaming session needs of the network, and who it tells about connections.

:class:`~notifier.stream.session.StreamingSession` is written against these
Protocols, not httpx: :class:`~notifier.stream.client.StreamClient` gives it
the real transport, and tests give it scripted ones. Whoever must know about
connections as they happen (the daemon's stream supervisor, ``notifier
record``) is a :class:`ConnectionListener`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from .events import ConfigEvent, Payload

__all__ = ["ConnectionListener", "StreamConnection", "Transport"]


class ConnectionListener(Protocol):
    """Told about the session's connections as they come and go."""

    def connected(self, raw: str, config: ConfigEvent) -> None:
        """A connection is up and sent ``config`` (as JSON text ``raw``).

        Called for every connection, the first one included, from the task that
        iterates the session, just before the messages that connection brought:
        what came before it in the stream has been read.
        """
        ...

    def disconnected(self) -> None:
        """The connection that was up has just ended (the session may reconnect)."""
        ...


class StreamConnection(Protocol):
    """An open stream response."""

    def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives; raises StreamError when the connection fails."""
        ...

    async def aclose(self) -> None: ...


class Transport(Protocol):
    """The two requests of the live_pipeline API, errors already translated."""

    async def open_stream(self, topics: Sequence[str]) -> StreamConnection: ...

    async def update(
        self, session_id: str, subscribe: Sequence[str], unsubscribe: Sequence[str]
    ) -> Payload: ...
