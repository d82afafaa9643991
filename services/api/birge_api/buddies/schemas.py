from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from birge_shared.models import BuddyPair


class BuddyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host_id: uuid.UUID = Field(description="A participant who declared the host community")
    migrant_id: uuid.UUID = Field(description="A migrant in the same city and language")


class BuddyRead(BaseModel):
    id: uuid.UUID
    city: str
    host_id: uuid.UUID
    migrant_id: uuid.UUID
    active: bool
    created_at: datetime
    ended_at: datetime | None


def buddy_read(row: BuddyPair) -> BuddyRead:
    return BuddyRead(
        id=row.id,
        city=row.city_code,
        host_id=row.host_id,
        migrant_id=row.migrant_id,
        active=row.ended_at is None,
        created_at=row.created_at,
        ended_at=row.ended_at,
    )
