"""`birge dev`: the whole service on one machine with no servers to install.

Unless DATABASE_URL and BROKER_URL say otherwise, that is a SQLite file and a broker made of
files, both under var/. The API and a worker (with its own beat) run as child processes of this
one; Ctrl-C or SIGTERM stops both, and if either dies the other is stopped too and the exit
status says something went wrong.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from types import FrameType

from birge_cli.servers import DEFAULT_SCHEDULE
from birge_shared.settings import Settings

STOP_TIMEOUT = 30.0
POLL_SECONDS = 0.5


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]


def banner(settings: Settings) -> str:
    """What `birge dev` says first: where it serves, and the address links will carry."""
    served = f"http://localhost:{settings.port}"
    docs = f" (API docs: {served}/docs)" if settings.serves_docs else ""
    return (
        f"Birge is starting at {served}{docs}. Ctrl-C stops it.\n"
        f"The coordinator console: {served}/console\n"
        f"Personal links, webhooks and the SMS simulator use {settings.public_base_url}."
    )


def child_commands(*, port: int, concurrency: int) -> dict[str, list[str]]:
    # The same interpreter, so the children use this venv whatever PATH says.
    birge = [sys.executable, "-m", "birge_cli"]
    return {
        "api": [*birge, "api", "--port", str(port)],
        "worker": [
            *birge,
            "worker",
            "--beat",
            "--concurrency",
            str(concurrency),
            "--schedule",
            str(DEFAULT_SCHEDULE),
        ],
    }


def supervise(commands: dict[str, list[str]]) -> int:
    """Run the children until a signal (exit 0) or until one of them exits (exit 1)."""
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {
        signum: signal.signal(signum, request_stop) for signum in (signal.SIGINT, signal.SIGTERM)
    }
    children: list[Child] = []
    try:
        for name, command in commands.items():
            children.append(Child(name, subprocess.Popen(command)))  # noqa: S603 - our own argv
        dead = _wait_for_stop_or_death(children, stop)
    finally:
        _stop_all(children)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if dead is None or stop.is_set():
        return 0
    print(  # noqa: T201 - the CLI talks to its user on the terminal
        f"birge dev: the {dead.name} process exited with status {dead.process.returncode}; "
        "stopped the rest.",
        file=sys.stderr,
    )
    return 1


def _wait_for_stop_or_death(children: list[Child], stop: threading.Event) -> Child | None:
    while not stop.wait(POLL_SECONDS):
        for child in children:
            if child.process.poll() is not None:
                return child
    return None


def _stop_all(children: list[Child]) -> None:
    for child in children:
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()
