"""The outbox relay: publishes committed outbox rows to the broker, at least once.

The API writes an outbox row in the same transaction as the change that causes background
work and never talks to the broker. This relay claims unpublished rows, publishes each by task
name and stamps `published_at` in the same transaction. A crash after publishing but before the
commit publishes the row again on the next run, which is why every task is idempotent; a crash
before publishing loses nothing, because the row is still unpublished.

A worker task that has just committed outbox rows of its own (the fan-out's send tasks) may
publish them at once through the same claim (`publish_committed`) instead of leaving them for
the next tick; the relay stays the safety net for whatever that does not publish.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.db import take_sqlite_write_lock
from birge_shared.models import OutboxEntry, utcnow
from birge_shared.tasks import OUTBOX_TASKS
from birge_workers.outbound.backoff import retry_delay as backoff_delay

log = logging.getLogger(__name__)

#: Sends one task by name with keyword arguments; raises if the broker did not take it.
Publish = Callable[[str, dict[str, Any]], object]
#: The unit of work: a context manager that yields a session and commits it on success.
Transaction = Callable[[], AbstractContextManager[Session]]

RETRY_FIRST = timedelta(seconds=5)
RETRY_MAX = timedelta(minutes=10)


class UnknownTaskError(LookupError):
    """The row names a task that is not in the contract, so no worker would run it."""


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after `attempts` failed publications, capped at `RETRY_MAX`.

    Unjittered (the middle of the one backoff's jitter): a relay's rows fail one at a time.
    """
    return backoff_delay(attempts, first=RETRY_FIRST, cap=RETRY_MAX, jitter=lambda: 0.5)


def relay_outbox(
    *,
    session: Session,
    publish: Publish,
    limit: int,
    now: datetime | None = None,
    only: Collection[int] | None = None,
) -> int:
    """Publish up to `limit` due rows in id order (of `only` these ids, when given); return
    how many were published.

    The caller commits. Rows that fail to publish stay unpublished with a later `available_at`.
    """
    now = now or utcnow()
    query = (
        select(OutboxEntry)
        .where(OutboxEntry.published_at.is_(None), OutboxEntry.available_at <= now)
        .order_by(OutboxEntry.id)
        .limit(limit)
    )
    if only is not None:
        query = query.where(OutboxEntry.id.in_(list(only)))
    take_sqlite_write_lock(session)
    if session.get_bind().dialect.name != "sqlite":
        # Concurrent relays each take different rows instead of waiting for one another, so
        # no row is published by two of them.
        query = query.with_for_update(skip_locked=True)
    published = 0
    for entry in session.scalars(query).all():
        try:
            payload = _checked_payload(entry)
            publish(entry.task_name, payload)
        except Exception as exc:  # any failure leaves the row for a later run
            _record_failure(entry, exc, now)
        else:
            entry.published_at = now
            published += 1
    session.flush()
    return published


def publish_committed(
    *, entry_ids: Collection[int], publish: Publish, transaction: Transaction
) -> int:
    """Publish these just-committed rows now, in a transaction of their own, rather than at
    the relay's next tick; return how many were published.

    The same claim as the relay's (locked, skipped when another relay holds them, stamped in
    the transaction that publishes), so a row is published as often as the relay alone would
    publish it. Any failure, the broker's or the database's, leaves the rows to the relay.
    """
    if not entry_ids:
        return 0
    try:
        with transaction() as session:
            return relay_outbox(
                session=session, publish=publish, limit=len(entry_ids), only=entry_ids
            )
    except Exception as exc:  # the relay's next tick publishes what is left
        log.warning(
            "publishing at once failed; left to the relay",
            extra={"count": len(entry_ids), "error": type(exc).__name__},
        )
        return 0


def _checked_payload(entry: OutboxEntry) -> dict[str, Any]:
    contract = OUTBOX_TASKS.get(entry.task_name)
    if contract is None:
        raise UnknownTaskError
    # Validating against the contract refuses any field beyond ids before it reaches the broker.
    return contract.model_validate(entry.payload).model_dump(mode="json")


def _record_failure(entry: OutboxEntry, exc: Exception, now: datetime) -> None:
    entry.attempts += 1
    # The exception's type only: its text could quote the payload or a connection string.
    entry.last_error = type(exc).__name__[:300]
    entry.available_at = now + retry_delay(entry.attempts)
    log.warning(
        "outbox publish failed",
        extra={
            "outbox_id": entry.id,
            "task": entry.task_name,
            "attempts": entry.attempts,
            "error": entry.last_error,
        },
    )
