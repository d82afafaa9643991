"""Attendance: marked in bulk by the coordinator, or by the participant with the event's code.

Only people who said yes can have come: the coordinator marks participants whose invitation is
accepted (or already marked, to correct a mistake), and a request naming anyone else changes
nothing. Taking a walk-in's mark back undoes the walk-in: the invitation it made goes, one it
turned into a walk-in gets its status back. A participant checks in on their personal page
from 30 minutes before the start to the end, with the code the coordinator shows in the room.
Wrong codes are counted in the audit trail (by invitation id, nothing personal): five in an
hour and the page stops trying codes for that invitation until the hour has passed.
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_api.attendance.codes import code_matches
from birge_api.attendance.schemas import AttendanceRead, AttendanceUpdate
from birge_api.deps import Actor
from birge_api.events.service import get_event
from birge_api.problems import Problem
from birge_shared import audit, contacts
from birge_shared.models import (
    AuditEntry,
    Event,
    EventStatus,
    Invitation,
    InvitationStatus,
    utcnow,
)

log = logging.getLogger(__name__)

#: Invitations attendance can be marked on: accepted, or marked before (a correction).
MARKABLE = (InvitationStatus.ACCEPTED, InvitationStatus.ATTENDED, InvitationStatus.NO_SHOW)
#: Check-in (and marking) opens this long before the start.
OPENS_BEFORE = timedelta(minutes=30)
MAX_WRONG_CODES = 5
WRONG_CODE_WINDOW = timedelta(hours=1)
WRONG_CODE_ACTION = "invitation.checkin_refused"
WALK_IN_ACTION = "event.walk_in"
#: The walk-in's audit detail that keeps the invitation's status before it (None: it had none).
WALK_IN_BEFORE = "before"
_IDS_SHOWN = 20
#: The request's field each wanted status came from, to name it in an error.
_FIELDS = {
    InvitationStatus.ATTENDED: "attended",
    InvitationStatus.NO_SHOW: "no_show",
    InvitationStatus.ACCEPTED: "unmarked",
}


def mark_attendance(
    *,
    session: Session,
    actor: Actor,
    event_id: uuid.UUID,
    data: AttendanceUpdate,
    now: datetime | None = None,
) -> AttendanceRead:
    """Mark who attended and who did not; all or nothing. The caller commits."""
    moment = now or utcnow()
    event = get_event(session=session, actor=actor, event_id=event_id, lock=True)
    if event.status is EventStatus.CANCELLED:
        raise Problem(status=409, type_="event-cancelled", title="The event was cancelled")
    if moment < event.starts_at - OPENS_BEFORE:
        raise Problem(
            status=409,
            type_="event-not-started",
            title="Attendance can be marked from 30 minutes before the start",
        )
    wanted = dict.fromkeys(data.attended, InvitationStatus.ATTENDED)
    wanted |= dict.fromkeys(data.no_show, InvitationStatus.NO_SHOW)
    wanted |= dict.fromkeys(data.unmarked, InvitationStatus.ACCEPTED)
    invitations = {
        invitation.participant_id: invitation
        for invitation in session.scalars(
            select(Invitation)
            .where(
                Invitation.event_id == event.id,
                Invitation.participant_id.in_(list(wanted)),
                Invitation.status.in_(MARKABLE),
            )
            .with_for_update()
        )
    }
    missing = [
        str(participant_id) for participant_id in wanted if participant_id not in invitations
    ]
    if missing:
        shown = ", ".join(missing[:_IDS_SHOWN]) + (" …" if len(missing) > _IDS_SHOWN else "")
        raise Problem(
            status=422,
            type_="not-accepted",
            title="Some participants have no accepted invitation to this event",
            detail=f"{len(missing)} without an accepted invitation: {shown}",
            errors=[
                {
                    "field": _FIELDS[wanted[uuid.UUID(item)]],
                    "detail": f"no accepted invitation for {item}",
                }
                for item in missing[:_IDS_SHOWN]
            ],
            participant_ids=missing,
        )
    walk_ins = {
        participant_id for participant_id in data.unmarked if invitations[participant_id].walk_in
    }
    for participant_id in walk_ins:
        # A walk-in was never accepted: taking the mark back undoes the walk-in instead.
        take_back_walk_in(session=session, invitation=invitations.pop(participant_id), now=moment)
        del wanted[participant_id]
    changed = len(walk_ins)
    for participant_id, status in wanted.items():
        invitation = invitations[participant_id]
        if invitation.status is not status:
            invitation.status = status
            invitation.updated_at = moment
            if status is InvitationStatus.ATTENDED and invitation.checked_in_at is None:
                invitation.checked_in_at = moment
            elif status is not InvitationStatus.ATTENDED:
                invitation.checked_in_at = None
            changed += 1
    session.flush()
    contacts.record_event(session, event)  # people in groups who now attended met
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="event.attendance",
        object_type="event",
        object_id=event.id,
        details={
            "attended": len(data.attended),
            "no_show": len(data.no_show),
            "changed": changed,
            # Only when some mark was taken back, so bulk marking reads as it always did.
            **({"unmarked": len(data.unmarked)} if data.unmarked else {}),
        },
    )
    return _totals(session, event, changed=changed)


def take_back_walk_in(*, session: Session, invitation: Invitation, now: datetime) -> None:
    """Undo a walk-in marked by mistake: the invitation it made is removed, and one it turned
    into a walk-in (declined, waitlisted …) gets its status back, as the walk-in's audit entry
    recorded it. The caller writes the audit entry of the change."""
    entry = session.scalar(
        select(AuditEntry)
        .where(
            AuditEntry.action == WALK_IN_ACTION,
            AuditEntry.object_type == "invitation",
            AuditEntry.object_id == str(invitation.id),
        )
        .order_by(AuditEntry.at.desc())
        .limit(1)
    )
    details = entry.details if entry is not None else {}
    if WALK_IN_BEFORE in details:
        before = details[WALK_IN_BEFORE]
    elif invitation.created_at == invitation.checked_in_at:
        # Recorded before the status was kept; an invitation made on the spot began then.
        before = None
    else:
        before = ""
    if before is None:
        session.delete(invitation)
        return
    if before not in {status.value for status in InvitationStatus}:
        raise Problem(
            status=409,
            type_="walk-in-not-unmarked",
            title="This walk-in's status before it is not known: correct it in the roster",
            participant_ids=[str(invitation.participant_id)],
        )
    invitation.status = InvitationStatus(before)
    invitation.walk_in = False
    invitation.checked_in_at = None
    invitation.updated_at = now


def _totals(session: Session, event: Event, *, changed: int) -> AttendanceRead:
    counts: Counter[InvitationStatus] = Counter()
    for status, count in session.execute(
        select(Invitation.status, func.count())
        .where(Invitation.event_id == event.id, Invitation.status.in_(MARKABLE))
        .group_by(Invitation.status)
    ):
        counts[status] = count
    return AttendanceRead(
        event_id=event.id,
        changed=changed,
        attended=counts[InvitationStatus.ATTENDED],
        no_show=counts[InvitationStatus.NO_SHOW],
        unmarked=counts[InvitationStatus.ACCEPTED],
    )


class CheckIn(enum.StrEnum):
    CHECKED_IN = "checked_in"
    ALREADY = "already"  # checked in (or marked attended) before: nothing changes
    WRONG_CODE = "wrong_code"
    TOO_MANY = "too_many"  # five wrong codes within the hour: no code is tried now
    CLOSED = "closed"  # not accepted, or outside the event's time, or the event has no code


def check_in_open(event: Event, invitation: Invitation, now: datetime) -> bool:
    """May this person check in now? From 30 minutes before the start until the end."""
    return (
        event.status is EventStatus.SCHEDULED
        and event.checkin_code is not None
        and invitation.status in (InvitationStatus.ACCEPTED, InvitationStatus.ATTENDED)
        and event.starts_at - OPENS_BEFORE <= now < event.ends_at
    )


def wrong_codes(session: Session, invitation_id: uuid.UUID, now: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.action == WRONG_CODE_ACTION,
                AuditEntry.object_id == str(invitation_id),
                AuditEntry.at > now - WRONG_CODE_WINDOW,
            )
        )
        or 0
    )


def check_in(
    *, session: Session, invitation_id: uuid.UUID, code: str, now: datetime | None = None
) -> CheckIn:
    """Check a participant in with the event's code; the caller commits (also a refusal,
    whose count must outlive the request)."""
    moment = now or utcnow()
    # Locked, so two quick wrong tries are counted one after the other.
    invitation = session.scalar(
        select(Invitation).where(Invitation.id == invitation_id).with_for_update()
    )
    if invitation is None:
        return CheckIn.CLOSED
    event = session.get(Event, invitation.event_id)
    assert event is not None  # the invitation's foreign key
    if not check_in_open(event, invitation, moment) or event.checkin_code is None:
        return CheckIn.CLOSED
    if invitation.status is InvitationStatus.ATTENDED:
        return CheckIn.ALREADY
    if wrong_codes(session, invitation.id, moment) >= MAX_WRONG_CODES:
        log.warning(
            "check-in refused: too many wrong codes", extra={"invitation_id": str(invitation.id)}
        )
        return CheckIn.TOO_MANY
    if not code_matches(code, event.checkin_code):
        audit.record(
            session=session,
            actor_id=None,
            action=WRONG_CODE_ACTION,
            object_type="invitation",
            object_id=invitation.id,
        ).at = moment
        session.flush()
        return CheckIn.WRONG_CODE
    invitation.status = InvitationStatus.ATTENDED
    invitation.checked_in_at = moment
    invitation.updated_at = moment
    session.flush()
    contacts.record_event(session, event)  # their group, if the event was split, met them
    audit.record(
        session=session,
        actor_id=None,
        action="invitation.checkin",
        object_type="invitation",
        object_id=invitation.id,
        details={"event_id": str(event.id)},
    )
    return CheckIn.CHECKED_IN
