"""Retention: the daily purge of old free text and the count of people due for review.

Inbound SMS texts and survey comments are what people wrote in their own words, so they may
identify the writer or others; after RETENTION_DAYS they are set to NULL while the rows (and
every aggregate built on them) stay. Participants nobody has invited for REVIEW_AFTER_DAYS are
not deleted automatically: consent may still hold, so they are counted here and listed for an
administrator at /v1/retention/review.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from celery import Celery
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from birge_shared import audit
from birge_shared.db import session_scope
from birge_shared.models import (
    Message,
    MessageDirection,
    Participant,
    ProviderCallback,
    SurveyResponse,
    utcnow,
)
from birge_shared.retention import due_for_review, purge_contact_pairs, review_cutoff
from birge_shared.settings import get_settings
from birge_shared.tasks import RETENTION_PURGE
from birge_workers.periodic import once_per_slot
from birge_workers.schedule import RETENTION_PURGE_INTERVAL

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurgeResult:
    message_bodies: int
    callback_texts: int
    survey_comments: int
    contact_pairs: int
    due_for_review: int


def purge_expired(
    *, session: Session, now: datetime, retention_days: int, review_after_days: int
) -> PurgeResult:
    cutoff = now - timedelta(days=retention_days)
    # Bulk updates on the session's connection (same transaction): the row counts are the
    # figures of the audit entry, and no row is loaded into Python.
    connection = session.connection()
    messages = connection.execute(
        update(Message)
        .where(
            Message.direction == MessageDirection.INBOUND,
            Message.created_at < cutoff,
            Message.body_encrypted.is_not(None),
        )
        .values(body_encrypted=None)
    ).rowcount
    # The webhook stores an inbound SMS (text and sender) before a worker applies it; once
    # applied and old, that copy goes too. Unprocessed rows are left for the worker.
    callbacks = connection.execute(
        update(ProviderCallback)
        .where(
            ProviderCallback.received_at < cutoff,
            ProviderCallback.processed_at.is_not(None),
            (ProviderCallback.body_encrypted.is_not(None))
            | (ProviderCallback.from_encrypted.is_not(None))
            | (ProviderCallback.from_hash.is_not(None)),
        )
        .values(body_encrypted=None, from_encrypted=None, from_hash=None)
    ).rowcount
    comments = connection.execute(
        update(SurveyResponse)
        .where(SurveyResponse.answered_at < cutoff, SurveyResponse.comment_encrypted.is_not(None))
        .values(comment_encrypted=None)
    ).rowcount
    pairs = purge_contact_pairs(session=session, cutoff=cutoff)
    review = review_cutoff(now=now, review_after_days=review_after_days)
    due = session.scalar(
        select(func.count()).select_from(Participant).where(due_for_review(cutoff=review))
    )
    result = PurgeResult(
        message_bodies=messages,
        callback_texts=callbacks,
        survey_comments=comments,
        contact_pairs=pairs,
        due_for_review=due or 0,
    )
    audit.record(
        session=session,
        actor_id=None,
        action="retention.purge",
        object_type="retention",
        details=asdict(result),
    )
    log.info("retention purge", extra=asdict(result))
    return result


def _purge(*, session: Session, now: datetime) -> PurgeResult:
    settings = get_settings()
    return purge_expired(
        session=session,
        now=now,
        retention_days=settings.retention_days,
        review_after_days=settings.review_after_days,
    )


purge_once = once_per_slot(RETENTION_PURGE, RETENTION_PURGE_INTERVAL)(_purge)


def retention_purge() -> dict[str, int] | None:
    """Purge what is past retention; None when another beat's tick already ran today."""
    with session_scope() as session:
        result = purge_once(session=session, now=utcnow())
        return asdict(result) if result is not None else None


def register_retention_tasks(app: Celery) -> None:
    app.task(name=RETENTION_PURGE)(retention_purge)
