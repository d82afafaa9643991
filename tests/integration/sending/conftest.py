"""Committed rows, a fake Twilio and an in-process sender for the sending pipeline's tests.

The sending code runs its own transactions (`session_scope`), so rows are committed for real
and every row a test makes is deleted afterwards: events (their invitations and batches go with
them), participants, the messages sent to them, and the outbox rows written meanwhile.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.db import session_scope
from birge_shared.models import (
    ActivityType,
    Community,
    ConsentMethod,
    Event,
    EventStatus,
    Invitation,
    InvitationBatch,
    InvitationStatus,
    Language,
    Message,
    MessageChannel,
    MessagePurpose,
    OutboxEntry,
    Participant,
    PeriodicRun,
    utcnow,
)
from birge_shared.outbound.plan import plan_one
from birge_shared.settings import Settings, get_settings
from birge_shared.tasks import (
    MESSAGES_RELEASE_DUE,
    MESSAGES_SWEEP_IN_FLIGHT,
    EmailSend,
    SmsSend,
    TelegramSend,
    WhatsAppSend,
)
from birge_workers.outbound.lifecycle import Outcome, send_chunk
from birge_workers.sending.pacing import LocalTokenBucket
from birge_workers.sms.channel import SmsChannel
from birge_workers.sms.twilio_provider import TwilioProvider
from tests.contract.prism import running_prism
from tests.factories import unique_phone
from tests.fakes.fake_messages_api import FakeMessagesApi

#: The send tasks a test reads from the outbox.
SendTask = SmsSend | EmailSend | TelegramSend | WhatsAppSend

FROM_NUMBER = "+15005550006"


class Rows:
    """Creates committed rows through its own session and deletes them all in `cleanup`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session = Session(engine, expire_on_commit=False)
        self.event_ids: list[uuid.UUID] = []
        self.participant_ids: list[uuid.UUID] = []
        self.phones: dict[uuid.UUID, str] = {}
        self.emails: dict[uuid.UUID, str] = {}
        self.outbox_after = self.session.scalar(select(func.coalesce(func.max(OutboxEntry.id), 0)))
        self.session.commit()

    def event(
        self,
        *,
        starts_at: datetime | None = None,
        capacity: int = 50,
        status: EventStatus = EventStatus.SCHEDULED,
        title: dict[str, str] | None = None,
    ) -> Event:
        starts_at = starts_at or utcnow().replace(microsecond=0) + timedelta(days=7)
        event = Event(
            city_code="bishkek",
            title=title or {"ru": "Плов вместе", "en": "Cooking plov together"},
            activity_type=ActivityType.COOKING,
            venue_name="Community kitchen",
            venue_address="Chuy Avenue 1",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            capacity=capacity,
            min_share=0.0,
            status=status,
            cancelled_at=utcnow() if status is EventStatus.CANCELLED else None,
        )
        self.session.add(event)
        self.session.commit()
        self.event_ids.append(event.id)
        return event

    def participant(
        self,
        *,
        language: Language = Language.RU,
        phone: str | None = None,
        email: str | None = None,
    ) -> Participant:
        cipher = get_cipher()
        number = phone or unique_phone()
        participant = Participant(
            phone_encrypted=cipher.encrypt(number),
            phone_hash=cipher.lookup_hash("phone", number),
            email_encrypted=cipher.encrypt(email) if email else None,
            email_hash=cipher.lookup_hash("email", email) if email else None,
            language=language,
            city_code="bishkek",
            community=Community.HOST,
            consent_method=ConsentMethod.PAPER_FORM,
            consent_text_version="2026-01",
            consent_given_at=utcnow(),
        )
        self.session.add(participant)
        self.session.commit()
        self.participant_ids.append(participant.id)
        self.phones[participant.id] = number
        if email:
            self.emails[participant.id] = email
        return participant

    def batch(
        self,
        event: Event,
        *,
        planned: int,
        waitlisted: int = 0,
        language: Language = Language.RU,
        person: Callable[..., Participant] | None = None,
    ) -> tuple[InvitationBatch, list[Invitation]]:
        """A batch as the API leaves it: planned and waitlisted invitations, no message yet.

        `person` makes each invited person (a drill's channel gives people its address)."""
        batch = InvitationBatch(
            event_id=event.id,
            request_fingerprint=uuid.uuid4().hex,
            invited=planned,
            waitlisted=waitlisted,
        )
        self.session.add(batch)
        self.session.flush()
        invitations = []
        statuses = [InvitationStatus.PLANNED] * planned + [InvitationStatus.WAITLISTED] * waitlisted
        for status in statuses:
            participant = (person or self.participant)(language=language)
            invitation = Invitation(
                event_id=event.id, participant_id=participant.id, status=status, batch_id=batch.id
            )
            self.session.add(invitation)
            invitations.append(invitation)
        self.session.commit()
        return batch, invitations

    def planned_message(
        self, invitation: Invitation, *, channel: MessageChannel = MessageChannel.SMS
    ) -> uuid.UUID:
        """The invitation's message on `channel`, planned as the fan-out plans it."""
        message_id = plan_one(
            session=self.session,
            purpose=MessagePurpose.INVITATION,
            participant_id=invitation.participant_id,
            invitation_id=invitation.id,
            channel=channel,
        )
        self.session.commit()
        assert message_id is not None
        return message_id

    def invite(
        self,
        *,
        language: Language = Language.RU,
        event: Event | None = None,
        channel: MessageChannel = MessageChannel.SMS,
        person: Callable[..., Participant] | None = None,
    ) -> tuple[Invitation, uuid.UUID]:
        """One planned invitation with its planned message on `channel` (SMS by default)."""
        _, (invitation,) = self.batch(
            event or self.event(), planned=1, language=language, person=person
        )
        return invitation, self.planned_message(invitation, channel=channel)

    def message(self, message_id: uuid.UUID) -> Message:
        with Session(self.engine, expire_on_commit=False) as session:
            message = session.get(Message, message_id)
            assert message is not None
            return message

    def invitation(self, invitation_id: uuid.UUID) -> Invitation:
        with Session(self.engine, expire_on_commit=False) as session:
            invitation = session.get(Invitation, invitation_id)
            assert invitation is not None
            return invitation

    def participant_row(self, participant_id: uuid.UUID) -> Participant:
        with Session(self.engine, expire_on_commit=False) as session:
            participant = session.get(Participant, participant_id)
            assert participant is not None
            return participant

    def messages_of(self, event: Event) -> list[Message]:
        with Session(self.engine, expire_on_commit=False) as session:
            return list(
                session.scalars(
                    select(Message)
                    .join(Invitation, Message.invitation_id == Invitation.id)
                    .where(Invitation.event_id == event.id)
                )
            )

    def queued_sends(
        self, *, take: bool = True, task: type[SendTask] = SmsSend
    ) -> list[list[uuid.UUID]]:
        """The `task` (`sms.send` unless told) payloads written to the outbox since the test
        began, oldest first; `take` stamps them published, as the relay would."""
        with Session(self.engine) as session:
            entries = list(
                session.scalars(
                    select(OutboxEntry)
                    .where(
                        OutboxEntry.id > self.outbox_after,
                        OutboxEntry.task_name == task.task_name,
                        OutboxEntry.published_at.is_(None),
                    )
                    .order_by(OutboxEntry.id)
                )
            )
            payloads = [task.model_validate(entry.payload).message_ids for entry in entries]
            if take and entries:
                session.execute(
                    update(OutboxEntry)
                    .where(OutboxEntry.id.in_([entry.id for entry in entries]))
                    .values(published_at=utcnow())
                )
                session.commit()
            return payloads

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
        # Invitations and batches go with their event (ON DELETE CASCADE).
        session.execute(delete(Event).where(Event.id.in_(self.event_ids)))
        session.execute(delete(Participant).where(Participant.id.in_(self.participant_ids)))
        session.execute(delete(OutboxEntry).where(OutboxEntry.id > self.outbox_after))
        session.execute(
            delete(PeriodicRun).where(
                PeriodicRun.task_name.in_([MESSAGES_RELEASE_DUE, MESSAGES_SWEEP_IN_FLIGHT])
            )
        )
        session.commit()
        session.close()


@pytest.fixture
def rows(raw_engine: Engine) -> Iterator[Rows]:
    made = Rows(raw_engine)
    yield made
    made.cleanup()


@pytest.fixture
def messages_api() -> Iterator[FakeMessagesApi]:
    with FakeMessagesApi() as api:
        yield api


def twilio_for(api: FakeMessagesApi, *, read_timeout: float = 5.0) -> TwilioProvider:
    """The real Twilio provider, SDK and all, pointed at the fake Messages API."""
    return TwilioProvider(
        account_sid=api.account_sid,
        auth_token=api.auth_token,
        api_base=api.base_url,
        from_number=FROM_NUMBER,
        timeout=(2.0, read_timeout),
    )


def settings_with(**overrides: Any) -> Settings:
    return get_settings().model_copy(update=overrides)


def any_hour_settings(**overrides: Any) -> Settings:
    """Settings without quiet hours, so a test's sends do not depend on the hour it runs at.

    Tests about quiet hours set them explicitly and move the clock.
    """
    return settings_with(quiet_hours_start=time(0), quiet_hours_end=time(0), **overrides)


@dataclass
class Sender:
    """`sms.send` run in this process, as a worker runs it, against the fake Messages API."""

    api: FakeMessagesApi
    provider: TwilioProvider
    settings: Settings = field(default_factory=any_hour_settings)
    pacer: LocalTokenBucket = field(default_factory=lambda: LocalTokenBucket(1000, capacity=1000))

    def send(self, message_ids: list[uuid.UUID]) -> Counter[Outcome]:
        return send_chunk(
            message_ids=message_ids,
            transaction=session_scope,
            channel=SmsChannel(self.provider),
            pacer=self.pacer,
            settings=self.settings,
        )

    def drain(self, rows: Rows) -> Counter[Outcome]:
        return drain(rows, self.send)


def drain(
    rows: Rows,
    send: Callable[[list[uuid.UUID]], Counter[Outcome]],
    *,
    rounds: int = 10,
    task: type[SendTask] = SmsSend,
) -> Counter[Outcome]:
    """Run every `task` (`sms.send` unless told) queued in the outbox, and those they queue,
    as workers would."""
    total: Counter[Outcome] = Counter()
    for _ in range(rounds):
        queued = rows.queued_sends(task=task)
        if not queued:
            return total
        for message_ids in queued:
            total += send(message_ids)
    raise AssertionError(f"the outbox still had sends after {rounds} rounds")


@pytest.fixture
def sender(messages_api: FakeMessagesApi) -> Sender:
    return Sender(api=messages_api, provider=twilio_for(messages_api))


@pytest.fixture(scope="session")
def dynamic_prism_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Prism serving Twilio's contract with generated answers, for the whole session.

    Generated rather than the contract's example, because the example's sid is the same for
    every create and `message.provider_sid` is unique: recording a hundred sends needs a
    hundred sids. Requests are still checked against the contract either way.
    """
    with running_prism(tmp_path_factory.mktemp("prism-dynamic"), dynamic=True) as base_url:
        yield base_url
