"""Releasing planned messages whose wait is over, and messages whose queueing was lost.

The table is the schedule: a message waiting for the end of quiet hours or for its retry
keeps `not_before`, and this periodic task queues it once that moment has passed, instead of a
Celery countdown that would sit in the broker for hours. It only queues; `sms.send` checks
everything again when it runs.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from birge_shared.budget import not_held
from birge_shared.models import Message, MessageChannel, MessageDirection, MessageStatus
from birge_shared.outbox import enqueue
from birge_shared.tasks import SmsSend

log = logging.getLogger(__name__)

#: A planned message untouched for this long without a wait of its own was queued once and its
#: task lost (or never queued at all); it is queued again. Long enough that a big batch still
#: working through the queue is not queued twice every tick.
LOST_AFTER = timedelta(minutes=10)
#: At most this many messages per tick; the next tick carries on.
RELEASE_LIMIT = 2000


def chunks(ids: Sequence[uuid.UUID], size: int) -> list[list[uuid.UUID]]:
    return [list(ids[start : start + size]) for start in range(0, len(ids), size)]


def release_due(
    *,
    session: Session,
    now: datetime,
    chunk_size: int,
    lost_after: timedelta = LOST_AFTER,
    limit: int = RELEASE_LIMIT,
) -> int:
    """Queue `sms.send` for planned messages that are due or lost; return how many.

    A released message gets its wait cleared and `updated_at` stamped, so it counts as queued
    from now on and is released again only if it is still planned `lost_after` later.
    The caller commits.
    """
    due = or_(
        Message.not_before <= now,
        and_(Message.not_before.is_(None), Message.updated_at < now - lost_after),
    )
    ids = list(
        session.scalars(
            select(Message.id)
            .where(
                Message.status == MessageStatus.PLANNED,
                Message.direction == MessageDirection.OUTBOUND,
                Message.channel == MessageChannel.SMS,
                due,
                # Held over the city's SMS budget: its approval queues it.
                not_held(),
            )
            .order_by(Message.created_at, Message.id)
            .limit(limit)
            # A message being claimed by a sender right now is that sender's; skip it.
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return 0
    session.execute(
        update(Message)
        .where(Message.id.in_(ids))
        .values(not_before=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    for chunk in chunks(ids, chunk_size):
        enqueue(session=session, payload=SmsSend(message_ids=chunk))
    log.info("planned sms released", extra={"count": len(ids)})
    return len(ids)
