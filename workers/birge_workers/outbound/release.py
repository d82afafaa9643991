"""Releasing planned messages whose wait is over, and messages whose queueing was lost.

The table is the schedule: a message waiting for the end of quiet hours or for its retry
keeps `not_before`, and this periodic task queues it once that moment has passed, instead of a
Celery countdown that would sit in the broker for hours. It only queues; the send checks
everything again when it runs. Every channel's messages are released here.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from birge_shared.budget import not_held
from birge_shared.models import Message, MessageDirection, MessageStatus
from birge_shared.outbound.plan import Planned, queue_planned

log = logging.getLogger(__name__)

#: A planned message untouched for this long without a wait of its own was queued once and its
#: task lost (or never queued at all); it is queued again. Long enough that a big batch still
#: working through the queue is not queued twice every tick.
LOST_AFTER = timedelta(minutes=10)
#: At most this many messages per tick; the next tick carries on.
RELEASE_LIMIT = 2000


def release_due(
    *,
    session: Session,
    now: datetime,
    chunk_size: int | None = None,
    lost_after: timedelta = LOST_AFTER,
    limit: int = RELEASE_LIMIT,
) -> int:
    """Queue the sends of planned messages that are due or lost; return how many.

    A released message gets its wait cleared and `updated_at` stamped, so it counts as queued
    from now on and is released again only if it is still planned `lost_after` later.
    The caller commits.
    """
    due = or_(
        Message.not_before <= now,
        and_(Message.not_before.is_(None), Message.updated_at < now - lost_after),
    )
    rows = session.execute(
        select(Message.id, Message.channel)
        .where(
            Message.status == MessageStatus.PLANNED,
            Message.direction == MessageDirection.OUTBOUND,
            due,
            # Held over the city's SMS budget: its approval queues it.
            not_held(),
        )
        .order_by(Message.created_at, Message.id)
        .limit(limit)
        # A message being claimed by a sender right now is that sender's; skip it.
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        return 0
    session.execute(
        update(Message)
        .where(Message.id.in_([message_id for message_id, _ in rows]))
        .values(not_before=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    planned = Planned()
    for message_id, channel in rows:
        planned.add(channel, message_id)
    queue_planned(session=session, planned=planned, chunk_size=chunk_size)
    log.info("planned messages released", extra={"count": len(rows)})
    return len(rows)
