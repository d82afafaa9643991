"""The seat picture of one event: who holds seats, how the mix stands, why seats stay open."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.events.service import get_event
from birge_api.invitations.schemas import HeldSeats, SeatsRead
from birge_shared.balance import in_band, next_from_waitlist, seat_limit, why_seat_is_open
from birge_shared.invitations import candidates_for, held_seats, is_eligible, promotion_closed
from birge_shared.models import EventStatus, Invitation, InvitationStatus, Participant, utcnow
from birge_shared.settings import Settings


def seats(*, session: Session, actor: Actor, event_id: uuid.UUID, settings: Settings) -> SeatsRead:
    event = get_event(session=session, actor=actor, event_id=event_id)
    held = held_seats(session, event.id)
    limit = seat_limit(event.capacity, settings.over_invite_factor)
    waiting_people = [
        person
        for person in session.scalars(
            select(Participant)
            .join(Invitation, Invitation.participant_id == Participant.id)
            .where(
                Invitation.event_id == event.id,
                Invitation.status == InvitationStatus.WAITLISTED,
            )
        )
        if is_eligible(person)
    ]
    pool = candidates_for(session, waiting_people, except_event=event.id)
    accepted = session.scalar(
        select(func.count()).where(
            Invitation.event_id == event.id, Invitation.status == InvitationStatus.ACCEPTED
        )
    )
    open_seats = max(0, limit - held.total)
    reason = None
    # Near the start nobody more is promoted (see `refill`): that is the reason then.
    too_late = (
        promotion_closed(starts_at=event.starts_at, now=utcnow(), settings=settings)
        if event.status is EventStatus.SCHEDULED
        else None
    )
    if open_seats and pool and too_late is not None:
        reason = too_late
    elif (
        open_seats
        and next_from_waitlist(held, pool, seats=limit, min_share=event.min_share) is None
    ):
        reason = why_seat_is_open(held, pool, min_share=event.min_share)
    return SeatsRead(
        capacity=event.capacity,
        limit=limit,
        held=HeldSeats(
            host=held.host, migrant=held.migrant, unspecified=held.other, total=held.total
        ),
        accepted=accepted or 0,
        open=open_seats,
        waiting=len(pool),
        min_share=event.min_share,
        in_band=in_band(held.host, held.migrant, event.min_share),
        open_reason=reason,
    )
