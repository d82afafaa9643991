"""The calendar invitation e-mail that goes with an invitation's SMS, where there is an address.

Called by the fan-out in the transaction that plans the invitations' SMS, so both are queued
together or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.mail.plan import email_dedupe_key, plan_email
from birge_shared.models import Event, Invitation
from birge_workers.mail.send import queue_emails
from birge_workers.notifications.notices import participants_of

PURPOSE = "invitation"


def queue_invitation_emails(
    *, session: Session, invitation_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Plan and queue one invitation e-mail per invitation whose participant has an address.

    Erased and opted-out people are left out. Returns the planned message ids; none for an
    invitation already e-mailed for the event's current SEQUENCE.
    """
    if not invitation_ids:
        return []
    rows = session.execute(
        select(Invitation, Event.sequence)
        .join(Event, Invitation.event_id == Event.id)
        .where(Invitation.id.in_(list(invitation_ids)))
        .order_by(Invitation.id)
    ).all()
    people = participants_of(session, [invitation for invitation, _ in rows])
    planned: list[uuid.UUID] = []
    for invitation, sequence in rows:
        person = people[invitation.participant_id]
        if (
            person.email_encrypted is None
            or person.erased_at is not None
            or person.opted_out_at is not None
        ):
            continue
        message_id = plan_email(
            session=session,
            purpose=PURPOSE,
            invitation_id=invitation.id,
            participant_id=person.id,
            dedupe_key=email_dedupe_key(invitation.id, PURPOSE, sequence),
        )
        if message_id is not None:
            planned.append(message_id)
    queue_emails(session=session, message_ids=planned)
    return planned
