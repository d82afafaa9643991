"""The audit trail under /v1/audit: administrators only."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from birge_api.audit import service
from birge_api.audit.schemas import AuditEntryRead, audit_entry_read
from birge_api.deps import Admin, SessionDep
from birge_api.fields import BoundedDatetime
from birge_api.pagination import CursorQuery, LimitQuery, Page, encode_cursor

router = APIRouter(prefix="/v1/audit", tags=["audit"])

_PROBLEMS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or invalid token"},
    403: {"description": "Only administrators read the audit trail"},
    422: {"description": "Invalid input; `errors` names the fields"},
}


@router.get("", responses=_PROBLEMS)
def list_audit_entries(
    session: SessionDep,
    actor: Admin,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    action: Annotated[str | None, Query(max_length=60, examples=["login.failed"])] = None,
    object_type: Annotated[str | None, Query(max_length=40, examples=["event"])] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: uuid.UUID | None = None,
    at_from: Annotated[
        BoundedDatetime | None, Query(alias="from", description="Entries at or after this time")
    ] = None,
    at_to: Annotated[
        BoundedDatetime | None, Query(alias="to", description="Entries before this time")
    ] = None,
) -> Page[AuditEntryRead]:
    """Who did what, newest first. Entries carry ids, codes and counts, never personal data."""
    filters = service.AuditFilter(
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor_id=actor_id,
        at_from=at_from,
        at_to=at_to,
    )
    entries, more = service.list_entries(
        session=session, filters=filters, limit=limit, cursor=cursor
    )
    next_cursor = encode_cursor(entries[-1].at, entries[-1].id) if more else None
    return Page(items=[audit_entry_read(entry) for entry in entries], next_cursor=next_cursor)
