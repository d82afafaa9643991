"""Attendees of events that ended at chosen local times, the survey task, and SMS replies."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import (
    Invitation,
    InvitationStatus,
    Language,
    Message,
    MessageChannel,
    MessageDirection,
    MessageStatus,
    Participant,
    SurveyConversation,
    SurveyResponse,
    utcnow,
)
from birge_shared.pseudonyms import pseudonym
from birge_shared.settings import get_settings
from birge_workers.callbacks.process import CallbackOutcome
from birge_workers.surveys.due import send_due_surveys
from tests.factories import make_event, make_invitation, make_participant
from tests.integration.callbacks.conftest import inbound_callback, outbound, process

BISHKEK = ZoneInfo("Asia/Bishkek")


def bishkek(day: int, hour: int, minute: int = 0) -> datetime:
    """A local time in Bishkek (UTC+6) in March 2027."""
    return datetime(2027, 3, day, hour, minute, tzinfo=BISHKEK)


def invited(
    db: Session,
    *,
    starts_at: datetime,
    status: InvitationStatus,
    language: Language = Language.RU,
    replied_before: bool = False,
) -> Invitation:
    event = make_event(db, city="bishkek")
    event.starts_at = starts_at
    event.ends_at = starts_at + timedelta(hours=2)
    participant = make_participant(db, city="bishkek", language=language)
    invitation = make_invitation(db, event=event, participant=participant, status=status)
    if replied_before:
        # An SMS this person sent once (to an earlier invitation): replies reach Birge.
        db.add(
            Message(
                direction=MessageDirection.INBOUND,
                channel=MessageChannel.SMS,
                purpose="reply:accept",
                dedupe_key=f"test-inbound:{uuid.uuid4()}",
                participant_id=participant.id,
                status=MessageStatus.RECEIVED,
            )
        )
    db.flush()
    return invitation


def attended(
    db: Session,
    *,
    ends_at: datetime,
    language: Language = Language.RU,
    replied_before: bool = False,
) -> Invitation:
    return invited(
        db,
        starts_at=ends_at - timedelta(hours=2),
        status=InvitationStatus.ATTENDED,
        language=language,
        replied_before=replied_before,
    )


def tick(db: Session) -> int:
    return send_due_surveys(session=db, now=utcnow(), settings=get_settings())


def purposes(db: Session, invitation: Invitation) -> list[str]:
    participant = db.get(Participant, invitation.participant_id)
    assert participant is not None
    return [message.purpose for message in outbound(db, participant)]


def reply(db: Session, invitation: Invitation, text: str) -> list[Message]:
    """Send `text` from the participant's phone; return the SMS planned in answer."""
    participant = db.get(Participant, invitation.participant_id)
    assert participant is not None
    before = {message.id for message in outbound(db, participant)}
    phone = get_cipher().decrypt(participant.phone_encrypted or "")
    assert process(db, inbound_callback(db, phone, text)) is CallbackOutcome.PROCESSED
    return [message for message in outbound(db, participant) if message.id not in before]


def response_of(db: Session, invitation: Invitation, kind: str) -> SurveyResponse | None:
    return db.scalar(
        select(SurveyResponse).where(
            SurveyResponse.event_id == invitation.event_id,
            SurveyResponse.pseudonym == pseudonym(invitation.participant_id),
            SurveyResponse.kind == kind,
        )
    )


def conversation_of(db: Session, invitation: Invitation, kind: str) -> SurveyConversation | None:
    return db.scalar(
        select(SurveyConversation).where(
            SurveyConversation.invitation_id == invitation.id, SurveyConversation.kind == kind
        )
    )


def handed_over(db: Session, message: Message, at: datetime) -> None:
    """As `sms.send` leaves a message the provider took."""
    message.status = MessageStatus.SENT
    message.sent_at = at
    db.flush()
