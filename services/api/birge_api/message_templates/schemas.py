from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from birge_shared.models import Language
from birge_shared.sms.segments import Encoding


class TemplateUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(
        min_length=1,
        max_length=1000,
        description="The text with `{placeholder}` fields; only the purpose's placeholders.",
    )


class OneSegment(BaseModel):
    """The text as operators that do not join SMS parts get it: always one segment."""

    operators: str = Field(description="The operators of SMS_SINGLE_SEGMENT_OPERATORS")
    text: str
    shortened: bool = Field(description="A shorter wording or a cut title is sent instead")
    latin: bool = Field(description="Written in Latin letters to keep one segment")


class Segments(BaseModel):
    """The cost of the text filled with sample values of realistic length."""

    encoding: Encoding
    characters: int
    segments: int
    one_segment: OneSegment | None = Field(
        default=None, description="Null when no operator is listed as not joining parts"
    )


class TemplateRead(BaseModel):
    purpose: str
    language: Language
    body: str = Field(description="The text in use: the administrators' edit or the default")
    is_default: bool
    placeholders: list[str]
    segments: Segments
    updated_at: datetime | None = Field(description="When the edit was made; null for a default")
    updated_by_id: uuid.UUID | None
