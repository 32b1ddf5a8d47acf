"""The metrics server under abuse: bounded connections, accept errors logged at most once a minute."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import textwrap
import time

from notifier.run.listener import MAX_CONNECTIONS
from notifier.run.metrics import Health, Metrics, MetricsServer

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


async def _ask(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(REQUEST)
    await writer.drain()
    try:
        async with asyncio.timeout(5):
            return await reader.read()
    except ConnectionResetError:  # closed with our request unread: no answer either
        return b""
    finally:
        writer.close()


async def test_connections_over_the_bound_are_closed_unanswered() -> None:
    """With the bound's worth of idle connections open, one more is closed unanswered; freed, it is served."""
    async with MetricsServer(Metrics(), lambda: Health(True, "connected")) as server:
        idle = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(MAX_CONNECTIONS)]
        try:
            assert await _ask(server.port) == b""
        finally:
            for _, writer in idle:
                writer.close()
        deadline = time.monotonic() + 5
        while (answer := await _ask(server.port)) == b"" and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert answer.startswith(b"HTTP/1.1 200")


_CHILD = textwrap.dedent("""
    import asyncio, logging, resource, sys
    from notifier.run.metrics import Health, Metrics, MetricsServer

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(message)s")

    async def main():
        async with MetricsServer(Metrics(), lambda: Health(True, "ok")) as server:
            # Few descriptors left: accept() soon fails with EMFILE.
            import os
            used = len(os.listdir("/proc/self/fd"))
            resource.setrlimit(resource.RLIMIT_NOFILE, (used + 4, used + 4))
            print(server.port, flush=True)
            await asyncio.sleep(float(sys.argv[1]))

    asyncio.run(main())
""")


def test_accept_errors_are_logged_at_most_once_a_minute() -> None:
    """Out of file descriptors for 3 s, the server logs its accept error once, not every second."""
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, "3.5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    held: list[socket.socket] = []
    try:
        port = int(child.stdout.readline())
        for _ in range(12):
            held.append(socket.create_connection(("127.0.0.1", port)))
        code = child.wait(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for sock in held:
            sock.close()
    stderr = child.stderr.read()
    assert code == 0, stderr
    failures = [line for line in stderr.splitlines() if "accept" in line.lower()]
    assert len(failures) == 1, stderr
