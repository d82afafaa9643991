"""Fan-out: one planned SMS for each planned invitation of a batch, queued in chunks.

Each chunk is one transaction: its messages and the one `sms.send` task that sends them are
committed together, so a chunk is either planned and queued or not at all. The message's
unique dedupe key (one invitation message per invitation) makes a second run, or two runs at
once, plan nothing twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from birge_shared.invitations import invitation_dedupe_key, plan_sms
from birge_shared.models import Invitation, InvitationStatus, Message
from birge_shared.outbox import enqueue
from birge_shared.tasks import SmsSend
from birge_workers.notifications.invitations import queue_invitation_emails

log = logging.getLogger(__name__)

Transaction = Callable[[], AbstractContextManager[Session]]

INVITATION = "invitation"


def plan_chunk(*, session: Session, batch_id: uuid.UUID, chunk_size: int) -> tuple[int, int]:
    """Plan messages for up to `chunk_size` planned invitations of the batch that have none,
    and queue their send; return how many invitations were taken and how many messages
    planned. The caller commits."""
    has_message = exists().where(
        and_(Message.invitation_id == Invitation.id, Message.purpose == INVITATION)
    )
    invitations = session.execute(
        select(Invitation.id, Invitation.participant_id)
        .where(
            Invitation.batch_id == batch_id,
            Invitation.status == InvitationStatus.PLANNED,
            ~has_message,
        )
        .order_by(Invitation.id)
        .limit(chunk_size)
        # A concurrent run of the same batch takes the next invitations instead of waiting.
        .with_for_update(skip_locked=True, of=Invitation)
    ).all()
    message_ids = [
        message_id
        for invitation_id, participant_id in invitations
        if (
            message_id := plan_sms(
                session=session,
                purpose=INVITATION,
                participant_id=participant_id,
                invitation_id=invitation_id,
                dedupe_key=invitation_dedupe_key(invitation_id),
            )
        )
        is not None
    ]
    if message_ids:
        enqueue(session=session, payload=SmsSend(message_ids=message_ids))
    # Participants with an e-mail also get a calendar invitation, queued in this transaction.
    queue_invitation_emails(
        session=session, invitation_ids=[invitation_id for invitation_id, _ in invitations]
    )
    return len(invitations), len(message_ids)


def fan_out(*, batch_id: uuid.UUID, chunk_size: int, transaction: Transaction) -> int:
    """Plan and queue every planned invitation of the batch, one transaction per chunk;
    return how many invitations got a message in this run."""
    total = 0
    while True:
        with transaction() as session:
            taken, planned = plan_chunk(session=session, batch_id=batch_id, chunk_size=chunk_size)
        total += planned
        # A full chunk that planned nothing would be taken again forever: stop instead.
        if taken < chunk_size or planned == 0:
            break
    log.info("invitations fanned out", extra={"batch_id": str(batch_id), "count": total})
    return total
