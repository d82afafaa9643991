"""A redis-server of the drill's own, on a free loopback port, that the drill may stop and
start again on the same port (the machine's Redis on 6379 is shared and left alone)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import pytest
import redis

from tests.contract.conftest import _free_port

START_SECONDS = 10
#: Quiet hours switched off for the drills' workers, so they send whatever the hour of the run.
ANY_HOUR = {"QUIET_HOURS_START": "00:00", "QUIET_HOURS_END": "00:00"}


class OwnRedis:
    def __init__(self, folder: Path) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._folder = folder
        self._process: subprocess.Popen[bytes] | None = None
        self._starts = 0

    def start(self) -> None:
        self._starts += 1
        log_path = self._folder / f"redis-{self._starts}.log"
        executable = shutil.which("redis-server")
        if executable is None:
            pytest.fail(
                "redis-server is not installed; the Redis drills start their own", pytrace=False
            )
        # No persistence, as the machine's broker runs: a restart loses every queued task,
        # which is the failure the drill is about.
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
            while time.monotonic() < deadline:
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    time.sleep(0.05)
        finally:
            client.close()
        pytest.fail(f"redis-server did not answer on port {self.port}", pytrace=False)

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
