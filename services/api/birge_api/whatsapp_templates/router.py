"""WhatsApp templates under /v1/whatsapp-templates: administrators only."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from birge_api.deps import Admin, SessionDep, SettingsDep
from birge_api.whatsapp_templates import service
from birge_api.whatsapp_templates.schemas import (
    SyncRead,
    WhatsAppTemplateCreate,
    WhatsAppTemplateRead,
    WhatsAppTemplateUpdate,
    template_read,
)

router = APIRouter(prefix="/v1/whatsapp-templates", tags=["whatsapp templates"])

_PROBLEMS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or invalid token"},
    403: {"description": "Only administrators manage WhatsApp templates"},
    404: {"description": "No such template"},
    409: {"description": "A template exists for this purpose and language, or with this sid"},
    422: {"description": "Invalid input; `errors` names the fields"},
}


@router.get("", responses=_PROBLEMS)
def list_templates(session: SessionDep, actor: Admin) -> list[WhatsAppTemplateRead]:
    return [template_read(row) for row in service.list_templates(session=session)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=_PROBLEMS)
def create_template(
    body: WhatsAppTemplateCreate, session: SessionDep, actor: Admin, response: Response
) -> WhatsAppTemplateRead:
    """Register a template; it is unsubmitted until a sync reads WhatsApp's review."""
    row = service.create_template(session=session, actor=actor, data=body)
    response.headers["Location"] = f"{router.prefix}/{row.id}"
    return template_read(row)


@router.post(
    "/sync",
    responses={
        **_PROBLEMS,
        409: {"description": "Twilio is not configured"},
        502: {"description": "The Content API could not be read; nothing was changed"},
    },
)
def sync_templates(session: SessionDep, settings: SettingsDep, actor: Admin) -> SyncRead:
    """Read every template's approval from Twilio's Content API now."""
    return service.sync_now(session=session, actor=actor, settings=settings)


@router.get("/{template_id}", responses=_PROBLEMS)
def get_template(template_id: uuid.UUID, session: SessionDep, actor: Admin) -> WhatsAppTemplateRead:
    return template_read(service.get_template(session=session, template_id=template_id))


@router.patch("/{template_id}", responses=_PROBLEMS)
def update_template(
    template_id: uuid.UUID, body: WhatsAppTemplateUpdate, session: SessionDep, actor: Admin
) -> WhatsAppTemplateRead:
    """A new `content_sid` makes the template unsubmitted again until the next sync."""
    return template_read(
        service.update_template(session=session, actor=actor, template_id=template_id, data=body)
    )


@router.delete("/{template_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_PROBLEMS)
def delete_template(template_id: uuid.UUID, session: SessionDep, actor: Admin) -> Response:
    service.delete_template(session=session, actor=actor, template_id=template_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
