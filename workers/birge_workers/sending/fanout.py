"""Fan-out: the messages of each planned invitation of a batch, planned and queued in chunks.

Each chunk is one transaction: its messages (one per channel the person has) and the send
tasks that send them are committed together, so a chunk is either planned and queued or not
at all. The messages' unique dedupe keys make a second run, or two runs at once, plan nothing
twice. The first chunk is small, so the first sends start while the rest is planned, and each
chunk's send tasks may be published as soon as it commits (the relay publishes any left).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.bulk import among
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
#: Publishes committed outbox rows by id, leaving any it cannot to the relay.
PublishNow = Callable[[Sequence[int]], object]


#: The first chunk of a fan-out: small, so the first sends start while the rest is planned.
FIRST_CHUNK = 20


@dataclass(frozen=True, slots=True)
class PlannedChunk:
    #: Planned invitations taken, and how many of them got messages.
    taken: int
    planned: int
    #: The outbox rows of the chunk's send tasks.
    outbox_ids: list[int]
    #: The last invitation taken, where the next chunk starts.
    last: uuid.UUID | None


def plan_chunk(*, session: Session, batch_id: uuid.UUID, chunk_size: int) -> tuple[int, int]:
    """Plan the messages of up to `chunk_size` planned invitations of the batch that have
    none, and queue their sends; return how many invitations were taken and how many of
    them got messages. The caller commits."""
    chunk = _plan_chunk(session=session, batch_id=batch_id, chunk_size=chunk_size, after=None)
    return chunk.taken, chunk.planned


def _plan_chunk(
    *, session: Session, batch_id: uuid.UUID, chunk_size: int, after: uuid.UUID | None
) -> PlannedChunk:
    """The next `chunk_size` planned invitations after `after`, in id order; those without
    an invitation message get theirs."""
    query = (
        select(Invitation.id)
        .where(Invitation.batch_id == batch_id, Invitation.status == InvitationStatus.PLANNED)
        .order_by(Invitation.id)
        .limit(chunk_size)
        # A concurrent run of the same batch takes the next invitations instead of waiting.
        .with_for_update(skip_locked=True, of=Invitation)
    )
    if after is not None:
        query = query.where(Invitation.id > after)
    taken = list(session.scalars(query))
    # Which of them have their message already, asked of these ids alone: as a NOT EXISTS
    # over the whole batch, a planner that misjudged the fresh tables' sizes scanned every
    # message once per invitation (seconds for a batch of ten thousand).
    done = set(
        session.scalars(
            select(Message.invitation_id).where(
                among(session, Message.invitation_id, taken),
                Message.purpose == MessagePurpose.INVITATION,
            )
        )
    )
    # The channels the coordinator chose for the batch; None is every channel.
    chosen = session.scalar(select(InvitationBatch.channels).where(InvitationBatch.id == batch_id))
    planned = plan_invitations(
        session=session,
        invitation_ids=[invitation_id for invitation_id in taken if invitation_id not in done],
        channels=as_channels(chosen),
    )
    entries = queue_planned(session=session, planned=planned)
    session.flush()
    return PlannedChunk(
        taken=len(taken),
        planned=len(planned.invitation_ids),
        outbox_ids=[entry.id for entry in entries],
        last=taken[-1] if taken else None,
    )


def fan_out(
    *,
    batch_id: uuid.UUID,
    chunk_size: int,
    transaction: Transaction,
    publish_now: PublishNow | None = None,
) -> int:
    """Plan and queue every planned invitation of the batch, one transaction per chunk;
    return how many invitations got a message in this run.

    `publish_now`, when given, is offered each chunk's committed outbox rows at once, so its
    sends need not wait for the relay's next tick; the rows stay the record either way.
    """
    total = 0
    size = min(chunk_size, FIRST_CHUNK)
    after: uuid.UUID | None = None
    while True:
        with transaction() as session:
            chunk = _plan_chunk(session=session, batch_id=batch_id, chunk_size=size, after=after)
        total += chunk.planned
        if publish_now is not None and chunk.outbox_ids:
            publish_now(chunk.outbox_ids)
        # Each chunk starts after the last one, so a run ends however many it skips.
        if chunk.taken < size or chunk.last is None:
            break
        after = chunk.last
        size = chunk_size
    log.info("invitations fanned out", extra={"batch_id": str(batch_id), "count": total})
    return total
