"""Committed rows and a real SMTP server (aiosmtpd) for the calendar e-mail tests.

The worker tasks run their own transactions (`session_scope`), so rows are committed for real
and every row a test makes is deleted afterwards. The SMTP server runs in this process on
127.0.0.1 and a free port; it keeps every message it accepts and refuses the addresses it is
told to refuse, with a temporary (4xx) or a permanent (5xx) reply.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_shared.models import (
    AuditEntry,
    Event,
    Invitation,
    InvitationStatus,
    Language,
    Message,
    MessageChannel,
    OutboxEntry,
    Participant,
    PeriodicRun,
    Role,
    User,
    utcnow,
)
from birge_shared.outbound.plan import plan_invitations, queue_planned
from birge_shared.settings import get_settings
from birge_shared.tasks import MESSAGES_RELEASE_DUE, EmailSend, TaskPayload
from birge_shared.users import create_user
from tests.factories import make_event, make_invitation, make_participant
from tests.integration.calendar.reader import ReadCalendar, read_ics
from tests.ports import free_port


@dataclass
class Mailbox:
    """The aiosmtpd handler: what arrived, and which recipients to refuse."""

    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    temporary: set[str] = field(default_factory=set)
    permanent: set[str] = field(default_factory=set)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.temporary:
            return "451 4.3.0 Mailbox busy, try again later"
        if address in self.permanent:
            # Real servers quote the address back; it must not reach our rows or logs.
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if m["To"].addresses[0].addr_spec == address]


@dataclass
class SmtpServer:
    mailbox: Mailbox
    url: str
    port: int


def start_controller(handler: Mailbox, **options: Any) -> tuple[Controller, int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    return controller, port


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    controller, port = start_controller(mailbox)
    try:
        yield SmtpServer(mailbox=mailbox, url=f"smtp://127.0.0.1:{port}", port=port)
    finally:
        controller.stop()


#: The reply mailbox the e-mail tests configure, so invitations are REQUESTs naming it.
REPLY_ADDRESS = "answers@birge.kg"


@pytest.fixture
def smtp(smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    """The workers' settings point at the test server for this test, with a reply mailbox."""
    monkeypatch.setattr(get_settings(), "smtp_url", smtp_server.url)
    monkeypatch.setattr(get_settings(), "calendar_reply_address", REPLY_ADDRESS)
    return smtp_server.mailbox


def calendar_of(message: EmailMessage) -> tuple[str | None, ReadCalendar]:
    """The `method` parameter of the inline calendar part, and the calendar it carries."""
    parts = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    body = parts[0].get_payload(decode=True)
    assert isinstance(body, bytes)
    return parts[0].get_param("method"), read_ics(body)  # type: ignore[return-value]


class CalendarRows:
    """Creates committed rows through its own session and deletes them all in `cleanup`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session = Session(engine, expire_on_commit=False)
        self.event_ids: list[uuid.UUID] = []
        self.participant_ids: list[uuid.UUID] = []
        self.user_ids: list[uuid.UUID] = []
        self.outbox_after: int = (
            self.session.scalar(select(func.coalesce(func.max(OutboxEntry.id), 0))) or 0
        )
        self.session.commit()

    def event(self, **options: Any) -> Event:
        event = make_event(self.session, city="bishkek", **options)
        self.session.commit()
        self.event_ids.append(event.id)
        return event

    def participant(
        self,
        *,
        email: str | None = None,
        language: Language = Language.RU,
        name: str = "Айгуль Токтогулова",
    ) -> Participant:
        participant = make_participant(
            self.session, city="bishkek", email=email, language=language, name=name
        )
        self.participant_ids.append(participant.id)
        self.session.commit()
        return participant

    def invited(
        self,
        event: Event,
        count: int,
        *,
        status: InvitationStatus = InvitationStatus.ACCEPTED,
        language: Language = Language.RU,
    ) -> list[Invitation]:
        """`count` participants with an e-mail each, invited with `status`."""
        invitations = []
        # A block of consecutive numbers: random numbers would collide now and then in 300.
        first = secrets.randbelow(9_000_000 - count)
        for number in range(first, first + count):
            participant = make_participant(
                self.session,
                city="bishkek",
                phone=f"+99670{number:07d}",
                email=f"p-{uuid.uuid4().hex[:12]}@example.org",
                language=language,
            )
            self.participant_ids.append(participant.id)
            invitations.append(
                make_invitation(self.session, event=event, participant=participant, status=status)
            )
        self.session.commit()
        return invitations

    def admin(self) -> Actor:
        user = create_user(
            session=self.session,
            email=f"admin-{uuid.uuid4().hex[:8]}@example.org",
            password="correct horse battery staple",
            role=Role.ADMIN,
        )
        self.session.commit()
        self.user_ids.append(user.id)
        return Actor(user_id=user.id, role=Role.ADMIN, cities=None)

    def fresh(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def outbox(self, payload_type: type[TaskPayload], *, take: bool = True) -> list[OutboxEntry]:
        """Outbox rows of one task written since the test began and not yet taken, oldest
        first; `take` stamps them published, as the relay would."""
        with self.fresh() as session:
            entries = list(
                session.scalars(
                    select(OutboxEntry)
                    .where(
                        OutboxEntry.id > self.outbox_after,
                        OutboxEntry.task_name == payload_type.task_name,
                        OutboxEntry.published_at.is_(None),
                    )
                    .order_by(OutboxEntry.id)
                )
            )
            if take and entries:
                session.execute(
                    update(OutboxEntry)
                    .where(OutboxEntry.id.in_([entry.id for entry in entries]))
                    .values(published_at=utcnow())
                )
                session.commit()
            return entries

    def email_sends(self) -> list[list[str]]:
        """The `email.send` payloads queued since the last call, as the relay publishes them."""
        return [entry.payload["message_ids"] for entry in self.outbox(EmailSend)]

    def messages(
        self, event: Event, *, channel: MessageChannel | None = None, purpose: str | None = None
    ) -> list[Message]:
        with self.fresh() as session:
            query = (
                select(Message)
                .join(Invitation, Message.invitation_id == Invitation.id)
                .where(Invitation.event_id == event.id)
            )
            if channel is not None:
                query = query.where(Message.channel == channel)
            if purpose is not None:
                query = query.where(Message.purpose == purpose)
            return list(session.scalars(query))

    def message(self, message_id: uuid.UUID | str) -> Message:
        with self.fresh() as session:
            message = session.get(Message, uuid.UUID(str(message_id)))
            assert message is not None
            return message

    def cleanup(self) -> None:
        session = self.session
        session.rollback()
        invitation_ids = select(Invitation.id).where(Invitation.event_id.in_(self.event_ids))
        session.execute(
            delete(Message).where(
                or_(
                    Message.participant_id.in_(self.participant_ids),
                    Message.invitation_id.in_(invitation_ids),
                )
            )
        )
        # Invitations go with their event (ON DELETE CASCADE).
        session.execute(delete(Event).where(Event.id.in_(self.event_ids)))
        session.execute(delete(Participant).where(Participant.id.in_(self.participant_ids)))
        session.execute(delete(OutboxEntry).where(OutboxEntry.id > self.outbox_after))
        session.execute(
            delete(AuditEntry).where(
                or_(
                    AuditEntry.actor_id.in_(self.user_ids),
                    AuditEntry.object_id.in_([str(event_id) for event_id in self.event_ids]),
                )
            )
        )
        session.execute(delete(User).where(User.id.in_(self.user_ids)))
        session.execute(delete(PeriodicRun).where(PeriodicRun.task_name == MESSAGES_RELEASE_DUE))
        session.commit()
        session.close()


@pytest.fixture
def rows(raw_engine: Engine) -> Iterator[CalendarRows]:
    made = CalendarRows(raw_engine)
    yield made
    made.cleanup()


def queue_invitation_emails(
    *, session: Session, invitation_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """The calendar e-mails of these invitations, planned and queued as the fan-out does."""
    planned = plan_invitations(
        session=session, invitation_ids=invitation_ids, channels={MessageChannel.EMAIL}
    )
    queue_planned(session=session, planned=planned)
    return planned.of(MessageChannel.EMAIL)
