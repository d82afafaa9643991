"""A real Birge server on loopback and Debian's Chromium, for tests that use the pages as a
participant's phone or a coordinator's laptop would.

The server runs the real application in a thread, so it reads the test database through its
own connections: rows it should see are committed for real (`CommittedRows`) and deleted
afterwards.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from birge_console.app import create_app
from birge_shared.models import Event, Invitation, InvitationStatus, Language, Message, Participant
from tests.e2e.console_helpers import ConsoleUsers
from tests.factories import make_event, make_invitation, make_participant

CHROMIUM = Path("/usr/bin/chromium")
# Flags that keep Chromium from reaching for the network (updates, sync, safe browsing lists)
# and that let it run as root in a container without a GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_HINT = "Install it with `bash tests/install_chromium.sh` (apt-get install -y chromium)."
SERVER_START_SECONDS = 15.0
SERVER_STOP_SECONDS = 10.0
BROWSER_LAUNCH_MS = 30_000


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing, so the browser tests cannot run. {INSTALL_HINT}"
        # CI must run them: a skipped browser test there would let a broken page pass.
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return str(CHROMIUM)


# Module scope: the browser and the server live only while the browser tests run.
@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, timeout=BROWSER_LAUNCH_MS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def live_server(database_url: str) -> Iterator[str]:
    """The base URL of the real application served by uvicorn on a free loopback port."""
    # The socket is bound here and handed to uvicorn, so no other process can take the port
    # between choosing it and listening on it.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])
    config = uvicorn.Config(
        create_app(),
        host="127.0.0.1",
        port=port,
        http="h11",
        ws="none",
        lifespan="off",
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="birge-live-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + SERVER_START_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            listener.close()
            pytest.fail(f"uvicorn did not start within {SERVER_START_SECONDS:.0f} s", pytrace=False)
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=SERVER_STOP_SECONDS)
        listener.close()
        assert not thread.is_alive(), "uvicorn did not stop"


class CommittedRows:
    """Events, participants and invitations committed for the server to see, then removed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.event_ids: list[uuid.UUID] = []
        self.participant_ids: list[uuid.UUID] = []

    def invitation(
        self, *, language: Language, coordinates: tuple[float, float] | None = None
    ) -> Invitation:
        with Session(self.engine, expire_on_commit=False) as session:
            event = make_event(session, city="bishkek")
            if coordinates is not None:
                event.venue_latitude, event.venue_longitude = coordinates
            participant = make_participant(session, language=language)
            invitation = make_invitation(session, event=event, participant=participant)
            self.event_ids.append(event.id)
            self.participant_ids.append(participant.id)
            session.commit()
            return invitation

    def participant(self, **fields: Any) -> Participant:
        with Session(self.engine, expire_on_commit=False) as session:
            participant = make_participant(session, **fields)
            self.participant_ids.append(participant.id)
            session.commit()
            return participant

    def event(self, **fields: Any) -> Event:
        with Session(self.engine, expire_on_commit=False) as session:
            event = make_event(session, **fields)
            self.event_ids.append(event.id)
            session.commit()
            return event

    def add(self, *rows: Any) -> None:
        """Commit rows made by hand (messages, invitations) with the others' cleanup."""
        with Session(self.engine, expire_on_commit=False) as session:
            session.add_all(rows)
            session.commit()

    def status_of(self, invitation: Invitation) -> InvitationStatus | None:
        with Session(self.engine) as session:
            return session.scalar(select(Invitation.status).where(Invitation.id == invitation.id))

    def remove(self) -> None:
        with Session(self.engine) as session:
            # Invitations go with their event and participant (ON DELETE CASCADE); messages
            # would only lose the link, so they are deleted first.
            session.execute(delete(Message).where(Message.participant_id.in_(self.participant_ids)))
            session.execute(delete(Event).where(Event.id.in_(self.event_ids)))
            session.execute(delete(Participant).where(Participant.id.in_(self.participant_ids)))
            session.commit()


@pytest.fixture
def committed(raw_engine: object) -> Iterator[CommittedRows]:
    assert isinstance(raw_engine, Engine)
    rows = CommittedRows(raw_engine)
    try:
        yield rows
    finally:
        rows.remove()


@pytest.fixture
def console_users(raw_engine: object) -> Iterator[ConsoleUsers]:
    assert isinstance(raw_engine, Engine)
    users = ConsoleUsers(raw_engine)
    try:
        yield users
    finally:
        users.remove()
