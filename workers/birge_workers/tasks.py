"""The Celery tasks: thin edges that open the transaction, call one function and commit.

Each task is registered under its name from `birge_shared.tasks`, the contract the API and the
relay publish by. Tasks take ids, never personal data, and are safe to run twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from celery import Celery, Task
from sqlalchemy.orm import Session

from birge_shared.db import session_scope
from birge_shared.invitations import expire_due
from birge_shared.models import utcnow
from birge_shared.settings import get_settings
from birge_shared.tasks import (
    EVENTS_COMPLETE_PAST,
    INVITATIONS_EXPIRE_DUE,
    OUTBOX_RELAY,
    CallbackReceived,
    EventCancelled,
)
from birge_workers.calendar_replies import register_calendar_reply_tasks
from birge_workers.callbacks.process import (
    CALLBACK_MAX_ATTEMPTS,
    CallbackOutcome,
    process_callback,
    record_failed_attempt,
)
from birge_workers.events import complete_past_events, withdraw_open_invitations
from birge_workers.notifications.tasks import register_notification_tasks
from birge_workers.outbound.tasks import register_outbound_tasks
from birge_workers.periodic import claim_slot, once_per_slot
from birge_workers.relay import relay_outbox, retry_delay
from birge_workers.reminders import register_reminder_tasks
from birge_workers.retention import register_retention_tasks
from birge_workers.schedule import COMPLETE_PAST_INTERVAL, EXPIRE_DUE_INTERVAL, RELAY_INTERVAL
from birge_workers.surveys.tasks import register_survey_tasks
from birge_workers.telegram.tasks import register_telegram_tasks
from birge_workers.whatsapp_templates import register_whatsapp_template_tasks

log = logging.getLogger(__name__)

RELAY_BATCH = 100
# A backlog is drained in several committed batches per tick, but not forever: the next tick
# carries on, and a long backlog cannot hold one worker process indefinitely.
RELAY_MAX_BATCHES = 10

_complete_past_once = once_per_slot(EVENTS_COMPLETE_PAST, COMPLETE_PAST_INTERVAL)(
    complete_past_events
)


def _expire_invitations(*, session: Session, now: datetime) -> int:
    return expire_due(session=session, now=now, over_invite=get_settings().over_invite_factor)


_expire_due_once = once_per_slot(INVITATIONS_EXPIRE_DUE, EXPIRE_DUE_INTERVAL)(_expire_invitations)


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


def invitations_expire_due() -> int | None:
    """Expire unanswered invitations past their deadline; None when this slot already ran."""
    with session_scope() as session:
        return _expire_due_once(session=session, now=utcnow())


def callback_process(task: Task[Any, Any], callback_id: int) -> str:
    """Apply one stored webhook. A failure is retried with backoff, then given up and logged."""
    payload = CallbackReceived(callback_id=callback_id)
    try:
        with session_scope() as session:
            return process_callback(
                session=session,
                callback_id=payload.callback_id,
                now=utcnow(),
                over_invite=get_settings().over_invite_factor,
            ).value
    except Exception as exc:  # any failure: the transaction is gone, count it and retry
        error = type(exc).__name__
    try:
        with session_scope() as session:
            attempts = record_failed_attempt(session=session, callback_id=payload.callback_id)
    except Exception:  # the database itself fails: Celery's own count still bounds the retries
        attempts = task.request.retries + 1
    if attempts is None:
        return CallbackOutcome.ALREADY_PROCESSED.value
    # The exception's type only: its text could quote a phone number or a message.
    extra = {"callback_id": payload.callback_id, "attempts": attempts, "error": error}
    if attempts >= CALLBACK_MAX_ATTEMPTS:
        log.error("callback given up", extra=extra)
        return CallbackOutcome.GIVEN_UP.value
    log.warning("callback failed; will retry", extra=extra)
    raise task.retry(countdown=retry_delay(attempts).total_seconds())


def register_tasks(app: Celery) -> None:
    app.task(name=OUTBOX_RELAY, bind=True)(outbox_relay)
    app.task(name=EventCancelled.task_name)(event_cancelled)
    app.task(name=EVENTS_COMPLETE_PAST)(complete_past)
    # Celery's own bound backs up the count kept in the database (see callback_process).
    app.task(name=CallbackReceived.task_name, bind=True, max_retries=CALLBACK_MAX_ATTEMPTS)(
        callback_process
    )
    app.task(name=INVITATIONS_EXPIRE_DUE)(invitations_expire_due)
    register_outbound_tasks(app)
    register_reminder_tasks(app)
    register_survey_tasks(app)
    register_notification_tasks(app)
    register_retention_tasks(app)
    register_calendar_reply_tasks(app)
    register_telegram_tasks(app)
    register_whatsapp_template_tasks(app)
