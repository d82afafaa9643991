"""Fan-out: the messages of each planned invitation of a batch, planned and queued in chunks.

Each chunk is one transaction: its messages (one per channel the person has) and the send
tasks that send them are committed together, so a chunk is either planned and queued or not
at all. The messages' unique dedupe keys make a second run, or two runs at once, plan nothing
twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from birge_shared.models import (
    Invitation,
    InvitationBatch,
    InvitationStatus,
    Message,
    MessagePurpose,
)
from birge_shared.outbound.choice import as_channels
from birge_shared.outbound.plan import plan_invitations, queue_planned

log = logging.getLogger(__name__)

Transaction = Callable[[], AbstractContextManager[Session]]


def plan_chunk(*, session: Session, batch_id: uuid.UUID, chunk_size: int) -> tuple[int, int]:
    """Plan the messages of up to `chunk_size` planned invitations of the batch that have
    none, and queue their sends; return how many invitations were taken and how many of
    them got messages. The caller commits."""
    has_message = exists().where(
        Message.invitation_id == Invitation.id, Message.purpose == MessagePurpose.INVITATION
    )
    invitation_ids = list(
        session.scalars(
            select(Invitation.id)
            .where(
                Invitation.batch_id == batch_id,
                Invitation.status == InvitationStatus.PLANNED,
                ~has_message,
            )
            .order_by(Invitation.id)
            .limit(chunk_size)
            # A concurrent run of the same batch takes the next invitations instead of waiting.
            .with_for_update(skip_locked=True, of=Invitation)
        )
    )
    # The channels the coordinator chose for the batch; None is every channel.
    chosen = session.scalar(select(InvitationBatch.channels).where(InvitationBatch.id == batch_id))
    planned = plan_invitations(
        session=session, invitation_ids=invitation_ids, channels=as_channels(chosen)
    )
    queue_planned(session=session, planned=planned)
    return len(invitation_ids), len(planned.invitation_ids)


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
