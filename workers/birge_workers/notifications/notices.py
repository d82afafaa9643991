"""Planning one notice (an SMS, and an e-mail where there is an address) per invitation."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.invitations import plan_sms
from birge_shared.mail.plan import email_dedupe_key, plan_email
from birge_shared.models import Event, Invitation, InvitationStatus, Participant
from birge_shared.outbox import enqueue
from birge_shared.settings import get_settings
from birge_shared.tasks import SmsSend
from birge_workers.mail.send import queue_emails

#: Who hears about a change or a cancellation: everyone who got the invitation and has not
#: said no. A planned invitation's own SMS and e-mail will already show the event as it is.
NOTIFIED = frozenset({InvitationStatus.SENT, InvitationStatus.ACCEPTED})


@dataclass
class Planned:
    sms_ids: list[uuid.UUID] = field(default_factory=list)
    email_ids: list[uuid.UUID] = field(default_factory=list)


def sms_dedupe_key(invitation_id: uuid.UUID, purpose: str, sequence: int) -> str:
    return f"invitation:{invitation_id}:sms:{purpose}:{sequence}"


def participants_of(
    session: Session, invitations: Sequence[Invitation]
) -> dict[uuid.UUID, Participant]:
    """The invitations' participants in one query, rather than one per invitation."""
    ids = {invitation.participant_id for invitation in invitations}
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Participant).where(Participant.id.in_(ids)))}


def plan_notices(
    *,
    session: Session,
    event: Event,
    invitations: Sequence[Invitation],
    purpose: str,
    sms: bool = True,
    queue_now: bool = True,
) -> Planned:
    """Plan `purpose` for each invitation's participant who may still be written to.

    Erased and opted-out people get nothing: STOP stops every channel at once. The SMS needs a
    number, the e-mail an address; the keys carry the event's SEQUENCE, so a rerun for the
    same version plans nothing new, and a later version is announced afresh. With
    `queue_now=False` the caller releases what was planned (see `birge_shared.budget.release`).
    """
    planned = Planned()
    people = participants_of(session, invitations)
    for invitation in invitations:
        person = people[invitation.participant_id]
        if person.erased_at is not None or person.opted_out_at is not None:
            continue
        if sms and person.phone_encrypted is not None:
            sms_id = plan_sms(
                session=session,
                purpose=purpose,
                participant_id=person.id,
                invitation_id=invitation.id,
                dedupe_key=sms_dedupe_key(invitation.id, purpose, event.sequence),
            )
            if sms_id is not None:
                planned.sms_ids.append(sms_id)
        if person.email_encrypted is not None:
            email_id = plan_email(
                session=session,
                purpose=purpose,
                invitation_id=invitation.id,
                participant_id=person.id,
                dedupe_key=email_dedupe_key(invitation.id, purpose, event.sequence),
            )
            if email_id is not None:
                planned.email_ids.append(email_id)
    if queue_now:
        queue(session=session, planned=planned)
    return planned


def queue(*, session: Session, planned: Planned) -> None:
    """The sending tasks for what was planned, in chunks, through the outbox."""
    size = get_settings().sms_chunk_size
    for start in range(0, len(planned.sms_ids), size):
        enqueue(session=session, payload=SmsSend(message_ids=planned.sms_ids[start : start + size]))
    queue_emails(session=session, message_ids=planned.email_ids)
