"""Reading the audit trail, newest first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from birge_api.pagination import decode_cursor
from birge_shared.models import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    actor_id: uuid.UUID | None = None
    at_from: datetime | None = None
    at_to: datetime | None = None


def list_entries(
    *, session: Session, filters: AuditFilter, limit: int, cursor: str | None
) -> tuple[list[AuditEntry], bool]:
    """A page of entries, newest first; the flag says whether older ones follow."""
    query = select(AuditEntry)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.object_type:
        query = query.where(AuditEntry.object_type == filters.object_type)
    if filters.object_id:
        query = query.where(AuditEntry.object_id == filters.object_id)
    if filters.actor_id:
        query = query.where(AuditEntry.actor_id == filters.actor_id)
    if filters.at_from:
        query = query.where(AuditEntry.at >= filters.at_from)
    if filters.at_to:
        query = query.where(AuditEntry.at < filters.at_to)
    if cursor:
        before_at, before_id = decode_cursor(cursor)
        query = query.where(
            or_(
                AuditEntry.at < before_at,
                and_(AuditEntry.at == before_at, AuditEntry.id < before_id),
            )
        )
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit + 1)
    rows = list(session.scalars(query))
    return rows[:limit], len(rows) > limit
