"""Writing to the outbox: the only way a request causes background work."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from birge_shared.models import OutboxEntry, utcnow
from birge_shared.tasks import OUTBOX_TASKS, TaskPayload


def enqueue(
    *, session: Session, payload: TaskPayload, available_at: datetime | None = None
) -> OutboxEntry:
    """Add a task to the caller's transaction; it is published only if the transaction commits."""
    if payload.task_name not in OUTBOX_TASKS:
        raise ValueError(f"unknown outbox task {payload.task_name!r}")
    entry = OutboxEntry(
        task_name=payload.task_name,
        payload=payload.model_dump(mode="json"),
        available_at=available_at or utcnow(),
    )
    session.add(entry)
    return entry
