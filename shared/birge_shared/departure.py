"""When a person leaves: an opt-out (STOP, in any language or at the carrier) and erasure.

Both give back what the person held, in the caller's transaction:

- their open invitations close as `withdrawn` (planned, sent and waitlisted ones of scheduled
  events, and accepted ones of events not yet started), each with the reason, and every seat
  they held goes to the next person on the waitlist (`refill`), event by event under the
  event's lock, exactly as a decline would;
- their messages still waiting to be sent (reminders, survey questions, confirmations) are
  skipped, and an SMS survey waiting for their answer ends, so nothing more reaches them.

An opt-out is by phone number: a person registered in both cities has one participant row per
city, all under the same keyed phone hash, and STOP from that phone stops every one of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from birge_shared.invitations import HOLDING, RefillResult, lock_event, refill
from birge_shared.models import (
    Event,
    EventStatus,
    Invitation,
    InvitationStatus,
    Message,
    MessageDirection,
    MessageStatus,
    Participant,
    SurveyConversation,
)

#: Messages an opted-out person still gets: the opt-out confirmation and the help text, so
#: they can learn how to opt in again.
AFTER_OPT_OUT = frozenset({"opted_out", "help"})

OPTED_OUT_REASON = "the participant opted out (STOP)"
ERASED_REASON = "the participant's personal data was erased"

#: Invitations that wait for an answer or a seat, whatever the time.
_WAITING = (InvitationStatus.PLANNED, InvitationStatus.SENT, InvitationStatus.WAITLISTED)


@dataclass
class Departure:
    #: The participant rows this departure changed (an opt-out: those not opted out before).
    participant_ids: list[uuid.UUID] = field(default_factory=list)
    withdrawn: int = 0
    messages_skipped: int = 0
    #: What each freed seat became: one result per event that got seats back.
    refills: list[RefillResult] = field(default_factory=list)


def opt_out(
    *, session: Session, phone_hash: str | None, now: datetime, over_invite: float
) -> Departure:
    """Opt a phone number out of everything; repeated for a number already out, nothing changes.

    Every participant row with this phone hash (one per city) is opted out, its open
    invitations are withdrawn with their seats refilled, and its pending messages are skipped,
    except the opt-out confirmation and help (`AFTER_OPT_OUT`).
    """
    if not phone_hash:
        return Departure()
    people = list(
        session.scalars(
            select(Participant)
            .where(
                Participant.phone_hash == phone_hash,
                Participant.erased_at.is_(None),
                Participant.opted_out_at.is_(None),
            )
            .order_by(Participant.id)
            .with_for_update()
        )
    )
    for person in people:
        person.opted_out_at = now
        person.updated_at = now
    session.flush()
    return release(
        session=session,
        participant_ids=[person.id for person in people],
        reason=OPTED_OUT_REASON,
        now=now,
        over_invite=over_invite,
        keep=AFTER_OPT_OUT,
    )


def opt_out_participant(
    *, session: Session, participant_id: uuid.UUID, now: datetime, over_invite: float
) -> Departure:
    """`opt_out` for the phone number of this participant (a message the carrier refused, or
    "stop all messages" on the participant page); without a number, this participant alone."""
    person = session.scalar(
        select(Participant).where(Participant.id == participant_id).with_for_update()
    )
    if person is None or person.erased_at is not None:
        return Departure()
    if person.phone_hash:
        return opt_out(
            session=session, phone_hash=person.phone_hash, now=now, over_invite=over_invite
        )
    if person.opted_out_at is not None:
        return Departure()
    person.opted_out_at = now
    person.updated_at = now
    session.flush()
    return release(
        session=session,
        participant_ids=[person.id],
        reason=OPTED_OUT_REASON,
        now=now,
        over_invite=over_invite,
        keep=AFTER_OPT_OUT,
    )


def release(
    *,
    session: Session,
    participant_ids: Sequence[uuid.UUID],
    reason: str,
    now: datetime,
    over_invite: float,
    keep: Collection[str] = (),
) -> Departure:
    """Withdraw these people's open invitations, refill the seats, skip their pending messages.

    Messages whose purpose is in `keep` stay planned. The caller commits.
    """
    result = Departure(participant_ids=list(participant_ids))
    if not participant_ids:
        return result
    ids = list(participant_ids)
    open_rows = session.execute(
        select(Invitation.id, Invitation.event_id)
        .join(Event, Invitation.event_id == Event.id)
        .where(
            Invitation.participant_id.in_(ids),
            Event.status == EventStatus.SCHEDULED,
            Invitation.status.in_((*_WAITING, InvitationStatus.ACCEPTED)),
        )
        # Events locked in one order, so two departures at once cannot deadlock.
        .order_by(Invitation.event_id, Invitation.id)
    ).all()
    for invitation_id, event_id in open_rows:
        event = lock_event(session, event_id)
        invitation = session.get(Invitation, invitation_id)
        if invitation is None:
            continue
        session.refresh(invitation, with_for_update=True)
        if not _closes(invitation, event, now):
            continue  # answered or closed meanwhile, or an accepted seat of a started event
        held = invitation.status in HOLDING
        invitation.status = InvitationStatus.WITHDRAWN
        invitation.closed_reason = reason[:300]
        invitation.updated_at = now
        result.withdrawn += 1
        session.flush()
        if held:
            result.refills.append(refill(session=session, event=event, over_invite=over_invite))
    result.messages_skipped = _skip_pending(
        session, ids, reason=reason, now=now, keep=frozenset(keep)
    )
    session.execute(
        update(SurveyConversation)
        .where(
            SurveyConversation.invitation_id.in_(
                select(Invitation.id).where(Invitation.participant_id.in_(ids))
            ),
            SurveyConversation.finished_at.is_(None),
        )
        .values(finished_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return result


def _closes(invitation: Invitation, event: Event, now: datetime) -> bool:
    if event.status is not EventStatus.SCHEDULED:
        return False
    if invitation.status in _WAITING:
        return True
    return invitation.status is InvitationStatus.ACCEPTED and event.starts_at > now


def _skip_pending(
    session: Session,
    participant_ids: list[uuid.UUID],
    *,
    reason: str,
    now: datetime,
    keep: frozenset[str],
) -> int:
    # Only `planned` rows: one already handed to the provider (or in flight) cannot be called
    # back. A sender holding a row's lock finishes first; this update then sees it `sending`.
    query = (
        update(Message)
        .where(
            Message.participant_id.in_(participant_ids),
            Message.direction == MessageDirection.OUTBOUND,
            Message.status == MessageStatus.PLANNED,
        )
        .values(
            status=MessageStatus.SKIPPED,
            error_reason=reason[:300],
            not_before=None,
            updated_at=now,
        )
        .execution_options(synchronize_session="fetch")
    )
    if keep:
        query = query.where(Message.purpose.not_in(sorted(keep)))
    return len(session.execute(query.returning(Message.id)).all())
