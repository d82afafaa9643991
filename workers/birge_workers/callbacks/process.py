"""Applying one stored webhook, once.

The callback row is the unit of work: it is locked, applied and stamped `processed_at` in one
transaction, so a callback published twice (the relay delivers at least once) or handled by two
workers at the same moment has one effect. A failure rolls everything back and leaves the row
unprocessed for a retry; `record_failed_attempt` counts the failures in a transaction of its
own, since the failed one is gone, and the task gives up after a bound.
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from birge_shared.models import ProviderCallback
from birge_workers.callbacks.replies import handle_inbound
from birge_workers.callbacks.status import apply_status

log = logging.getLogger(__name__)

#: After this many failed attempts a callback is left unprocessed and no longer retried.
CALLBACK_MAX_ATTEMPTS = 8


class CallbackOutcome(enum.StrEnum):
    PROCESSED = "processed"
    ALREADY_PROCESSED = "already_processed"
    BUSY_OR_MISSING = "busy_or_missing"
    GIVEN_UP = "given_up"


def process_callback(
    *,
    session: Session,
    callback_id: int,
    now: datetime,
    over_invite: float = 1.0,
    max_attempts: int = CALLBACK_MAX_ATTEMPTS,
) -> CallbackOutcome:
    """Apply one stored callback and mark it processed; the caller commits."""
    if session.get_bind().dialect.name == "sqlite":
        _take_sqlite_write_lock(session, callback_id)
    # SKIP LOCKED: when another worker holds the row it is applying this very callback, and
    # waiting for it would only find the row processed (or failed, and retried by its owner).
    callback = session.scalar(
        select(ProviderCallback)
        .where(ProviderCallback.id == callback_id)
        .with_for_update(skip_locked=True)
    )
    if callback is None:
        log.info("callback busy elsewhere or gone", extra={"callback_id": callback_id})
        return CallbackOutcome.BUSY_OR_MISSING
    if callback.processed_at is not None:
        return CallbackOutcome.ALREADY_PROCESSED
    if callback.attempts >= max_attempts:
        # A late duplicate of a task that already gave up: the row waits for a person.
        return CallbackOutcome.GIVEN_UP

    if callback.kind == "status":
        apply_status(session=session, callback=callback, over_invite=over_invite)
    elif callback.kind == "inbound":
        handle_inbound(session=session, callback=callback, now=now, over_invite=over_invite)
        # The text now lives in the inbound message (without a number, for an unknown one);
        # the webhook's copy of the number and text is not needed any more.
        callback.from_encrypted = None
        callback.body_encrypted = None
    else:
        log.warning(
            "callback of an unknown kind", extra={"callback_id": callback.id, "kind": callback.kind}
        )
    callback.processed_at = now
    session.flush()
    return CallbackOutcome.PROCESSED


def record_failed_attempt(*, session: Session, callback_id: int) -> int | None:
    """Count one failed attempt; the new count, or None if the callback is processed or gone."""
    return session.execute(
        update(ProviderCallback)
        .where(ProviderCallback.id == callback_id, ProviderCallback.processed_at.is_(None))
        .values(attempts=ProviderCallback.attempts + 1)
        .returning(ProviderCallback.attempts)
    ).scalar_one_or_none()


def _take_sqlite_write_lock(session: Session, callback_id: int) -> None:
    # SQLite (the embedded `birge dev` set-up) has no row locks: a write that changes nothing
    # takes its single writer lock first, so a second worker waits and then sees the row
    # already processed.
    session.execute(
        update(ProviderCallback)
        .where(ProviderCallback.id == callback_id)
        .values(attempts=ProviderCallback.attempts)
        .execution_options(synchronize_session=False)
    )
