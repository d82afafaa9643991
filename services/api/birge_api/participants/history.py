"""A participant's record as a coordinator reads it: invitations, attendance, messages.

Message bodies are personal data of their own: they are listed without their text, and
reading one is a separate call that leaves an entry in the audit log.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from birge_api.deps import Actor
from birge_api.participants.service import get_participant
from birge_api.problems import not_found
from birge_shared import audit
from birge_shared.crypto import get_cipher
from birge_shared.models import Invitation, Message, Participant

# A person's page lists their latest messages; older ones stay in the audit of sends.
MESSAGES_SHOWN = 200


@dataclass(frozen=True)
class History:
    participant: Participant
    invitations: list[Invitation]
    messages: list[Message]


def _messages_of(participant_id: uuid.UUID) -> object:
    invitation_ids = select(Invitation.id).where(Invitation.participant_id == participant_id)
    return or_(Message.participant_id == participant_id, Message.invitation_id.in_(invitation_ids))


def participant_history(*, session: Session, actor: Actor, participant_id: uuid.UUID) -> History:
    participant = get_participant(session=session, actor=actor, participant_id=participant_id)
    invitations = list(
        session.scalars(
            select(Invitation)
            .options(joinedload(Invitation.event))
            .where(Invitation.participant_id == participant.id)
            .order_by(Invitation.created_at.desc(), Invitation.id)
        )
    )
    messages = list(
        session.scalars(
            select(Message)
            .where(_messages_of(participant.id))  # type: ignore[arg-type]
            .order_by(Message.created_at.desc(), Message.id)
            .limit(MESSAGES_SHOWN)
        )
    )
    return History(participant=participant, invitations=invitations, messages=messages)


def read_message_body(
    *, session: Session, actor: Actor, participant_id: uuid.UUID, message_id: uuid.UUID
) -> str | None:
    """One message's text, recorded in the audit log as read; None once purged or erased."""
    participant = get_participant(session=session, actor=actor, participant_id=participant_id)
    message = session.scalar(
        select(Message).where(Message.id == message_id, _messages_of(participant.id))  # type: ignore[arg-type]
    )
    if message is None:
        raise not_found("Message")
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="message.read",
        object_type="message",
        object_id=message.id,
        details={"participant_id": str(participant.id)},
    )
    if message.body_encrypted is None:
        return None
    return get_cipher().decrypt(message.body_encrypted)


def participants_by_ids(
    *, session: Session, actor: Actor, participant_ids: Sequence[uuid.UUID]
) -> list[Participant]:
    """The chosen participants in registration order; 404 if any is not the caller's to see."""
    wanted = set(participant_ids)
    if not wanted:
        return []
    found = list(
        session.scalars(
            select(Participant)
            .where(Participant.id.in_(wanted), Participant.erased_at.is_(None))
            .order_by(Participant.created_at, Participant.id)
        )
    )
    if len(found) != len(wanted) or not all(actor.can_see_city(p.city_code) for p in found):
        raise not_found("Participant")
    return found


def last_invited(
    *, session: Session, participant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """When each participant was last invited (walk-ins aside), for the rows of one page."""
    if not participant_ids:
        return {}
    rows = session.execute(
        select(Invitation.participant_id, func.max(Invitation.created_at))
        .where(Invitation.participant_id.in_(participant_ids), Invitation.walk_in.is_(False))
        .group_by(Invitation.participant_id)
    )
    return {row[0]: row[1] for row in rows}
