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


class Segments(BaseModel):
    """The cost of the text filled with sample values of realistic length."""

    encoding: Encoding
    characters: int
    segments: int


class TemplateRead(BaseModel):
    purpose: str
    language: Language
    body: str = Field(description="The text in use: the administrators' edit or the default")
    is_default: bool
    placeholders: list[str]
    segments: Segments
    updated_at: datetime | None = Field(description="When the edit was made; null for a default")
    updated_by_id: uuid.UUID | None
