"""WhatsApp templates: administrators register the Twilio Content templates each purpose and
language goes as, and read their approval as last synced from Twilio.

A template is registered (or given a new `content_sid`) unsubmitted: only a sync that reads
it approved lets WhatsApp messages use it. Every change is audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.problems import Problem, conflict, invalid, not_found
from birge_api.whatsapp_templates.schemas import (
    SyncRead,
    WhatsAppTemplateCreate,
    WhatsAppTemplateUpdate,
)
from birge_shared import audit
from birge_shared.models import MessagePurpose, TemplateApproval, WhatsAppTemplate
from birge_shared.providers.twilio_content import content_api_from_settings
from birge_shared.settings import Settings
from birge_shared.whatsapp_template_sync import SyncFailedError, sync_approvals
from birge_shared.whatsapp_templates import (
    TEMPLATE_PURPOSES,
    template_buttons,
    template_variables,
)

WHAT = "WhatsApp template"


def _purpose(value: str) -> MessagePurpose:
    try:
        purpose = MessagePurpose(value)
    except ValueError:
        purpose = None
    if purpose is None or purpose not in TEMPLATE_PURPOSES:
        known = ", ".join(sorted(p.value for p in TEMPLATE_PURPOSES))
        raise invalid("purpose", f"not a purpose WhatsApp carries as a template; one of: {known}")
    return purpose


def _names(field: str, names: Sequence[str], allowed: frozenset[str]) -> list[str]:
    """The names as given, each once and each one the purpose allows."""
    for index, name in enumerate(names):
        if name not in allowed:
            known = ", ".join(sorted(allowed)) or "none for this purpose"
            raise invalid(f"{field}.{index}", f"unknown name {name!r}; allowed: {known}")
        if name in names[:index]:
            raise invalid(f"{field}.{index}", f"{name!r} is listed twice")
    return list(names)


def list_templates(*, session: Session) -> list[WhatsAppTemplate]:
    return list(
        session.scalars(
            select(WhatsAppTemplate).order_by(WhatsAppTemplate.purpose, WhatsAppTemplate.language)
        )
    )


def get_template(
    *, session: Session, template_id: uuid.UUID, lock: bool = False
) -> WhatsAppTemplate:
    row = session.get(WhatsAppTemplate, template_id, with_for_update=lock)
    if row is None:
        raise not_found(WHAT)
    return row


def _taken(exc: IntegrityError) -> Problem:
    if "content_sid" in str(exc.orig):
        return conflict(
            "whatsapp-template-sid-taken",
            "Another template is registered with this content sid",
            field="content_sid",
        )
    return conflict(
        "whatsapp-template-exists",
        "A template is registered for this purpose and language already",
        field="purpose",
    )


def _flush(session: Session) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise _taken(exc) from None


def create_template(
    *, session: Session, actor: Actor, data: WhatsAppTemplateCreate
) -> WhatsAppTemplate:
    purpose = _purpose(data.purpose)
    row = WhatsAppTemplate(
        purpose=purpose.value,
        language=data.language,
        content_sid=data.content_sid,
        friendly_name=data.friendly_name,
        category=data.category,
        variables=_names("variables", data.variables, template_variables(purpose)),
        buttons=_names("buttons", data.buttons, template_buttons(purpose)),
        approval=TemplateApproval.UNSUBMITTED,
    )
    session.add(row)
    _flush(session)
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="whatsapp_template.create",
        object_type="whatsapp_template",
        object_id=row.id,
        details={"purpose": row.purpose, "language": row.language.value},
    )
    return row


def update_template(
    *, session: Session, actor: Actor, template_id: uuid.UUID, data: WhatsAppTemplateUpdate
) -> WhatsAppTemplate:
    row = get_template(session=session, template_id=template_id, lock=True)
    purpose = MessagePurpose(row.purpose)
    changed = sorted(data.model_fields_set)
    # Checked before anything is set: a refused change leaves the row as it was.
    variables = (
        _names("variables", data.variables, template_variables(purpose))
        if data.variables is not None
        else None
    )
    buttons = (
        _names("buttons", data.buttons, template_buttons(purpose))
        if data.buttons is not None
        else None
    )
    if data.content_sid is not None and data.content_sid != row.content_sid:
        # Another Content resource: WhatsApp's review of the old one says nothing about it.
        row.content_sid = data.content_sid
        row.approval, row.rejection_reason, row.synced_at = TemplateApproval.UNSUBMITTED, None, None
    if data.friendly_name is not None:
        row.friendly_name = data.friendly_name
    if data.category is not None:
        row.category = data.category
    if variables is not None:
        row.variables = variables
    if buttons is not None:
        row.buttons = buttons
    _flush(session)
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="whatsapp_template.update",
        object_type="whatsapp_template",
        object_id=row.id,
        details={"fields": changed},
    )
    return row


def delete_template(*, session: Session, actor: Actor, template_id: uuid.UUID) -> None:
    row = get_template(session=session, template_id=template_id, lock=True)
    details = {"purpose": row.purpose, "language": row.language.value}
    session.delete(row)
    session.flush()
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="whatsapp_template.delete",
        object_type="whatsapp_template",
        object_id=template_id,
        details=details,
    )


def sync_now(*, session: Session, actor: Actor, settings: Settings) -> SyncRead:
    """Read every template's approval from Twilio now; a failure is a 502 and changes nothing."""
    api = content_api_from_settings(settings)
    if api is None:
        raise Problem(
            status=409,
            type_="twilio-not-configured",
            title="Twilio is not configured",
            detail="Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to read template approvals.",
        )
    try:
        result = sync_approvals(session=session, source=api, actor_id=actor.user_id)
    except SyncFailedError as exc:
        raise Problem(
            status=502,
            type_="whatsapp-sync-failed",
            title="Twilio's Content API could not be read; nothing was changed",
            detail=str(exc),
        ) from None
    return SyncRead(
        synced_at=result.synced_at,
        checked=result.checked,
        changed=result.changed,
        approvals=result.approvals,
    )
