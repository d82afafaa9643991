"""Walk-ins: people who came without an invitation, marked attended by the coordinator.

A person registered on the spot (name, phone, consent, in the event's city) or a registered
person without an invitation gets an invitation in status `attended` with `walk_in` set, so
reports count them as attended. A person whose invitation ended without a seat (declined,
expired, waitlisted, failed) and came anyway is marked the same way. Someone who said yes is
marked through the attendance list instead, and an invitation already marked stays as it is.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.attendance.service import OPENS_BEFORE, WALK_IN_ACTION, WALK_IN_BEFORE
from birge_api.deps import Actor
from birge_api.events.service import get_event
from birge_api.participants.schemas import ParticipantCreate, Phone
from birge_api.participants.service import create_participant, get_participant
from birge_api.problems import Problem, invalid
from birge_shared import audit
from birge_shared.crypto import get_cipher
from birge_shared.models import (
    Event,
    EventStatus,
    Invitation,
    InvitationStatus,
    Participant,
    utcnow,
)

#: An invitation in these is marked through the attendance list (`POST …/attendance`).
_MARKED_BY_LIST = frozenset(
    {InvitationStatus.ACCEPTED, InvitationStatus.ATTENDED, InvitationStatus.NO_SHOW}
)


class WalkInCreate(BaseModel):
    """A registered person (by id, or by their phone in the event's city), or a person
    registered on the spot; exactly one of the three."""

    model_config = ConfigDict(extra="forbid")

    participant_id: uuid.UUID | None = None
    phone: Phone | None = Field(
        default=None, description="A registered person's number, in the event's city."
    )
    participant: ParticipantCreate | None = Field(
        default=None, description="A new person, in the event's city, with their consent."
    )

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        given = [self.participant_id, self.phone, self.participant]
        if sum(value is not None for value in given) != 1:
            raise ValueError("give one of participant_id, phone or participant")
        return self


class WalkInRead(BaseModel):
    invitation_id: uuid.UUID
    participant_id: uuid.UUID
    status: InvitationStatus
    walk_in: bool
    registered: bool = Field(description="Whether the person was registered by this request")


def add_walk_in(
    *,
    session: Session,
    actor: Actor,
    event_id: uuid.UUID,
    data: WalkInCreate,
    now: datetime | None = None,
) -> WalkInRead:
    """Mark a walk-in attended; all or nothing. The caller commits."""
    moment = now or utcnow()
    event = get_event(session=session, actor=actor, event_id=event_id, lock=True)
    _require_marking_open(event, moment)
    registered = data.participant is not None
    if data.participant is not None:
        if data.participant.city != event.city_code:
            raise invalid("participant.city", f"a walk-in registers in {event.city_code}")
        person = create_participant(session=session, actor=actor, data=data.participant)
    elif data.phone is not None:
        person = _registered_by_phone(session, event.city_code, data.phone)
    else:
        assert data.participant_id is not None  # the model's validator
        person = get_participant(session=session, actor=actor, participant_id=data.participant_id)
        if person.city_code != event.city_code:
            raise invalid("participant_id", f"the person is not registered in {event.city_code}")
    invitation = session.scalar(
        select(Invitation)
        .where(Invitation.event_id == event.id, Invitation.participant_id == person.id)
        .with_for_update()
    )
    if invitation is not None and invitation.status in _MARKED_BY_LIST:
        raise Problem(
            status=409,
            type_="invited-not-walk-in",
            title="The person has an invitation to mark through the attendance list",
            detail=f"the invitation is {invitation.status.value}; use POST …/attendance",
            invitation_id=str(invitation.id),
            invitation_status=invitation.status.value,
        )
    # Kept in the audit entry, so that undoing the walk-in gives the invitation its status back.
    before = invitation.status.value if invitation is not None else None
    if invitation is None:
        invitation = Invitation(event_id=event.id, participant_id=person.id, created_at=moment)
        session.add(invitation)
    invitation.status = InvitationStatus.ATTENDED
    invitation.walk_in = True
    invitation.checked_in_at = moment
    invitation.updated_at = moment
    session.flush()
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action=WALK_IN_ACTION,
        object_type="invitation",
        object_id=invitation.id,
        details={"event_id": str(event.id), "registered": registered, WALK_IN_BEFORE: before},
    )
    return WalkInRead(
        invitation_id=invitation.id,
        participant_id=person.id,
        status=invitation.status,
        walk_in=invitation.walk_in,
        registered=registered,
    )


def _registered_by_phone(session: Session, city: str, phone: str) -> Participant:
    """The event city's participant with this number, found through its keyed hash."""
    person = session.scalar(
        select(Participant).where(
            Participant.city_code == city,
            Participant.phone_hash == get_cipher().lookup_hash("phone", phone),
            Participant.erased_at.is_(None),
        )
    )
    if person is None:
        raise invalid("phone", f"nobody is registered with this number in {city}")
    return person


def _require_marking_open(event: Event, now: datetime) -> None:
    if event.status is EventStatus.CANCELLED:
        raise Problem(status=409, type_="event-cancelled", title="The event was cancelled")
    if now < event.starts_at - OPENS_BEFORE:
        raise Problem(
            status=409,
            type_="event-not-started",
            title="Attendance can be marked from 30 minutes before the start",
        )
