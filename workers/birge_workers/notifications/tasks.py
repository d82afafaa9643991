"""The task edge of change notices: parse the payload, plan the notices, commit."""

from __future__ import annotations

from celery import Celery

from birge_shared.db import session_scope
from birge_shared.tasks import EventChanged
from birge_workers.notifications.changes import notify_change


def event_changed(event_id: str, sequence: int) -> str:
    """Tell participants about a change, unless a later change superseded it."""
    payload = EventChanged.model_validate({"event_id": event_id, "sequence": sequence})
    with session_scope() as session:
        return notify_change(
            session=session, event_id=payload.event_id, sequence=payload.sequence
        ).outcome.value


def register_notification_tasks(app: Celery) -> None:
    app.task(name=EventChanged.task_name)(event_changed)
