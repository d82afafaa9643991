from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from birge_shared.models import AuditEntry


class AuditEntryRead(BaseModel):
    """Who did what to which object. `details` holds ids, codes and counts: no personal data."""

    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None = Field(description="Null for the system or a failed login")
    action: str = Field(examples=["event.create", "login.failed", "user.update"])
    object_type: str
    object_id: str | None
    details: dict[str, Any]


def audit_entry_read(entry: AuditEntry) -> AuditEntryRead:
    return AuditEntryRead(
        id=entry.id,
        at=entry.at,
        actor_id=entry.actor_id,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        details=entry.details,
    )
