"""An MQTT broker on 127.0.0.1 for the Home Assistant tests: mosquitto when installed, else amqtt.

It runs as a child process (amqtt in a Python child of its own), so it serves
in-process async tests and ``notifier run`` children alike, and stopping it is
what a broker going down is: the process ends and the system closes every
connection at once. It can be started again on the same port::

    with Broker() as broker:
        broker.host, broker.port
        broker.stop()       # connections drop, the port refuses
        broker.start()      # the same port again, retained messages forgotten

Which broker runs is hidden from the tests: both keep retained messages and
send a client's last will when its connection dies without a DISCONNECT.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["Broker", "free_port"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _accepting(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Broker:
    """One MQTT broker on 127.0.0.1:``port`` (a free one unless given)."""

    def __init__(self, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.kind = "mosquitto" if shutil.which("mosquitto") else "amqtt"
        self._process: subprocess.Popen[bytes] | None = None
        self._folder: Path | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def __enter__(self) -> Broker:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    def start(self, timeout: float = 10.0) -> None:
        """Listen on the port; returns once it accepts connections."""
        if self.kind == "mosquitto":
            self._start_mosquitto()
        else:
            self._start_amqtt()
        deadline = time.monotonic() + timeout
        while not _accepting(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {self.kind} broker did not listen on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop listening and drop every connection (a broker going down)."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            self._process = None

    def freeze(self) -> None:
        """Keep every connection open but answer nothing (a broker that hangs); :meth:`thaw` resumes it."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    # -- mosquitto -----------------------------------------------------------------------------

    def _start_mosquitto(self) -> None:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="notifier-mqtt-"))
        config = self._folder / "mosquitto.conf"
        config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        self._process = subprocess.Popen(
            ["mosquitto", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    # -- amqtt -------------------------------------------------------------------------------

    def _start_amqtt(self) -> None:
        # A child process, not a thread: an in-process broker that shuts down
        # slowly under load left its clients' sockets open, so they only noticed
        # the outage at their next keepalive.
        self._process = subprocess.Popen(
            [sys.executable, "-c", _AMQTT_MAIN, self.host, str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )


_AMQTT_MAIN = """
import asyncio, sys
from amqtt.broker import Broker

async def main():
    host, port = sys.argv[1], sys.argv[2]
    broker = Broker({
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    })
    await broker.start()
    await asyncio.Event().wait()

asyncio.run(main())
"""
