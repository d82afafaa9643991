"""A redis-server of the test run's own, on a free loopback port.

The machine's Redis on 6379 is shared by everyone's test runs: a run that empties a database,
or counts logins per client, would see and disturb another's. Each run starts its own server
(see tests/conftest.py), and the drills that stop and restart Redis start one more each.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import redis

from tests.ports import free_port

START_SECONDS = 30.0


class RedisStartError(RuntimeError):
    pass


class OwnRedis:
    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._folder = folder
        self._process: subprocess.Popen[bytes] | None = None
        self._starts = 0

    def start(self) -> None:
        self._starts += 1
        log_path = self._folder / f"redis-{self._starts}.log"
        executable = shutil.which("redis-server")
        if executable is None:
            raise RedisStartError("redis-server is not installed; the tests start their own")
        # No persistence, as the machine's broker runs: a restart loses every queued task,
        # which is the failure the drills are about.
        self._process = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
            [
                executable,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self._folder),
                "--logfile",
                str(log_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = redis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)
        deadline = time.monotonic() + START_SECONDS
        try:
            while time.monotonic() < deadline and self._process.poll() is None:
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    time.sleep(0.05)
        finally:
            client.close()
        self.crash()
        raise RedisStartError(f"redis-server did not answer on port {self.port} ({log_path})")

    def crash(self) -> None:
        """SIGKILL, as a broker host that dies would go: nothing is written, nothing kept."""
        if self._process is None or self._process.poll() is not None:
            return
        os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait(timeout=10)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.crash()
