"""Real worker processes for the sending drills: Redis broker, a queue of the test's own, the
real Twilio provider pointed at the fake Messages API, and the outbox relay run in this process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pytest
import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from birge_shared.settings import Settings
from birge_workers.app import create_celery
from birge_workers.relay import relay_outbox
from tests.fakes.fake_messages_api import FakeMessagesApi
from tests.integration.sending.conftest import FROM_NUMBER

WAIT_SECONDS = 120


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once, as a machine that dies would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def lines(self) -> list[dict[str, Any]]:
        lines = []
        for raw in self.log.read_text(errors="replace").splitlines():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                continue
        return lines

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait_until_ready(self) -> None:
        """Until the worker consumes: a task published to a queue nobody declared yet is lost."""
        wait_for(
            lambda: any(str(line.get("msg", "")).endswith(" ready.") for line in self.lines()),
            what="the worker did not start",
            workers=[self],
        )


def worker_env(api: FakeMessagesApi, broker_url: str, **settings: str) -> dict[str, str]:
    return {
        "BROKER_URL": broker_url,
        "TWILIO_ACCOUNT_SID": api.account_sid,
        "TWILIO_AUTH_TOKEN": api.auth_token,
        "TWILIO_API_BASE": api.base_url,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        # No quiet hours unless a test asks for them: a drill must not stall at night.
        "QUIET_HOURS_START": "00:00",
        "QUIET_HOURS_END": "00:00",
        **settings,
    }


@contextmanager
def worker(*, queue: str, env: dict[str, str], cwd: Path, name: str) -> Iterator[Worker]:
    """`celery worker` (prefork, one child) in a process group of its own, on `queue`."""
    log_path = cwd / f"worker-{name}.log"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "birge_workers.app:celery_app",
        "worker",
        "--concurrency",
        "1",
        "--without-mingle",
        "--without-gossip",
        "--queues",
        queue,
        "--hostname",
        f"{name}@%h",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command,
            env={**os.environ, **env},
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Worker(process=process, log=log_path)
    try:
        yield running
    finally:
        running.stop()


class OutboxRelay:
    """The outbox relay, polling in a thread of this process, publishing to the test's queue."""

    def __init__(self, engine: Engine, *, broker_url: str, queue: str) -> None:
        self._engine = engine
        self._queue = queue
        self._publisher = create_celery(Settings(broker_url=broker_url))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-outbox-relay", daemon=True)
        self.published = 0
        self.error: BaseException | None = None

    def _publish(self, name: str, payload: dict[str, Any]) -> None:
        self._publisher.send_task(name, kwargs=payload, queue=self._queue)

    def _run(self) -> None:
        try:
            while not self._stop.wait(0.2):
                with Session(self._engine) as session:
                    self.published += relay_outbox(
                        session=session, publish=self._publish, limit=100
                    )
                    session.commit()
        except BaseException as exc:  # kept for the test's failure message
            self.error = exc
            raise

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._publisher.close()


def redis_db(url: str) -> Iterator[redis.Redis]:
    """A Redis database used by this test alone, emptied before and after."""
    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not reachable at {url}", pytrace=False)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def unique_queue() -> str:
    return f"birge-sending-test-{uuid.uuid4().hex[:10]}"


def wait_for(
    condition: Callable[[], bool],
    *,
    what: str,
    workers: list[Worker],
    relay: OutboxRelay | None = None,
    progress: Callable[[], object] | None = None,
) -> None:
    """Until `condition` holds, for at most WAIT_SECONDS; with `progress`, WAIT_SECONDS since
    what it returns last changed (deliveries so far): a loaded machine working through a long
    queue is slow, not stuck."""
    deadline = time.monotonic() + WAIT_SECONDS
    seen = progress() if progress is not None else None
    while time.monotonic() < deadline:
        if relay is not None and relay.error is not None:
            pytest.fail(f"the outbox relay failed: {relay.error!r}")
        if condition():
            return
        time.sleep(0.1)
        if progress is not None and (now := progress()) != seen:
            seen = now
            deadline = time.monotonic() + WAIT_SECONDS
    logs = "\n".join(f"--- {w.log.name}\n{w.tail()}" for w in workers)
    pytest.fail(f"{what} within {WAIT_SECONDS}s; worker logs:\n{logs}")
