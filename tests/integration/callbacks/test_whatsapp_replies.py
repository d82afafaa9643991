"""WhatsApp replies: a tapped button answers the message it was under, a typed reply the latest
WhatsApp question; each opens the person's 24-hour window and is answered on WhatsApp."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.webhooks.service import record_inbound
from birge_shared.crypto import get_cipher
from birge_shared.models import (
    Channel,
    ChannelOptInMethod,
    Invitation,
    InvitationStatus,
    Message,
    MessageChannel,
    MessageDirection,
    MessagePurpose,
    MessageStatus,
    OutboxEntry,
    Participant,
    ParticipantChannel,
    ProviderCallback,
    SurveyResponse,
    utcnow,
)
from birge_shared.settings import get_settings
from birge_shared.surveys import SurveyKind
from birge_shared.tasks import WhatsAppSend
from birge_workers.callbacks.process import CallbackOutcome
from birge_workers.surveys.conversation import start_conversation
from tests.factories import make_event, make_invitation, make_participant, unique_phone
from tests.integration.callbacks.conftest import new_sid, outbound, process


@pytest.fixture(autouse=True)
def whatsapp_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "whatsapp-replies-test-token")
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "+15005550006")
    monkeypatch.setenv("WHATSAPP_FROM", "+14155238886")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def on_whatsapp(db: Session) -> Participant:
    person = make_participant(db)
    db.add(
        ParticipantChannel(
            participant_id=person.id,
            channel=Channel.WHATSAPP,
            position=0,
            opted_in_at=utcnow(),
            opt_in_method=ChannelOptInMethod.VERBAL,
        )
    )
    db.flush()
    return person


def invited(db: Session, person: Participant, *, sent_ago: timedelta) -> tuple[Invitation, str]:
    """An invitation sent on WhatsApp `sent_ago`, and its message's sid at Twilio."""
    event = make_event(db)
    invitation = make_invitation(db, event=event, participant=person)
    invitation.sent_at = utcnow() - sent_ago
    sid = new_sid()
    db.add(
        Message(
            direction=MessageDirection.OUTBOUND,
            channel=MessageChannel.WHATSAPP,
            purpose=MessagePurpose.INVITATION.value,
            dedupe_key=f"test:{uuid.uuid4()}",
            invitation_id=invitation.id,
            participant_id=person.id,
            provider_sid=sid,
            status=MessageStatus.READ,
            sent_at=utcnow() - sent_ago,
        )
    )
    db.flush()
    return invitation, sid


def phone(person: Participant) -> str:
    assert person.phone_encrypted is not None
    return get_cipher().decrypt(person.phone_encrypted)


def whatsapp_message(
    db: Session,
    number: str,
    text: str,
    *,
    payload: str | None = None,
    under: str | None = None,
) -> ProviderCallback:
    sid = new_sid()
    record_inbound(
        session=db,
        message_sid=sid,
        sender="whatsapp:" + number,
        body=text,
        button_payload=payload,
        replied_sid=under,
    )
    return db.scalars(
        select(ProviderCallback).where(ProviderCallback.dedupe_key == f"inbound:{sid}")
    ).one()


def window_of(db: Session, person: Participant) -> ParticipantChannel:
    return db.scalars(
        select(ParticipantChannel).where(
            ParticipantChannel.participant_id == person.id,
            ParticipantChannel.channel == Channel.WHATSAPP,
        )
    ).one()


def queued_on_whatsapp(db: Session, message: Message) -> bool:
    rows = db.scalars(select(OutboxEntry).where(OutboxEntry.task_name == WhatsAppSend.task_name))
    return any(message.id in WhatsAppSend.model_validate(row.payload).message_ids for row in rows)


def test_a_button_answers_the_invitation_it_was_under_not_the_latest(db: Session) -> None:
    person = on_whatsapp(db)
    older, older_sid = invited(db, person, sent_ago=timedelta(hours=5))
    latest, _ = invited(db, person, sent_ago=timedelta(hours=1))

    callback = whatsapp_message(db, phone(person), "Приду", payload="accept", under=older_sid)
    assert callback.channel == "whatsapp"
    assert process(db, callback) is CallbackOutcome.PROCESSED

    db.refresh(older)
    db.refresh(latest)
    assert older.status is InvitationStatus.ACCEPTED
    assert latest.status is InvitationStatus.SENT
    assert window_of(db, person).last_inbound_at == callback.received_at
    confirmation = next(m for m in outbound(db, person) if m.purpose == "accepted")
    assert confirmation.channel is MessageChannel.WHATSAPP
    assert confirmation.invitation_id == older.id
    assert queued_on_whatsapp(db, confirmation)
    # The latest invitation still waits: its link follows, on WhatsApp too.
    waiting = next(m for m in outbound(db, person) if m.purpose == "invitation_waiting")
    assert (waiting.channel, waiting.invitation_id) == (MessageChannel.WHATSAPP, latest.id)
    assert queued_on_whatsapp(db, waiting)
    [kept] = db.scalars(
        select(Message).where(
            Message.participant_id == person.id, Message.direction == MessageDirection.INBOUND
        )
    ).all()
    assert (kept.channel, kept.purpose, kept.invitation_id) == (
        MessageChannel.WHATSAPP,
        MessagePurpose.REPLY_ACCEPT.value,
        older.id,
    )


def test_the_decline_button_declines(db: Session) -> None:
    person = on_whatsapp(db)
    invitation, sid = invited(db, person, sent_ago=timedelta(hours=2))

    process(db, whatsapp_message(db, phone(person), "Не смогу", payload="decline", under=sid))

    db.refresh(invitation)
    assert invitation.status is InvitationStatus.DECLINED
    assert [m.channel for m in outbound(db, person) if m.purpose == "declined"] == [
        MessageChannel.WHATSAPP
    ]


def test_a_typed_yes_on_whatsapp_answers_the_latest_whatsapp_question(db: Session) -> None:
    person = on_whatsapp(db)
    invited(db, person, sent_ago=timedelta(hours=5))
    latest, _ = invited(db, person, sent_ago=timedelta(hours=1))

    callback = whatsapp_message(db, phone(person), "Да, приду")
    process(db, callback)

    db.refresh(latest)
    assert latest.status is InvitationStatus.ACCEPTED
    assert window_of(db, person).last_inbound_at == callback.received_at
    # No SMS survey question after a WhatsApp yes: the participant page asks it.
    assert {m.channel for m in outbound(db, person) if m.status is MessageStatus.PLANNED} == {
        MessageChannel.WHATSAPP
    }


def test_a_whatsapp_message_from_an_unknown_number_is_kept_unmatched(db: Session) -> None:
    callback = whatsapp_message(db, unique_phone(), "Салам")
    process(db, callback)
    kept = db.scalars(select(Message).where(Message.provider_sid == callback.message_sid)).one()
    assert (kept.channel, kept.purpose, kept.participant_id) == (
        MessageChannel.WHATSAPP,
        MessagePurpose.REPLY_UNMATCHED.value,
        None,
    )


def test_a_survey_answered_on_whatsapp_goes_on_on_whatsapp(db: Session) -> None:
    person = on_whatsapp(db)
    invitation, _ = invited(db, person, sent_ago=timedelta(hours=1))
    invitation.status = InvitationStatus.ACCEPTED
    db.flush()
    first = start_conversation(
        session=db,
        invitation=invitation,
        kind=SurveyKind.PRE,
        now=utcnow(),
        channels=frozenset({MessageChannel.WHATSAPP}),
    )
    question = db.get(Message, first[0])
    assert question is not None
    assert question.channel is MessageChannel.WHATSAPP
    question.provider_sid = new_sid()
    question.status = MessageStatus.READ
    question.sent_at = utcnow()
    db.flush()

    # The first answer button under the question: its number is the answer.
    tapped = whatsapp_message(db, phone(person), "4", payload="4", under=question.provider_sid)
    assert process(db, tapped) is CallbackOutcome.PROCESSED

    answer = db.scalars(
        select(SurveyResponse).where(
            SurveyResponse.event_id == invitation.event_id,
            SurveyResponse.kind == SurveyKind.PRE.value,
        )
    ).one()
    assert answer.channel == "whatsapp"
    following = [m for m in outbound(db, person) if m.created_at >= question.created_at]
    after = [m for m in following if m.id != question.id]
    assert after, "the next question or the thanks is planned"
    assert {m.channel for m in after} == {MessageChannel.WHATSAPP}
    assert all(queued_on_whatsapp(db, m) for m in after)
