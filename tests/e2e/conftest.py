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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from birge_console.app import create_app
from birge_shared.models import (
    AuditEntry,
    Community,
    Event,
    Invitation,
    InvitationBatch,
    InvitationStatus,
    Language,
    Message,
    MessageStatus,
    OutboxEntry,
    Participant,
)
from birge_shared.tasks import SmsSend
from tests.e2e.birge_stack import BirgeStack, assert_nothing_personal_logged, running_birge
from tests.e2e.console_helpers import ConsoleUsers
from tests.factories import invitation_sms, make_event, make_invitation, make_participant
from tests.integration.console.report_data import ReportedEvent, reported_event

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


@dataclass
class EventRoster:
    """An event with people at each step of the roster, and people of its city not invited."""

    event: Event
    confirmed: list[Invitation]
    awaiting: Invitation
    failed: Invitation
    waiting: Invitation
    uninvited: list[uuid.UUID]


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

    def reported_event(self, **kwargs: Any) -> ReportedEvent:
        """A past event with enough answers for its report's figures to be shown."""
        with Session(self.engine, expire_on_commit=False) as session:
            made = reported_event(session, **kwargs)
            self.event_ids.append(made.event.id)
            self.participant_ids.extend(
                session.scalars(
                    select(Invitation.participant_id).where(Invitation.event_id == made.event.id)
                )
            )
            session.commit()
            return made

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

    def opted_out(self, invitation: Invitation) -> bool:
        """Whether the invitation's person has opted out of every message."""
        with Session(self.engine) as session:
            return (
                session.scalar(
                    select(Participant.opted_out_at).where(
                        Participant.id == invitation.participant_id
                    )
                )
                is not None
            )

    def remove(self) -> None:
        with Session(self.engine) as session:
            # People the pages registered (walk-ins at the door) are on the events' lists.
            self.participant_ids += list(
                session.scalars(
                    select(Invitation.participant_id).where(Invitation.event_id.in_(self.event_ids))
                )
            )
            message_ids = {
                str(message_id)
                for message_id in session.scalars(
                    select(Message.id).where(Message.participant_id.in_(self.participant_ids))
                )
            }
            # Sends the pages queued (an answer from the inbox) that no relay published.
            for entry in session.scalars(
                select(OutboxEntry).where(OutboxEntry.task_name == SmsSend.task_name)
            ):
                if message_ids & set(entry.payload.get("message_ids", [])):
                    session.delete(entry)
            # Invitations go with their event and participant (ON DELETE CASCADE); messages
            # would only lose the link, so they are deleted first.
            session.execute(delete(Message).where(Message.participant_id.in_(self.participant_ids)))
            session.execute(delete(Event).where(Event.id.in_(self.event_ids)))
            session.execute(delete(Participant).where(Participant.id.in_(self.participant_ids)))
            session.commit()

    def event_with_roster(self, *, city: str = "osh") -> EventRoster:
        """Committed: two confirmed, one awaiting, one whose SMS failed, one waiting, two free."""
        with Session(self.engine, expire_on_commit=False) as session:
            event = make_event(session, city=city, capacity=8, min_share=0.3)
            self.event_ids.append(event.id)

            def person(name: str, community: Community = Community.HOST) -> Participant:
                participant = make_participant(session, city=city, name=name, community=community)
                self.participant_ids.append(participant.id)
                return participant

            confirmed = [
                make_invitation(
                    session,
                    event=event,
                    participant=person(name),
                    status=InvitationStatus.ACCEPTED,
                )
                for name in ("Айгүл Бекова", "Азамат Жумабаев")
            ]
            awaiting = make_invitation(
                session, event=event, participant=person("Бакыт Осмонов", Community.MIGRANT)
            )
            failed = make_invitation(
                session,
                event=event,
                participant=person("Чынара Алиева", Community.MIGRANT),
                status=InvitationStatus.FAILED,
            )
            session.add(
                invitation_sms(
                    failed,
                    status=MessageStatus.UNDELIVERED,
                    error_reason="the handset is unreachable",
                )
            )
            waiting = make_invitation(
                session,
                event=event,
                participant=person("Данияр Токтогулов", Community.MIGRANT),
                status=InvitationStatus.WAITLISTED,
            )
            uninvited = [
                person("Эльмира Касымова").id,
                person("Нурлан Абдыкеров", Community.MIGRANT).id,
            ]
            session.commit()
            return EventRoster(event, confirmed, awaiting, failed, waiting, uninvited)

    def set_invitation_status(self, invitation: Invitation, status: InvitationStatus) -> None:
        """As an answer arriving from elsewhere (an SMS reply) would change it."""
        with Session(self.engine) as session:
            session.execute(
                update(Invitation).where(Invitation.id == invitation.id).values(status=status)
            )
            session.commit()

    def outbox_mark(self) -> int:
        with Session(self.engine) as session:
            return int(session.scalar(select(func.coalesce(func.max(OutboxEntry.id), 0))) or 0)

    def batches_of(self, event: Event) -> int:
        with Session(self.engine) as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(InvitationBatch)
                    .where(InvitationBatch.event_id == event.id)
                )
                or 0
            )

    def batch_channels(self, event: Event) -> list[list[str] | None]:
        """The channels chosen for each of the event's batches, oldest first."""
        with Session(self.engine) as session:
            return list(
                session.scalars(
                    select(InvitationBatch.channels)
                    .where(InvitationBatch.event_id == event.id)
                    .order_by(InvitationBatch.created_at)
                )
            )

    def remove_outbox_since(self, mark: int) -> None:
        """Tasks the pages queued for workers, which do not run in the browser tests."""
        with Session(self.engine) as session:
            session.execute(delete(OutboxEntry).where(OutboxEntry.id > mark))
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


@pytest.fixture(scope="module")
def birge(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BirgeStack]:
    """The whole of Birge running as `make run` runs it (API, console, worker, beat, SMS
    simulator) on a database of its own, dropped afterwards; see tests/e2e/birge_stack.py."""
    with running_birge(tmp_path_factory.mktemp("birge")) as stack:
        yield stack
    assert_nothing_personal_logged(stack)


@pytest.fixture(autouse=True)
def no_rows_left_for_later_tests(raw_engine: object) -> Iterator[None]:
    """Outbox rows and audit entries the pages wrote for real, removed after each browser test.

    No worker runs beside the live server, so what a page queued would stay due for the
    integration tests that read the whole outbox; the audit entries of its sign-ins likewise.
    """
    assert isinstance(raw_engine, Engine)
    with Session(raw_engine) as session:
        mark = session.scalar(select(func.coalesce(func.max(OutboxEntry.id), 0)))
        started = session.scalar(select(func.now()))
    yield
    with Session(raw_engine) as session:
        session.execute(delete(OutboxEntry).where(OutboxEntry.id > mark))
        session.execute(delete(AuditEntry).where(AuditEntry.at >= started))
        session.commit()
