"""Accepted invitations at chosen local times, and the periodic reminder task run on them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.followup import REMINDER
from birge_shared.models import Invitation, InvitationStatus, Message, utcnow
from birge_shared.settings import get_settings
from birge_workers.reminders import send_due_reminders
from tests.factories import make_event, make_invitation, make_participant

BISHKEK = ZoneInfo("Asia/Bishkek")


def bishkek(day: int, hour: int, minute: int = 0) -> datetime:
    """A local time in Bishkek (UTC+6) in March 2027."""
    return datetime(2027, 3, day, hour, minute, tzinfo=BISHKEK)


def accepted(
    db: Session,
    starts_at: datetime,
    *,
    offsets: list[int] | None = None,
    responded_at: datetime | None = None,
) -> Invitation:
    event = make_event(db, city="bishkek")
    event.starts_at = starts_at
    event.ends_at = starts_at + timedelta(hours=2)
    if offsets is not None:
        event.reminder_offsets = offsets
    participant = make_participant(db, city="bishkek")
    invitation = make_invitation(
        db, event=event, participant=participant, status=InvitationStatus.ACCEPTED
    )
    invitation.responded_at = responded_at
    db.flush()
    return invitation


def tick(db: Session) -> int:
    """One run of the periodic work at the (travelled) current time."""
    return send_due_reminders(session=db, now=utcnow(), settings=get_settings())


def reminders(db: Session, invitation: Invitation) -> list[Message]:
    return list(
        db.scalars(
            select(Message)
            .where(Message.invitation_id == invitation.id, Message.purpose == REMINDER)
            .order_by(Message.created_at, Message.id)
        )
    )
