"""An MQTT broker on 127.0.0.1 for the Home Assistant tests: mosquitto when installed, else amqtt.

It runs in the background (a child process, or an event loop on a thread of
its own), so it serves in-process async tests and ``notifier run`` children
alike, and it can be stopped and started again on the same port::

    with Broker() as broker:
        broker.host, broker.port
        broker.stop()       # connections drop, the port refuses
        broker.start()      # the same port again, retained messages forgotten

Which broker runs is hidden from the tests: both keep retained messages and
send a client's last will when its connection dies without a DISCONNECT.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

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
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._broker: Any = None

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
        if self._loop is not None and self._thread is not None:
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
            with contextlib.suppress(Exception):
                future.result(timeout=30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()
            self._loop = self._thread = self._broker = None

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
        from amqtt.broker import Broker as AmqttBroker

        loop = asyncio.new_event_loop()
        started = threading.Event()
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }

        def run() -> None:
            asyncio.set_event_loop(loop)
            self._broker = AmqttBroker(config, loop=loop)
            loop.run_until_complete(self._broker.start())
            started.set()
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="amqtt-broker", daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("the amqtt broker did not start")

    async def _shutdown(self) -> None:
        await self._broker.shutdown()
