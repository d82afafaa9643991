"""What the workers do to events: withdraw invitations of a cancelled event, close past events."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from birge_shared.models import Event, EventStatus, Invitation, InvitationStatus
from birge_workers.notifications.cancellations import plan_cancellation_notices

log = logging.getLogger(__name__)

#: Invitations that still hold or await a seat; a cancellation withdraws them.
OPEN_INVITATIONS = frozenset(
    {
        InvitationStatus.PLANNED,
        InvitationStatus.SENT,
        InvitationStatus.ACCEPTED,
        InvitationStatus.WAITLISTED,
    }
)


def withdraw_open_invitations(*, session: Session, event_id: uuid.UUID, now: datetime) -> int:
    """Withdraw the open invitations of a cancelled event; return how many changed.

    Whoever had a sent or accepted invitation is told first (a calendar cancellation and an
    SMS), in the same transaction. Safe to run twice: the second run finds no open invitation.
    An event that is not (or no longer) cancelled is left alone, since a stale message must not
    undo a later decision.
    """
    event = session.scalar(select(Event).where(Event.id == event_id).with_for_update(of=Event))
    if event is None or event.status is not EventStatus.CANCELLED:
        log.info("event not cancelled; nothing to withdraw", extra={"event_id": str(event_id)})
        return 0
    invitations = session.scalars(
        select(Invitation)
        .where(Invitation.event_id == event_id, Invitation.status.in_(OPEN_INVITATIONS))
        .with_for_update()
    ).all()
    plan_cancellation_notices(session=session, event=event, invitations=invitations)
    for invitation in invitations:
        invitation.status = InvitationStatus.WITHDRAWN
        invitation.updated_at = now
    session.flush()
    log.info("invitations withdrawn", extra={"event_id": str(event_id), "count": len(invitations)})
    return len(invitations)


def complete_past_events(*, session: Session, now: datetime) -> int:
    """Mark scheduled events that have ended as completed; return how many changed."""
    result = session.execute(
        update(Event)
        .where(Event.status == EventStatus.SCHEDULED, Event.ends_at < now)
        .values(status=EventStatus.COMPLETED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    count = int(result.rowcount)  # type: ignore[attr-defined]
    if count:
        log.info("past events completed", extra={"count": count})
    return count
