from __future__ import annotations

import uuid
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: The most participants one request may mark: more than any event's capacity.
MAX_MARKED = 10_000


class AttendanceUpdate(BaseModel):
    """Who came and who did not. Each id is a participant with an accepted invitation.

    `unmarked` takes a mark back (a check-in tapped by mistake at the door): the invitation is
    accepted again, as if nobody had marked it. A walk-in's is undone: the invitation the
    walk-in made is removed, one it changed gets its status from before the walk-in back.
    """

    model_config = ConfigDict(extra="forbid")

    attended: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_MARKED)
    no_show: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_MARKED)
    unmarked: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_MARKED)

    @model_validator(mode="after")
    def _each_once(self) -> Self:
        lists = {"attended": self.attended, "no_show": self.no_show, "unmarked": self.unmarked}
        names = list(lists)
        for index, first in enumerate(names):
            for second in names[index + 1 :]:
                both = set(lists[first]) & set(lists[second])
                if both:
                    raise ValueError(f"{len(both)} participants are both {first} and {second}")
        return self


class AttendanceRead(BaseModel):
    event_id: uuid.UUID
    changed: int = Field(description="Invitations whose attendance this request changed")
    attended: int = Field(description="The event's participants marked attended, in total")
    no_show: int = Field(description="The event's participants marked no-show, in total")
    unmarked: int = Field(description="Accepted invitations not marked either way yet")
