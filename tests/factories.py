"""Rows for tests, made directly through the models (the API paths have their own tests)."""

from __future__ import annotations

import itertools
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from birge_shared import name_index
from birge_shared.crypto import get_cipher
from birge_shared.models import (
    ActivityType,
    Community,
    ConsentMethod,
    Event,
    Invitation,
    InvitationStatus,
    Language,
    Message,
    MessageChannel,
    MessageDirection,
    MessageStatus,
    Participant,
)

# Consecutive numbers from a random start: unique within a run (rows committed by one test
# must not collide with another's), while runs side by side use their own databases anyway.
# The range stays clear of the fixed numbers some tests spell out (+996555123456 and the like).
_numbers = itertools.count(200_000 + secrets.randbelow(500_000))


def unique_phone() -> str:
    """A valid Kyrgyz mobile number no other test in this run uses."""
    return f"+996555{next(_numbers) % 1_000_000:06d}"


def make_event(
    db: Session,
    *,
    city: str = "osh",
    capacity: int = 10,
    min_share: float = 0.4,
    starts_in: timedelta = timedelta(days=7),
    title: dict[str, str] | None = None,
) -> Event:
    starts_at = datetime.now(UTC).replace(microsecond=0) + starts_in
    event = Event(
        city_code=city,
        title=title or {"ru": "Футбол вместе", "en": "Football together", "ky": "Бирге футбол"},
        description={},
        activity_type=ActivityType.SPORT,
        venue_name="Stadium",
        venue_address="Lenin st. 1",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        capacity=capacity,
        min_share=min_share,
    )
    db.add(event)
    db.flush()
    db.refresh(event)
    return event


def make_participant(
    db: Session,
    *,
    community: Community | None = Community.HOST,
    city: str = "osh",
    language: Language = Language.RU,
    phone: str | None = None,
    email: str | None = None,
    name: str = "Test Person",
) -> Participant:
    cipher = get_cipher()
    number = phone or unique_phone()
    participant = Participant(
        name_encrypted=cipher.encrypt(name),
        phone_encrypted=cipher.encrypt(number),
        phone_hash=cipher.lookup_hash("phone", number),
        email_encrypted=cipher.encrypt(email) if email else None,
        email_hash=cipher.lookup_hash("email", email) if email else None,
        language=language,
        city_code=city,
        community=community,
        consent_method=ConsentMethod.PAPER_FORM,
        consent_text_version="2026-01",
        consent_given_at=datetime(2026, 1, 10, tzinfo=UTC),
    )
    db.add(participant)
    db.flush()
    # Searchable by name, as the service would leave a participant it registered.
    name_index.reindex(db, cipher.name_token_key, [(participant.id, name)], new=True)
    return participant


def make_invitation(
    db: Session,
    *,
    event: Event,
    participant: Participant,
    status: InvitationStatus = InvitationStatus.SENT,
) -> Invitation:
    invitation = Invitation(event_id=event.id, participant_id=participant.id, status=status)
    if status is not InvitationStatus.PLANNED and status is not InvitationStatus.WAITLISTED:
        invitation.sent_at = datetime.now(UTC)
    db.add(invitation)
    db.flush()
    return invitation


def invitation_sms(
    invitation: Invitation,
    *,
    status: MessageStatus = MessageStatus.DELIVERED,
    text: str | None = None,
    error_code: str | None = None,
    error_reason: str | None = None,
) -> Message:
    """The invitation SMS of `invitation`, not added yet (a test adds it to its own session)."""
    return Message(
        direction=MessageDirection.OUTBOUND,
        channel=MessageChannel.SMS,
        purpose="invitation",
        invitation_id=invitation.id,
        participant_id=invitation.participant_id,
        status=status,
        body_encrypted=get_cipher().encrypt(text) if text is not None else None,
        error_code=error_code,
        error_reason=error_reason,
    )


def channel_message(
    invitation: Invitation,
    channel: MessageChannel,
    status: MessageStatus,
    *,
    fallback_of: Message | None = None,
    reason: str | None = None,
) -> Message:
    """The invitation's message on `channel` (a fallback when `fallback_of` is given), under
    its dedupe key; not added yet."""
    version = "fallback" if fallback_of is not None else "0"
    return Message(
        id=uuid.uuid4(),
        direction=MessageDirection.OUTBOUND,
        channel=channel,
        purpose="invitation",
        dedupe_key=f"invitation:{invitation.id}:{channel.value}:invitation:{version}",
        invitation_id=invitation.id,
        participant_id=invitation.participant_id,
        status=status,
        error_reason=reason,
        fallback_of_id=fallback_of.id if fallback_of is not None else None,
    )


def inbound_sms(
    participant_id: uuid.UUID | None, *, text: str | None = None, purpose: str = "reply:unknown"
) -> Message:
    """A text a person sent, not added yet: `reply:unknown` (the inbox lists it), `reply:stop`
    (an opt-out) or `reply` (understood)."""
    return Message(
        direction=MessageDirection.INBOUND,
        channel=MessageChannel.SMS,
        purpose=purpose,
        participant_id=participant_id,
        status=MessageStatus.RECEIVED,
        body_encrypted=get_cipher().encrypt(text) if text is not None else None,
        created_at=datetime.now(UTC),
    )


def make_inbound(
    db: Session,
    *,
    participant: Participant | None,
    text: str = "Can I bring my sister?",
    purpose: str = "reply:unknown",
) -> Message:
    """A text the inbox lists: `reply:unknown` (not understood) or `reply:stop` (opt-out)."""
    message = inbound_sms(
        participant.id if participant is not None else None, text=text, purpose=purpose
    )
    db.add(message)
    db.flush()
    return message
