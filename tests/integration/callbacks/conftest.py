"""Webhooks as the API stores them, and what the worker makes of them.

Callbacks are stored through the webhook's own service functions, so the rows the worker reads
are exactly the rows the API writes (sender and text encrypted, one row per delivery).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from birge_api.webhooks.service import record_inbound, record_status
from birge_shared.models import (
    Community,
    Event,
    Invitation,
    InvitationStatus,
    Message,
    MessageChannel,
    MessageDirection,
    MessageStatus,
    OutboxEntry,
    Participant,
    PeriodicRun,
    ProviderCallback,
    utcnow,
)
from birge_shared.tasks import INVITATIONS_EXPIRE_DUE, SmsSend
from birge_workers.callbacks.process import CallbackOutcome, process_callback
from tests.factories import make_event, make_invitation, make_participant


def new_sid() -> str:
    return "SM" + uuid.uuid4().hex


def status_callback(
    session: Session, sid: str, status: str, error_code: str | None = None
) -> ProviderCallback:
    """A delivery report as the status webhook stores it."""
    record_status(session=session, message_sid=sid, status=status, error_code=error_code)
    return _stored(session, f"status:{sid}:{status.lower()}")


def inbound_callback(session: Session, phone: str, text: str) -> ProviderCallback:
    """An inbound SMS as the messages webhook stores it."""
    sid = new_sid()
    record_inbound(session=session, message_sid=sid, sender=phone, body=text)
    return _stored(session, f"inbound:{sid}")


def _stored(session: Session, dedupe_key: str) -> ProviderCallback:
    return session.scalars(
        select(ProviderCallback).where(ProviderCallback.dedupe_key == dedupe_key)
    ).one()


def process(session: Session, callback: ProviderCallback) -> CallbackOutcome:
    outcome = process_callback(session=session, callback_id=callback.id, now=utcnow())
    session.refresh(callback)
    return outcome


def sent_message(
    session: Session,
    *,
    participant: Participant,
    invitation: Invitation | None = None,
    purpose: str = "invitation",
    status: MessageStatus = MessageStatus.QUEUED,
) -> Message:
    """An outbound SMS the provider accepted, with its sid recorded."""
    message = Message(
        direction=MessageDirection.OUTBOUND,
        channel=MessageChannel.SMS,
        purpose=purpose,
        dedupe_key=f"test:{uuid.uuid4()}",
        invitation_id=invitation.id if invitation else None,
        participant_id=participant.id,
        provider_sid=new_sid(),
        status=status,
    )
    session.add(message)
    session.flush()
    return message


def outbound(session: Session, participant: Participant) -> list[Message]:
    """The participant's outbound messages, oldest first."""
    return list(
        session.scalars(
            select(Message)
            .where(
                Message.participant_id == participant.id,
                Message.direction == MessageDirection.OUTBOUND,
            )
            .order_by(Message.created_at, Message.id)
        )
    )


def queued_for_sending(session: Session, message: Message) -> int:
    """How many `sms.send` outbox rows name exactly this one message."""
    payload = SmsSend(message_ids=[message.id]).model_dump(mode="json")
    rows = session.scalars(select(OutboxEntry).where(OutboxEntry.task_name == "sms.send"))
    return sum(row.payload == payload for row in rows)


class CommittedRows:
    """Rows committed for real, for the worker's own transactions; all removed afterwards.

    Each run has its own database and tests run one after the other, so every outbox row and
    callback newer than the ones present at the start belongs to the test.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session = Session(engine, expire_on_commit=False)
        self.event_ids: list[uuid.UUID] = []
        self.participant_ids: list[uuid.UUID] = []
        self._outbox_before = self._max(OutboxEntry.id)
        self._callbacks_before = self._max(ProviderCallback.id)
        self._clear_periodic()

    def _max(self, column: InstrumentedAttribute[int]) -> int:
        with Session(self.engine) as session:
            return session.scalar(select(func.max(column))) or 0

    def _clear_periodic(self) -> None:
        with Session(self.engine) as session:
            session.execute(
                delete(PeriodicRun).where(PeriodicRun.task_name == INVITATIONS_EXPIRE_DUE)
            )
            session.commit()

    def event(self, *, capacity: int = 10, min_share: float = 0.4) -> Event:
        event = make_event(self.session, capacity=capacity, min_share=min_share)
        self.session.commit()
        self.event_ids.append(event.id)
        return event

    def participant(
        self, *, community: Community | None = Community.HOST, phone: str | None = None
    ) -> Participant:
        participant = make_participant(self.session, community=community, phone=phone)
        self.session.commit()
        self.participant_ids.append(participant.id)
        return participant

    def invitation(
        self, event: Event, participant: Participant, status: InvitationStatus
    ) -> Invitation:
        invitation = make_invitation(
            self.session, event=event, participant=participant, status=status
        )
        self.session.commit()
        return invitation

    def cleanup(self) -> None:
        session = self.session
        session.rollback()
        session.execute(delete(Message).where(Message.participant_id.in_(self.participant_ids)))
        session.execute(delete(Event).where(Event.id.in_(self.event_ids)))
        session.execute(delete(Participant).where(Participant.id.in_(self.participant_ids)))
        session.execute(delete(OutboxEntry).where(OutboxEntry.id > self._outbox_before))
        session.execute(
            delete(ProviderCallback).where(ProviderCallback.id > self._callbacks_before)
        )
        session.commit()
        session.close()
        self._clear_periodic()


@pytest.fixture
def committed(raw_engine: Engine) -> Iterator[CommittedRows]:
    rows = CommittedRows(raw_engine)
    yield rows
    rows.cleanup()
