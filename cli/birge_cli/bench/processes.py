"""The API, a worker and beat as child processes of a benchmark, as a deployment runs them.

Each child is started with `python -m birge_cli` from this interpreter, in a process group of
its own (so stopping the worker also stops its pool), and writes its JSON log lines to a file
in the run's folder. Readiness is what a deployment waits for: `/readyz` for the API, Celery's
"ready." line for the worker, beat's start line for beat.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from birge_cli.bench import BenchError

STOP_SECONDS = 30.0
START_SECONDS = 120.0
POLL_SECONDS = 0.1


class BenchRunError(BenchError):
    """The run could not go on: a child died, or something did not happen in time."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_lines(self) -> Iterator[dict[str, Any]]:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return
        for raw in text.splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if isinstance(line, dict):
                yield line

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM the child's group (a worker finishes its tasks), SIGKILL it if it lingers."""
        if self.process.returncode is not None:
            return
        _signal_group(self.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(self.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_SECONDS)
        # Pool processes still running after their parent left are killed with the group.
        _signal_group(self.pid, signal.SIGKILL)


def _signal_group(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group has already gone
        os.killpg(pid, signum)


@contextmanager
def child(name: str, args: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> Iterator[Child]:
    log_path = cwd / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - this interpreter and our own arguments
            [sys.executable, "-m", "birge_cli", *args],
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Child(name=name, process=process, log=log_path)
    try:
        yield running
    finally:
        running.stop()


def wait_until(
    condition: Callable[[], bool],
    *,
    what: str,
    children: Sequence[Child],
    timeout: float,
    poll: float = POLL_SECONDS,
) -> None:
    """Return once `condition()` holds; raise if a child exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while not condition():
        for running in children:
            if not running.alive():
                raise BenchRunError(
                    f"the {running.name} process exited with status "
                    f"{running.process.returncode} while waiting until {what}; its log ends:\n"
                    f"{running.tail()}"
                )
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {c.name}.log\n{c.tail(1500)}" for c in children)
            raise BenchRunError(f"timed out after {timeout:.0f} s waiting until {what}\n{logs}")
        time.sleep(poll)


def api_ready(base_url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with urllib.request.urlopen(f"{base_url}/readyz", timeout=5) as answer:  # noqa: S310 - our own http URL
                status: int = answer.status
                return status == 200
        except (OSError, urllib.error.URLError):
            return False

    return check


def worker_ready(worker: Child) -> Callable[[], bool]:
    # Celery logs "<name> ready." once the consumer takes tasks.
    return lambda: any(
        line.get("logger") == "celery.apps.worker" and str(line.get("msg", "")).endswith(" ready.")
        for line in worker.log_lines()
    )


def beat_ready(beat: Child) -> Callable[[], bool]:
    return lambda: any(
        str(line.get("msg", "")).startswith("beat: Starting") for line in beat.log_lines()
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP unwind like Ctrl-C, so every child is stopped and every scratch
    store removed on the way out."""

    def interrupt(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
