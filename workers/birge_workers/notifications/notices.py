"""Planning one notice (an SMS, and an e-mail where there is an address) per invitation."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.models import Event, Invitation, InvitationStatus, MessagePurpose, Participant
from birge_shared.outbound.plan import Planned, Target, plan_messages, queue_planned

#: Who hears about a change or a cancellation: everyone who got the invitation and has not
#: said no. A planned invitation's own SMS and e-mail will already show the event as it is.
NOTIFIED = frozenset({InvitationStatus.SENT, InvitationStatus.ACCEPTED})


def plan_notices(
    *,
    session: Session,
    event: Event,
    invitations: Sequence[Invitation],
    purpose: MessagePurpose,
    queue_now: bool = True,
) -> Planned:
    """Plan `purpose` for each invitation's participant who may still be written to.

    Erased and opted-out people get nothing: STOP stops every channel at once. The keys carry
    the event's SEQUENCE, so a rerun for the same version plans nothing new, and a later
    version is announced afresh. With `queue_now=False` the caller releases what was planned
    (see `birge_shared.budget.release`).
    """
    ids = {invitation.participant_id for invitation in invitations}
    people = (
        {p.id: p for p in session.scalars(select(Participant).where(Participant.id.in_(ids)))}
        if ids
        else {}
    )
    targets = [
        Target(participant=person, invitation_id=invitation.id, sequence=event.sequence)
        for invitation in invitations
        if (person := people[invitation.participant_id]).erased_at is None
        and person.opted_out_at is None
    ]
    planned = plan_messages(
        session=session, purpose=purpose, targets=targets, version=str(event.sequence)
    )
    if queue_now:
        queue_planned(session=session, planned=planned)
    return planned
