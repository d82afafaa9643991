"""The `birge` command, run as its own process the way an operator runs it."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from select import select as wait_readable

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from birge_shared import name_index
from birge_shared.crypto import PiiCipher
from birge_shared.db import make_engine
from birge_shared.models import (
    Event,
    Message,
    MessageChannel,
    MessageDirection,
    OutboxEntry,
    Participant,
    ParticipantNameToken,
    Role,
    User,
)
from birge_shared.passwords import verify_password
from birge_shared.settings import get_settings
from tests.ports import free_port

STARTUP_SECONDS = 90
PASSWORD = "a long enough password"

# Variables that would point the command at the test run's PostgreSQL and Redis, or its links
# at the test client's address; SMTP_URL and Twilio would send for real.
_SERVER_SETTINGS = (
    "DATABASE_URL",
    "BROKER_URL",
    "BROKER_FOLDER",
    "PORT",
    "PUBLIC_BASE_URL",
    "SMTP_URL",
    "TWILIO_ACCOUNT_SID",
)


def cli_env(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _SERVER_SETTINGS}
    env["ENVIRONMENT"] = "development"
    env.update(overrides)
    return env


def birge(
    *args: str, cwd: Path, env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "birge_cli", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'birge.db'}"
    engine = make_engine(url)
    yield url, engine
    engine.dispose()


def test_migrate_then_create_a_user_from_stdin(tmp_path: Path, sqlite: tuple[str, Engine]) -> None:
    url, engine = sqlite
    env = cli_env(DATABASE_URL=url)

    migrated = birge("migrate", cwd=tmp_path, env=env)
    assert migrated.returncode == 0, migrated.stderr

    created = birge(
        "users",
        "create",
        "Coordinator@Example.org",
        "--role",
        "coordinator",
        "--city",
        "osh",
        "--city",
        "bishkek",
        cwd=tmp_path,
        env=env,
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    assert re.match(r"Created coordinator [0-9a-f-]{36}\.", created.stdout)
    assert PASSWORD not in created.stdout + created.stderr

    with Session(engine) as session:
        user = session.scalars(select(User)).one()
        assert user.email == "coordinator@example.org"
        assert user.role is Role.COORDINATOR
        assert user.city_codes == {"osh", "bishkek"}
        assert verify_password(PASSWORD, user.password_hash)


@pytest.mark.parametrize(
    ("args", "stdin", "complaint"),
    [
        (("--role", "admin"), "short\n", "at least"),
        (("--role", "coordinator", "--city", "naryn"), PASSWORD + "\n", "unknown cities"),
        (("--role", "viewer"), "", "no password"),
        (("--role", "admin"), "1234567890\n", "too easy to guess"),
        (("--role", "admin"), "aaaaaaaaaa\n", "too easy to guess"),
        (("--role", "admin"), " " * 10 + "\n", "only spaces"),
        (("--role", "viewer"), PASSWORD + "\n", "needs at least one city"),
        (("--role", "coordinator"), PASSWORD + "\n", "needs at least one city"),
    ],
)
def test_users_create_refuses_bad_input_with_a_message(
    tmp_path: Path, sqlite: tuple[str, Engine], args: tuple[str, ...], stdin: str, complaint: str
) -> None:
    url, engine = sqlite
    env = cli_env(DATABASE_URL=url)
    assert birge("migrate", cwd=tmp_path, env=env).returncode == 0

    result = birge("users", "create", "x@example.org", *args, cwd=tmp_path, env=env, stdin=stdin)

    assert result.returncode == 2
    assert complaint in result.stderr
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_demo_data_loads_once(tmp_path: Path, sqlite: tuple[str, Engine]) -> None:
    url, engine = sqlite
    env = cli_env(DATABASE_URL=url)
    assert birge("migrate", cwd=tmp_path, env=env).returncode == 0

    first = birge("demo-data", cwd=tmp_path, env=env)
    second = birge("demo-data", cwd=tmp_path, env=env)

    assert first.returncode == 0, first.stderr
    assert "5 events and 20 participants added" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "0 events and 0 participants added" in second.stdout
    assert "admin@birge.local  password: birge-demo-admin" in second.stdout
    assert "viewer@birge.local  password: birge-demo-admin" in second.stdout
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 4
        viewer = session.scalars(select(User).where(User.email == "viewer@birge.local")).one()
        assert viewer.role is Role.VIEWER
        assert sorted(viewer.city_codes) == ["bishkek", "osh"]
        assert session.scalar(select(func.count()).select_from(Event)) == 5
        participants = session.scalars(select(Participant)).all()
    assert len(participants) == 20
    assert all(p.phone_encrypted and "+996" not in p.phone_encrypted for p in participants)


@pytest.mark.parametrize(
    ("setting", "value", "reason"),
    [
        ("TWILIO_ACCOUNT_SID", "AC" + "1" * 32, "SMS go through Twilio"),
        ("SMTP_URL", "smtp://mail.example.org:25", "e-mail goes through SMTP_URL"),
    ],
)
def test_no_demo_people_where_real_messages_go(
    tmp_path: Path, sqlite: tuple[str, Engine], setting: str, value: str, reason: str
) -> None:
    url, engine = sqlite
    env = cli_env(DATABASE_URL=url, **{setting: value})
    assert birge("migrate", cwd=tmp_path, env=env).returncode == 0

    result = birge("demo-data", cwd=tmp_path, env=env)

    assert result.returncode == 2
    assert "no demo data loaded" in result.stderr
    assert reason in result.stderr
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
        assert session.scalar(select(func.count()).select_from(Participant)) == 0


def test_pii_rotate_moves_every_ciphertext_to_the_first_key(
    tmp_path: Path, sqlite: tuple[str, Engine]
) -> None:
    url, engine = sqlite
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    env = cli_env(DATABASE_URL=url, PII_ENCRYPTION_KEY=old_key)
    assert birge("migrate", cwd=tmp_path, env=env).returncode == 0
    assert birge("demo-data", cwd=tmp_path, env=env).returncode == 0
    old = PiiCipher(encryption_keys=[old_key], hash_key="unused")
    with Session(engine) as session:
        session.add(
            Message(
                direction=MessageDirection.OUTBOUND,
                channel=MessageChannel.SMS,
                purpose="invite",
                body_encrypted=old.encrypt("Salam! You are invited."),
            )
        )
        session.commit()

    rotated = birge(
        "pii", "rotate", cwd=tmp_path, env={**env, "PII_ENCRYPTION_KEY": f"{new_key},{old_key}"}
    )

    assert rotated.returncode == 0, rotated.stderr
    assert "Re-encrypted 20 participants, 1 messages and " in rotated.stdout
    new_only = PiiCipher(encryption_keys=[new_key], hash_key="unused")
    with Session(engine) as session:
        participants = session.scalars(select(Participant)).all()
        message = session.scalars(select(Message)).one()
    assert all(new_only.decrypt(p.name_encrypted or "") for p in participants)
    assert all(new_only.decrypt(p.phone_encrypted or "").startswith("+996") for p in participants)
    assert new_only.decrypt(message.body_encrypted or "") == "Salam! You are invited."


@contextmanager
def birge_dev(
    tmp_path: Path, port: int, **settings: str
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """`birge dev` in an empty directory: its own SQLite file and file broker under var/."""
    output = tmp_path / "dev.out"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "birge_cli", "dev"],
            cwd=tmp_path,
            env=cli_env(PORT=str(port), **settings),
            stdout=sink,
            stderr=subprocess.STDOUT,
            # Its own process group, so a failed test can still end every child it started.
            start_new_session=True,
        )
        try:
            yield process, output
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def wait_until_ready(process: subprocess.Popen[bytes], output: Path, base: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"birge dev exited early:\n{output.read_text()[-4000:]}")
        try:
            if (
                httpx.get(f"{base}/healthz", timeout=2).status_code == 200
                and httpx.get(f"{base}/readyz", timeout=5).json().get("status") == "ready"
            ):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"birge dev was not ready in {STARTUP_SECONDS}s:\n{output.read_text()[-4000:]}")


def wait_for_relay(engine: Engine, event_id: str) -> bool:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        with Session(engine) as session:
            published = session.scalars(
                select(OutboxEntry.published_at).where(
                    OutboxEntry.payload["event_id"].as_string() == event_id
                )
            ).all()
        if published and all(published):
            return True
        time.sleep(0.5)
    return False


@pytest.mark.slow
def test_birge_dev_serves_the_api_runs_the_worker_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with birge_dev(tmp_path, port) as (process, output):
        wait_until_ready(process, output, base)
        printed = output.read_text()
        assert f"Birge is starting at http://localhost:{port}" in printed
        # PORT alone: the links the worker writes point at the port actually served.
        assert f"the SMS simulator use http://localhost:{port}." in printed
        assert f"The coordinator console: http://localhost:{port}/console" in printed
        login = re.search(r"admin\s+login: (\S+)\s+password: (\S+)", printed)
        assert login is not None, printed

        token = httpx.post(
            f"{base}/v1/auth/token",
            data={"username": login.group(1), "password": login.group(2)},
            timeout=10,
        )
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        events = httpx.get(f"{base}/v1/events", headers=headers, timeout=10)
        assert events.status_code == 200, events.text
        # The console is served by the same process, on the embedded SQLite database.
        with httpx.Client(base_url=base, timeout=10) as browser:
            assert browser.get("/").headers["location"] == "/console"
            form = browser.get("/console/sign-in")
            form_token = re.search(r'name="form_token" value="([^"]+)"', form.text)
            assert form_token is not None, form.text
            signed_in = browser.post(
                "/console/sign-in",
                data={
                    "email": login.group(1),
                    "password": login.group(2),
                    "form_token": form_token.group(1),
                },
            )
            assert signed_in.status_code == 303, signed_in.text
            assert browser.get("/console").status_code == 200
        event_id = events.json()["items"][0]["id"]

        # A cancellation goes API -> outbox -> the worker's beat runs the relay -> published.
        cancelled = httpx.post(f"{base}/v1/events/{event_id}/cancel", headers=headers, timeout=10)
        assert cancelled.status_code == 200, cancelled.text
        engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'birge.db'}")
        try:
            assert wait_for_relay(engine, event_id), output.read_text()[-4000:]
        finally:
            engine.dispose()

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    # Everything the embedded broker writes stays under var/ (Celery's control exchange too).
    assert not (tmp_path / "control").exists()


@pytest.mark.slow
def test_birge_dev_stops_everything_and_fails_when_a_child_dies(tmp_path: Path) -> None:
    with socket.socket() as taken:
        # The API cannot bind a port that is already in use, so its process exits.
        taken.bind(("0.0.0.0", 0))  # noqa: S104 - the API binds all interfaces too
        taken.listen()
        port = taken.getsockname()[1]
        with birge_dev(tmp_path, port) as (process, output):
            try:
                returncode = process.wait(timeout=STARTUP_SECONDS)
            except subprocess.TimeoutExpired:
                pytest.fail(f"birge dev kept running:\n{output.read_text()[-4000:]}")
    assert returncode == 1
    assert "the api process exited" in output.read_text()


@pytest.mark.slow
def test_birge_dev_with_a_mail_server_loads_no_demo_people_and_says_so(tmp_path: Path) -> None:
    with socket.socket() as taken:
        # As above, the API cannot bind: `birge dev` migrates, decides, tells, and stops.
        taken.bind(("0.0.0.0", 0))  # noqa: S104 - the API binds all interfaces too
        taken.listen()
        port = taken.getsockname()[1]
        with birge_dev(tmp_path, port, SMTP_URL="smtp://mail.example.org:25") as (process, out):
            try:
                process.wait(timeout=STARTUP_SECONDS)
            except subprocess.TimeoutExpired:
                pytest.fail(f"birge dev kept running:\n{out.read_text()[-4000:]}")
    printed = out.read_text()
    assert "No demo data loaded: e-mail goes through SMTP_URL" in printed
    assert "password:" not in printed
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'birge.db'}")
    try:
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(Participant)) == 0
            assert session.scalar(select(func.count()).select_from(User)) == 0
    finally:
        engine.dispose()


def _read_until(fd: int, marker: bytes, seen: bytearray) -> None:
    deadline = time.monotonic() + 60
    while marker not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(f"no {marker!r} prompt; the terminal showed {bytes(seen)!r}")
        ready, _, _ = wait_readable([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # the terminal closed: the command has exited
                chunk = b""
            if not chunk:
                pytest.fail(f"no {marker!r} prompt; the terminal showed {bytes(seen)!r}")
            seen.extend(chunk)


def _create_user_on_a_terminal(
    tmp_path: Path, env: dict[str, str], first: str, second: str
) -> tuple[int, bytes]:
    """`birge users create` with a real pseudo-terminal as its controlling terminal."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the command
        os.chdir(tmp_path)
        command = [sys.executable, "-m", "birge_cli", "users", "create", "t@example.org"]
        os.execve(sys.executable, [*command, "--role", "viewer", "--city", "osh"], env)  # noqa: S606
    seen = bytearray()
    try:
        _read_until(fd, b"Password: ", seen)
        os.write(fd, first.encode() + b"\n")
        _read_until(fd, b"Repeat the password: ", seen)
        os.write(fd, second.encode() + b"\n")
        _read_until(fd, b"\n", seen)
        with contextlib.suppress(OSError):
            while chunk := os.read(fd, 1024):
                seen.extend(chunk)
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    return os.waitstatus_to_exitcode(status), bytes(seen)


def test_users_create_asks_twice_on_a_terminal(tmp_path: Path, sqlite: tuple[str, Engine]) -> None:
    url, engine = sqlite
    env = cli_env(DATABASE_URL=url)
    assert birge("migrate", cwd=tmp_path, env=env).returncode == 0

    code, shown = _create_user_on_a_terminal(tmp_path, env, PASSWORD, PASSWORD + "!")
    assert code == 2
    assert b"do not match" in shown

    code, shown = _create_user_on_a_terminal(tmp_path, env, PASSWORD, PASSWORD)
    assert code == 0, shown
    # getpass does not echo: the password never appears on the terminal.
    assert PASSWORD.encode() not in shown
    with Session(engine) as session:
        user = session.scalars(select(User)).one()
    assert verify_password(PASSWORD, user.password_hash)


def test_pii_reindex_names_rebuilds_the_index_under_a_new_hash_key(
    tmp_path: Path, sqlite: tuple[str, Engine]
) -> None:
    url, engine = sqlite
    env = cli_env(DATABASE_URL=url, PII_HASH_KEY="the-first-hash-key-of-this-test")
    assert birge("migrate", cwd=tmp_path, env=env).returncode == 0
    assert birge("demo-data", cwd=tmp_path, env=env).returncode == 0
    new_key = "a-new-hash-key-after-rotation"

    reindexed = birge("pii", "reindex-names", cwd=tmp_path, env={**env, "PII_HASH_KEY": new_key})

    assert reindexed.returncode == 0, reindexed.stderr
    assert "Indexed the names of 20 participants." in reindexed.stdout
    cipher = PiiCipher(encryption_keys=[Fernet.generate_key().decode()], hash_key=new_key)
    with Session(engine) as session:
        stored = set(session.scalars(select(ParticipantNameToken.token_hash)))
        participants = session.scalars(select(Participant)).all()
    first_name = PiiCipher.from_settings(get_settings()).decrypt(
        participants[0].name_encrypted or ""
    )
    assert name_index.term_hashes(cipher.name_token_key, first_name)[0] in stored
