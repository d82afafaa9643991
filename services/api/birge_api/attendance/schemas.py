from __future__ import annotations

import uuid
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: The most participants one request may mark: more than any event's capacity.
MAX_MARKED = 10_000


class AttendanceUpdate(BaseModel):
    """Who came and who did not. Each id is a participant with an accepted invitation."""

    model_config = ConfigDict(extra="forbid")

    attended: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_MARKED)
    no_show: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_MARKED)

    @model_validator(mode="after")
    def _each_once(self) -> Self:
        both = set(self.attended) & set(self.no_show)
        if both:
            raise ValueError(f"{len(both)} participants are both attended and no_show")
        return self


class AttendanceRead(BaseModel):
    event_id: uuid.UUID
    changed: int = Field(description="Invitations whose attendance this request changed")
    attended: int = Field(description="The event's participants marked attended, in total")
    no_show: int = Field(description="The event's participants marked no-show, in total")
    unmarked: int = Field(description="Accepted invitations not marked either way yet")
