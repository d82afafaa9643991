"""The development stand-ins keep personal data on disk: the simulator's outbox (numbers and
texts), the mail folder (addresses and names) and the SQLite database. Each is created readable
by its owner only, whatever the umask of the process that creates it."""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import text

from birge_shared.broker import transport_options
from birge_shared.db import make_engine
from birge_shared.settings import Settings
from birge_workers.mail.transport import FolderTransport
from birge_workers.sms.simulator import OUTBOX_FILE, SmsSimulator


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual umask, which leaves new files readable by everyone."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_simulator_outbox_is_the_owners_alone(tmp_path: Path) -> None:
    folder = tmp_path / "var"
    simulator = SmsSimulator(folder, auth_token="t" * 32, step_delay=0.01)
    simulator.send(
        to="+996555123456", body="Birge: ДА?", status_callback=None, validity_period=None
    )
    assert _mode(folder) == 0o700
    assert _mode(folder / OUTBOX_FILE) == 0o600


def test_an_outbox_left_readable_by_an_older_version_is_narrowed(tmp_path: Path) -> None:
    folder = tmp_path / "var"
    folder.mkdir()
    outbox = folder / OUTBOX_FILE
    outbox.write_text("", encoding="utf-8")
    outbox.chmod(0o644)
    simulator = SmsSimulator(folder, auth_token="t" * 32, step_delay=0.01)
    simulator.send(to="+996555123456", body="Birge", status_callback=None, validity_period=None)
    assert _mode(outbox) == 0o600
    assert len(outbox.read_text(encoding="utf-8").splitlines()) == 1


def test_the_mail_folder_and_its_messages_are_the_owners_alone(tmp_path: Path) -> None:
    folder = tmp_path / "var" / "mail"
    message = EmailMessage()
    message["Message-ID"] = f"<{uuid.uuid4()}@birge.kg>"
    message["To"] = "aida@example.org"
    message.set_content("Birge")
    with FolderTransport(folder) as transport:
        transport.send(message)
    (written,) = folder.iterdir()
    assert written.suffix == ".eml"
    assert _mode(written) == 0o600
    assert _mode(folder) == 0o700
    assert _mode(folder.parent) == 0o700


def test_the_sqlite_database_and_its_wal_files_are_the_owners_alone(tmp_path: Path) -> None:
    database = tmp_path / "var" / "birge.db"
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE note (body TEXT)"))
            connection.execute(text("INSERT INTO note VALUES ('Aida')"))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM note")).scalar_one() == 1
            files = sorted(database.parent.glob("birge.db*"))
            assert [path.name for path in files] == ["birge.db", "birge.db-shm", "birge.db-wal"]
            assert {path.name: _mode(path) for path in files} == dict.fromkeys(
                ("birge.db", "birge.db-shm", "birge.db-wal"), 0o600
            )
    finally:
        engine.dispose()
    assert _mode(database.parent) == 0o700


def test_an_existing_folder_of_the_database_is_left_as_it_is(tmp_path: Path) -> None:
    # sqlite:///birge.db lives in the working directory, which is not Birge's to narrow.
    tmp_path.chmod(0o755)
    engine = make_engine(f"sqlite:///{tmp_path / 'birge.db'}")
    engine.dispose()
    assert _mode(tmp_path) == 0o755
    assert _mode(tmp_path / "birge.db") == 0o600


def test_the_file_brokers_folders_are_the_owners_alone(tmp_path: Path) -> None:
    folder = tmp_path / "var" / "broker"
    (folder / "queue").mkdir(parents=True, mode=0o755)  # left open by an earlier version
    settings = Settings(broker_url="filesystem://", broker_folder=folder)
    options = transport_options(settings)
    for key in ("data_folder_in", "processed_folder", "control_folder"):
        assert _mode(Path(options[key])) == 0o700
    assert _mode(folder) == 0o700
