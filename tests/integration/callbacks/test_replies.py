"""Inbound SMS replies: answers, opt-out and opt-in, help, hints, and strangers."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.invitations import Answer, is_eligible, lock_event, refill, respond
from birge_shared.models import (
    Community,
    InvitationStatus,
    Message,
    MessageDirection,
    MessageStatus,
    OutboxEntry,
    Participant,
    utcnow,
)
from birge_shared.tasks import SmsSend
from birge_workers.callbacks.process import CallbackOutcome
from tests.factories import make_event, make_invitation, make_participant, unique_phone
from tests.integration.callbacks.conftest import (
    inbound_callback,
    outbound,
    process,
    queued_for_sending,
)

STOP_WORDS = [
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "СТОП",
    "ОТПИСАТЬСЯ",
    "ТОКТОТ",
]


def _phone(participant: Participant) -> str:
    return get_cipher().decrypt(participant.phone_encrypted or "")


def _reply(db: Session, participant: Participant, text: str) -> list[Message]:
    """Send `text` from the participant's phone; return the replies planned for it."""
    before = {message.id for message in outbound(db, participant)}
    callback = inbound_callback(db, _phone(participant), text)
    assert process(db, callback) is CallbackOutcome.PROCESSED
    db.refresh(participant)
    return [message for message in outbound(db, participant) if message.id not in before]


def _inbound(db: Session, participant: Participant) -> list[Message]:
    return list(
        db.scalars(
            select(Message)
            .where(
                Message.participant_id == participant.id,
                Message.direction == MessageDirection.INBOUND,
            )
            .order_by(Message.created_at)
        )
    )


@pytest.mark.parametrize("text", ["YES", "ДА", "ООБА", "1", " yes! ", "Ооба."])
def test_yes_accepts_the_latest_invitation_and_is_confirmed(db: Session, text: str) -> None:
    participant = make_participant(db)
    invitation = make_invitation(db, event=make_event(db), participant=participant)

    [confirmation, question] = _reply(db, participant, text)

    db.refresh(invitation)
    assert invitation.status is InvitationStatus.ACCEPTED
    # The YES showed that replies work: the pre-survey question follows the confirmation.
    assert (question.purpose, question.invitation_id) == ("survey_question_attitude", invitation.id)
    assert confirmation.purpose == "accepted"
    assert confirmation.invitation_id == invitation.id
    assert confirmation.status is MessageStatus.PLANNED
    # Queued together, confirmation first, so they arrive in that order.
    together = SmsSend(message_ids=[confirmation.id, question.id]).model_dump(mode="json")
    sends = db.scalars(select(OutboxEntry).where(OutboxEntry.task_name == "sms.send"))
    assert sum(row.payload == together for row in sends) == 1
    # The reply itself is kept, encrypted, with the provider's sid, next to the invitation.
    [kept] = _inbound(db, participant)
    assert kept.status is MessageStatus.RECEIVED
    assert kept.purpose == "reply:accept"
    assert kept.invitation_id == invitation.id
    assert kept.provider_sid is not None
    assert get_cipher().decrypt(kept.body_encrypted or "") == text


@pytest.mark.parametrize("text", ["NO", "НЕТ", "ЖОК", "2"])
def test_no_declines_and_the_waitlist_moves(db: Session, text: str) -> None:
    event = make_event(db, capacity=1, min_share=0.0)
    participant = make_participant(db)
    invitation = make_invitation(db, event=event, participant=participant)
    waiting_person = make_participant(db)
    waiting = make_invitation(
        db, event=event, participant=waiting_person, status=InvitationStatus.WAITLISTED
    )

    [confirmation] = _reply(db, participant, text)

    db.refresh(invitation)
    db.refresh(waiting)
    assert invitation.status is InvitationStatus.DECLINED
    assert (confirmation.purpose, confirmation.invitation_id) == ("declined", invitation.id)
    assert waiting.status is InvitationStatus.PLANNED
    [invited] = outbound(db, waiting_person)
    assert (invited.purpose, invited.invitation_id) == ("invitation", waiting.id)


def test_yes_after_the_seat_was_given_away_puts_the_person_on_the_waitlist(db: Session) -> None:
    event = make_event(db, capacity=1, min_share=0.0)
    participant = make_participant(db)
    invitation = make_invitation(db, event=event, participant=participant)
    other = make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.WAITLISTED
    )
    respond(session=db, invitation_id=invitation.id, answer=Answer.DECLINE)
    db.refresh(other)
    assert other.status is InvitationStatus.PLANNED

    [confirmation] = _reply(db, participant, "да")

    db.refresh(invitation)
    assert invitation.status is InvitationStatus.WAITLISTED
    assert (confirmation.purpose, confirmation.invitation_id) == ("waitlisted", invitation.id)


def test_an_answer_with_nothing_to_answer_gets_the_help_text(db: Session) -> None:
    participant = make_participant(db)
    # An invitation of a past event cannot be answered any more.
    make_invitation(
        db, event=make_event(db, starts_in=timedelta(hours=-3)), participant=participant
    )

    [reply] = _reply(db, participant, "YES")

    assert (reply.purpose, reply.invitation_id) == ("help", None)
    assert [message.purpose for message in _inbound(db, participant)] == ["reply:accept"]


@pytest.mark.parametrize("text", STOP_WORDS)
def test_stop_opts_out_with_one_confirmation_and_no_more_invitations(
    db: Session, text: str
) -> None:
    participant = make_participant(db)

    [confirmation] = _reply(db, participant, text)

    assert participant.opted_out_at is not None
    assert (confirmation.purpose, confirmation.invitation_id) == ("opted_out", None)
    assert queued_for_sending(db, confirmation) == 1
    assert not is_eligible(participant)
    # A second STOP, or a text Birge does not understand, gets nothing more.
    assert _reply(db, participant, text) == []
    assert _reply(db, participant, "what is this?") == []
    # A seat freed later is not offered to the opted-out person: no invitation is planned.
    event = make_event(db, capacity=1, min_share=0.0)
    waiting = make_invitation(
        db, event=event, participant=participant, status=InvitationStatus.WAITLISTED
    )
    result = refill(session=db, event=lock_event(db, event.id))
    assert result.invited == []
    db.refresh(waiting)
    assert waiting.status is InvitationStatus.WAITLISTED
    assert [message.purpose for message in outbound(db, participant)] == ["opted_out"]


@pytest.mark.parametrize("text", ["START", "UNSTOP", "СТАРТ", "start."])
def test_start_opts_back_in_and_is_confirmed(db: Session, text: str) -> None:
    participant = make_participant(db)
    _reply(db, participant, "STOP")
    assert participant.opted_out_at is not None

    [confirmation] = _reply(db, participant, text)

    assert participant.opted_out_at is None
    assert is_eligible(participant)
    assert (confirmation.purpose, confirmation.invitation_id) == ("opted_in", None)


@pytest.mark.parametrize("text", ["HELP", "INFO", "ПОМОЩЬ", "ЖАРДАМ"])
@pytest.mark.parametrize("opted_out", [False, True])
def test_help_is_always_answered(db: Session, text: str, opted_out: bool) -> None:
    participant = make_participant(db)
    if opted_out:
        _reply(db, participant, "СТОП")

    [reply] = _reply(db, participant, text)

    assert (reply.purpose, reply.invitation_id) == ("help", None)
    assert (participant.opted_out_at is not None) is opted_out


def test_an_opted_out_answer_counts_but_is_not_confirmed(db: Session) -> None:
    participant = make_participant(db)
    # A declined invitation holds no seat, so STOP leaves it as it is (open ones it withdraws).
    invitation = make_invitation(
        db,
        event=make_event(db, min_share=0.0),
        participant=participant,
        status=InvitationStatus.DECLINED,
    )
    _reply(db, participant, "STOP")

    assert _reply(db, participant, "YES") == []

    db.refresh(invitation)
    assert invitation.status is InvitationStatus.ACCEPTED


def test_an_unknown_text_is_kept_and_answered_with_a_hint_once_a_day(db: Session) -> None:
    participant = make_participant(db)
    start = utcnow()

    with time_machine.travel(start, tick=False):
        [hint] = _reply(db, participant, "Can I bring a friend?")
        assert _reply(db, participant, "Hello??") == []
    with time_machine.travel(start + timedelta(hours=23), tick=False):
        assert _reply(db, participant, "anyone there") == []
    with time_machine.travel(start + timedelta(days=1, minutes=1), tick=False):
        [next_hint] = _reply(db, participant, "hello again")

    assert (hint.purpose, hint.invitation_id) == ("reply_hint", None)
    assert next_hint.purpose == "reply_hint"
    kept = _inbound(db, participant)
    assert [message.purpose for message in kept] == ["reply:unknown"] * 4
    assert get_cipher().decrypt(kept[0].body_encrypted or "") == "Can I bring a friend?"


def _count(db: Session, model: type[Message] | type[OutboxEntry]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _unmatched(db: Session) -> list[Message]:
    return list(
        db.scalars(
            select(Message).where(
                Message.direction == MessageDirection.INBOUND,
                Message.participant_id.is_(None),
            )
        )
    )


def test_an_unknown_number_gets_nothing_and_its_text_is_kept_for_admins(db: Session) -> None:
    make_participant(db)  # someone else, to show the match is by number
    callback = inbound_callback(db, unique_phone(), "YES")
    messages, outbox = _count(db, Message), _count(db, OutboxEntry)

    assert process(db, callback) is CallbackOutcome.PROCESSED

    # Nothing is sent, and nothing is tied to anyone: one unmatched inbound text, encrypted.
    assert (_count(db, Message), _count(db, OutboxEntry)) == (messages + 1, outbox)
    [kept] = _unmatched(db)
    assert (kept.purpose, kept.invitation_id) == ("reply:unmatched", None)
    assert get_cipher().decrypt(kept.body_encrypted or "") == "YES"
    assert callback.processed_at is not None
    # The stranger's number and text do not stay behind in the webhook's row.
    assert (callback.from_encrypted, callback.body_encrypted) == (None, None)


def test_an_erased_participant_is_a_stranger(db: Session) -> None:
    participant = make_participant(db)
    phone = _phone(participant)
    # Erasure keeps the row as a stub; a hash left behind by a partial erasure must not match.
    participant.erased_at = utcnow()
    db.flush()
    callback = inbound_callback(db, phone, "HELP")
    outbox = _count(db, OutboxEntry)

    assert process(db, callback) is CallbackOutcome.PROCESSED

    assert _inbound(db, participant) == []
    assert [message.purpose for message in _unmatched(db)] == ["reply:unmatched"]
    assert _count(db, OutboxEntry) == outbox


def test_the_reply_to_a_known_participant_finds_them_by_a_local_number(db: Session) -> None:
    participant = make_participant(db, community=Community.MIGRANT, phone="+996555123987")
    make_invitation(db, event=make_event(db), participant=participant)
    # Twilio sends E.164, but the webhook normalises whatever arrives before hashing.
    callback = inbound_callback(db, "0555 123 987", "Ооба")

    assert process(db, callback) is CallbackOutcome.PROCESSED

    assert [message.purpose for message in outbound(db, participant)] == [
        "accepted",
        "survey_question_attitude",
    ]
