"""Recording the audit trail. Callers pass ids and counts; never names, numbers or texts."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from birge_shared.models import AuditEntry


def record(
    *,
    session: Session,
    actor_id: uuid.UUID | None,
    action: str,
    object_type: str,
    object_id: uuid.UUID | str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        details=details or {},
    )
    session.add(entry)
    return entry
