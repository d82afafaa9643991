"""Who is due for a retention review: one definition for the API's list and the daily purge.

A participant is due when they were registered more than `review_after_days` ago and no
invitation has been created for them since then. The list carries no personal data; an
administrator decides whether to erase the person or keep them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import ScalarSelect

from birge_shared import contacts
from birge_shared.models import Invitation, Participant


def review_cutoff(*, now: datetime, review_after_days: int) -> datetime:
    return now - timedelta(days=review_after_days)


def due_for_review(*, cutoff: datetime) -> ColumnElement[bool]:
    """The WHERE clause on `Participant` that selects the people due for review."""
    invited_since = exists().where(
        Invitation.participant_id == Participant.id, Invitation.created_at >= cutoff
    )
    # Erased stubs hold nothing left to review.
    return and_(Participant.erased_at.is_(None), Participant.created_at < cutoff, ~invited_since)


def last_invited_at() -> ScalarSelect[datetime]:
    """When the participant was last invited (an invitation created); NULL if never."""
    return (
        select(func.max(Invitation.created_at))
        .where(Invitation.participant_id == Participant.id)
        .scalar_subquery()
    )


def purge_contact_pairs(*, session: Session, cutoff: datetime) -> int:
    """The contact ledger's pairs from events before the cutoff; its rollups stay."""
    return contacts.purge_before(session, cutoff)
