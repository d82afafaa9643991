from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from birge_shared.models import Language, TemplateApproval, TemplateCategory, WhatsAppTemplate
from birge_shared.providers.twilio_content import CONTENT_SID

_SID = CONTENT_SID.pattern
#: WhatsApp's limits: up to 10 quick-reply buttons; Birge's texts fill at most 6 values.
_MAX_BUTTONS = 10
_MAX_VARIABLES = 10


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WhatsAppTemplateCreate(_Strict):
    purpose: str = Field(
        max_length=40, description="A message purpose WhatsApp carries as a template"
    )
    language: Language
    content_sid: str = Field(pattern=_SID, description="The Content resource's sid, `HX…`")
    friendly_name: str = Field(min_length=1, max_length=200)
    category: TemplateCategory = Field(
        default=TemplateCategory.UTILITY,
        description="The category asked for; the sync records the one WhatsApp approved",
    )
    variables: list[str] = Field(
        default_factory=list,
        max_length=_MAX_VARIABLES,
        description="The value names `{{1}}`, `{{2}}`… take, in order (the purpose's "
        "SMS placeholders: never a person's name)",
    )
    buttons: list[str] = Field(
        default_factory=list,
        max_length=_MAX_BUTTONS,
        description="The ids of its quick-reply buttons (`accept`, `decline`, survey answers)",
    )


class WhatsAppTemplateUpdate(_Strict):
    content_sid: str | None = Field(default=None, pattern=_SID)
    friendly_name: str | None = Field(default=None, min_length=1, max_length=200)
    category: TemplateCategory | None = None
    variables: list[str] | None = Field(default=None, max_length=_MAX_VARIABLES)
    buttons: list[str] | None = Field(default=None, max_length=_MAX_BUTTONS)


class WhatsAppTemplateRead(BaseModel):
    id: uuid.UUID
    purpose: str
    language: Language
    content_sid: str
    friendly_name: str
    category: TemplateCategory
    variables: list[str]
    buttons: list[str]
    approval: TemplateApproval
    rejection_reason: str | None
    synced_at: datetime | None = Field(description="When its approval was last read; null: never")
    usable: bool = Field(description="Approved: WhatsApp messages of its purpose go with it")
    created_at: datetime
    updated_at: datetime


def template_read(row: WhatsAppTemplate) -> WhatsAppTemplateRead:
    return WhatsAppTemplateRead(
        id=row.id,
        purpose=row.purpose,
        language=row.language,
        content_sid=row.content_sid,
        friendly_name=row.friendly_name,
        category=row.category,
        variables=list(row.variables),
        buttons=list(row.buttons),
        approval=row.approval,
        rejection_reason=row.rejection_reason,
        synced_at=row.synced_at,
        usable=row.approval is TemplateApproval.APPROVED,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SyncRead(BaseModel):
    synced_at: datetime
    checked: int
    changed: int
    approvals: dict[str, int] = Field(description="Templates by approval after the sync")
