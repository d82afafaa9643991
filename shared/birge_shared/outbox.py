"""Writing to the outbox: the only way a request causes background work."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Executable, Text, bindparam, func, inspect, literal, select
from sqlalchemy import insert as core_insert
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Session

from birge_shared.models import OutboxEntry, utcnow
from birge_shared.tasks import OUTBOX_TASKS, TaskPayload
from birge_shared.upsert import insert_ignoring_conflict


def enqueue(
    *, session: Session, payload: TaskPayload, available_at: datetime | None = None
) -> OutboxEntry:
    """Add a task to the caller's transaction; it is published only if the transaction commits."""
    _check_known(payload.task_name)
    entry = OutboxEntry(
        task_name=payload.task_name,
        payload=payload.model_dump(mode="json"),
        available_at=available_at or utcnow(),
    )
    session.add(entry)
    return entry


def insert_once_and_enqueue(
    session: Session,
    model: type[DeclarativeBase],
    values: dict[str, Any],
    task: type[TaskPayload],
) -> bool:
    """Insert a row unless a unique key holds it, and queue `task` naming the new row's key.

    True when the row is new (and so queued); a repeat changes nothing. `task` must carry the
    row's primary key as its only field. On PostgreSQL this is one statement, the insert in a
    CTE feeding the outbox insert, built once per shape of row: one round trip, no ORM flush,
    for webhooks that arrive by the hundred a second. SQLite has no data-modifying CTE: there
    it is the two inserts. Either way both rows are in the caller's transaction, so neither
    exists without the other.
    """
    _check_known(task.task_name)
    if session.get_bind().dialect.name != "postgresql":
        key = insert_ignoring_conflict(session, model, values)
        if key is not None:
            (field,) = task.model_fields
            enqueue(session=session, payload=task.model_validate({field: key}))
        return key is not None
    statement = _insert_and_enqueue(model, tuple(sorted(values)), task)
    parameters = {**values, _QUEUED_AT: utcnow()}
    # On the session's connection, past the ORM's statement handling: Core is enough here.
    return session.connection().execute(statement, parameters).first() is not None


_QUEUED_AT = "queued_at_"


@functools.cache
def _insert_and_enqueue(
    model: type[DeclarativeBase], columns: tuple[str, ...], task: type[TaskPayload]
) -> Executable:
    (field,) = task.model_fields  # one field: the new row's key
    primary_key = inspect(model).primary_key[0]
    stored = (
        postgresql.insert(model)
        .values({column: bindparam(column) for column in columns})
        .on_conflict_do_nothing()
        .returning(primary_key)
        .cte("stored")
    )
    # json_build_object gives what model_dump(mode="json") gives for a one-field payload.
    payload = func.json_build_object(literal(field, Text), stored.c[primary_key.name])
    now = bindparam(_QUEUED_AT, type_=DateTime(timezone=True))
    return (
        core_insert(OutboxEntry)
        .from_select(
            ["task_name", "payload", "created_at", "available_at", "attempts"],
            select(literal(task.task_name, Text), payload, now, now, literal(0)).select_from(
                stored
            ),
            include_defaults=False,
        )
        .add_cte(stored)
        .returning(OutboxEntry.id)
    )


def _check_known(task_name: str) -> None:
    if task_name not in OUTBOX_TASKS:
        raise ValueError(f"unknown outbox task {task_name!r}")
