"""The whole of Birge as `make run` runs it, started by a test: the API and console under
uvicorn and a Celery worker with its beat, as child processes, on a database of their own.

`birge dev` runs exactly these two children (`birge_cli.dev.child_commands`); here the API
listens on loopback only, the database is a throwaway PostgreSQL database migrated as
`birge dev` migrates it (so nothing a journey commits can reach another test, and dropping it
is the whole clean-up), the broker is a database of this run's Redis, and the folder the
children run in holds what the simulator "delivers": `var/sms-outbox.jsonl`.

A participant's answer comes back through the real command, `birge sms reply PHONE TEXT`,
which signs the inbound webhook for PUBLIC_BASE_URL — the address the children serve — so the
signature check, the outbox relay and the worker that understands the reply all run.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import redis
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from birge_cli.dev import child_commands
from birge_shared.db import normalise_database_url
from birge_shared.migrate import upgrade
from birge_shared.models import Role, User
from birge_shared.users import create_user
from birge_workers.sms.simulator import OUTBOX_FILE
from tests.conftest import PG_ADMIN_URL, TEST_DB_NAME, TEST_PASSWORD, redis_database_url
from tests.pii_scan import leaks
from tests.ports import free_port
from tests.waiting import wait_until

#: A Redis database no other test of the run uses (see the `redis_database_url` callers).
STACK_REDIS_DB = 14
START_SECONDS = 90.0
STOP_SECONDS = 30.0
#: One worker process: the machine is shared, and one is enough to see every path run.
WORKER_CONCURRENCY = 1
PERSONAL_LINK = re.compile(r"/p/[A-Za-z0-9_-]+")


def _admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as connection:
        connection.execute(sql.encode())  # DDL takes no parameters, so the name is inlined


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class BirgeStack:
    """A running Birge: where it serves, its database, and the simulator's phone."""

    base_url: str
    engine: Engine
    folder: Path
    env: dict[str, str]
    children: list[Child] = field(default_factory=list)

    @property
    def outbox_path(self) -> Path:
        return self.folder / "var" / OUTBOX_FILE

    def user(self, role: Role, cities: tuple[str, ...] = ()) -> User:
        """A staff account (password `TEST_PASSWORD`); the database goes with the stack."""
        with Session(self.engine, expire_on_commit=False) as session:
            user = create_user(
                session=session,
                email=f"{role.value}-{uuid.uuid4().hex[:8]}@example.org",
                password=TEST_PASSWORD,
                role=role,
                city_codes=cities,
            )
            session.commit()
            return user

    def alive(self) -> bool:
        return all(child.process.poll() is None for child in self.children)

    # The simulator: every SMS the worker sent, as the recipient's phone would show it.

    def sms(self) -> list[dict[str, Any]]:
        if not self.outbox_path.exists():
            return []
        with self.outbox_path.open(encoding="utf-8") as outbox:
            # A line being written by the worker right now may be incomplete: skipped until
            # the next look.
            return [json.loads(line) for line in outbox if line.endswith("\n")]

    def sms_to(self, phone: str) -> list[dict[str, Any]]:
        return [record for record in self.sms() if record["to"] == phone]

    def wait_for_sms(self, phones: list[str], *, what: str) -> dict[str, dict[str, Any]]:
        """The latest SMS to each of `phones`, once every one of them has had one."""

        def delivered() -> bool:
            return all(self.sms_to(phone) for phone in phones)

        self._wait(delivered, what=what)
        return {phone: self.sms_to(phone)[-1] for phone in phones}

    def personal_link(self, record: dict[str, Any]) -> str:
        """The personal page an SMS links to, on this server."""
        match = PERSONAL_LINK.search(record["body"])
        assert match is not None, "the SMS carries no personal link"
        return self.base_url + match.group(0)

    # The participant's side of the phone network.

    def reply(self, phone: str, text: str) -> None:
        """`birge sms reply PHONE TEXT`, the real command, against this server."""
        result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "birge_cli", "sms", "reply", phone, text],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip() == "The webhook answered HTTP 200."

    def _wait(self, condition: Any, *, what: str) -> None:
        def holds() -> bool:
            assert self.alive(), f"a Birge process exited while waiting for {what}"
            return bool(condition())

        wait_until(holds, what=what)

    def logged_leaks(self, known: tuple[str, ...] = ()) -> list[str]:
        """The phone numbers and e-mail addresses the children wrote to their logs, and any of
        the `known` texts (names a test typed, say)."""
        found: list[str] = []
        for child in self.children:
            if child.log.exists():
                lines = child.log.read_text(encoding="utf-8", errors="replace").splitlines()
                found += leaks(lines)
                found += [text for text in known for line in lines if text in line]
        return found


def assert_nothing_personal_logged(stack: BirgeStack, known: tuple[str, ...] = ()) -> None:
    """The children's log lines searched as the test run's own are, and for `known` texts;
    only the count is told, never what leaked."""
    leaked = stack.logged_leaks(known)
    assert not leaked, f"Birge's processes logged personal data {len(leaked)} times"


def stack_environment(*, database_url: str, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BROKER_URL": redis_database_url(STACK_REDIS_DB),
        "PORT": str(port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        # Equal start and end: no quiet hours, so a journey run in Osh's evening still sends.
        "QUIET_HOURS_START": "00:00",
        "QUIET_HOURS_END": "00:00",
        "LOG_LEVEL": "INFO",
    }
    for name in ("TWILIO_ACCOUNT_SID", "SMTP_URL"):
        env.pop(name, None)
    return env


def _start(name: str, command: list[str], *, folder: Path, env: dict[str, str]) -> Child:
    log = folder / f"{name}.log"
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command,
            cwd=folder,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            # Its own process group, so stopping it never signals the test runner.
            start_new_session=True,
        )
    return Child(name, process, log)


def _stop(children: list[Child]) -> None:
    for child in children:
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()


@contextmanager
def running_birge(folder: Path, **settings: str) -> Iterator[BirgeStack]:
    """Birge running in `folder` on a new database, stopped and its database dropped after;
    `settings` are environment variables of its processes (`MIN_ANSWER_WINDOW_MINUTES="5"`)."""
    # The run's name first, so a run killed before it could drop this one has it dropped by
    # the next run (tests/conftest.py drops the databases of runs that are gone).
    name = f"{TEST_DB_NAME}_stack_{secrets.token_hex(3)}"
    database_url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    _admin(f'CREATE DATABASE "{name}"')
    engine = create_engine(normalise_database_url(database_url))
    children: list[Child] = []
    folder.mkdir(parents=True, exist_ok=True)
    # Tasks a previous Birge of this run left queued name rows of a database that is gone.
    broker = redis.Redis.from_url(redis_database_url(STACK_REDIS_DB))
    try:
        broker.flushdb()
    finally:
        broker.close()
    try:
        upgrade(database_url)  # what `birge dev` does before it starts its children
        port = free_port()
        env = {**stack_environment(database_url=database_url, port=port), **settings}
        commands = child_commands(port=port, concurrency=WORKER_CONCURRENCY)
        commands["api"] += ["--host", "127.0.0.1"]
        for child_name, command in commands.items():
            children.append(_start(child_name, command, folder=folder, env=env))
        stack = BirgeStack(
            base_url=f"http://127.0.0.1:{port}",
            engine=engine,
            folder=folder,
            env=env,
            children=children,
        )
        stack._wait(lambda: _answers(f"{stack.base_url}/healthz"), what="the API answering")
        yield stack
    finally:
        _stop(children)
        engine.dispose()
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
