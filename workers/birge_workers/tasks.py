"""The Celery tasks: thin edges that open the transaction, call one function and commit.

Each task is registered under its name from `birge_shared.tasks`, the contract the API and the
relay publish by. Tasks take ids, never personal data, and are safe to run twice.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, Task

from birge_shared.db import session_scope
from birge_shared.models import utcnow
from birge_shared.tasks import EVENTS_COMPLETE_PAST, OUTBOX_RELAY, EventCancelled
from birge_workers.events import complete_past_events, withdraw_open_invitations
from birge_workers.periodic import claim_slot, once_per_slot
from birge_workers.relay import relay_outbox
from birge_workers.schedule import COMPLETE_PAST_INTERVAL, RELAY_INTERVAL

log = logging.getLogger(__name__)

RELAY_BATCH = 100
# A backlog is drained in several committed batches per tick, but not forever: the next tick
# carries on, and a long backlog cannot hold one worker process indefinitely.
RELAY_MAX_BATCHES = 10

_complete_past_once = once_per_slot(EVENTS_COMPLETE_PAST, COMPLETE_PAST_INTERVAL)(
    complete_past_events
)


def outbox_relay(task: Task[Any, Any]) -> int:
    """Publish due outbox rows; return how many were published."""

    def publish(name: str, payload: dict[str, Any]) -> None:
        task.app.send_task(name, kwargs=payload)

    now = utcnow()
    with session_scope() as session:
        if not claim_slot(
            session=session, task_name=OUTBOX_RELAY, interval=RELAY_INTERVAL, now=now
        ):
            return 0
        batch = relay_outbox(session=session, publish=publish, limit=RELAY_BATCH, now=now)
    total = batch
    for _ in range(RELAY_MAX_BATCHES - 1):
        if batch < RELAY_BATCH:
            break
        with session_scope() as session:
            batch = relay_outbox(session=session, publish=publish, limit=RELAY_BATCH)
        total += batch
    if total:
        log.info("outbox rows published", extra={"count": total})
    return total


def event_cancelled(event_id: str) -> int:
    """Withdraw the open invitations of a cancelled event; return how many changed."""
    payload = EventCancelled(event_id=event_id)
    with session_scope() as session:
        return withdraw_open_invitations(session=session, event_id=payload.event_id, now=utcnow())


def complete_past() -> int | None:
    """Close events that have ended; None when another beat's tick already ran this slot."""
    with session_scope() as session:
        return _complete_past_once(session=session, now=utcnow())


def register_tasks(app: Celery) -> None:
    app.task(name=OUTBOX_RELAY, bind=True)(outbox_relay)
    app.task(name=EventCancelled.task_name)(event_cancelled)
    app.task(name=EVENTS_COMPLETE_PAST)(complete_past)
