"""A comment as its event's coordinators read it: the text and the day, nothing about the writer."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel


class CommentRead(BaseModel):
    id: uuid.UUID
    text: str
    answered_on: date  # the day, in the event's city; answers keep no time of day


class CommentList(BaseModel):
    items: list[CommentRead]
    #: Comments of this event a coordinator hid; their texts are shown to nobody.
    hidden: int
