"""SMS texts under /v1/message-templates: administrators edit, coordinators read.

Viewers read reports only, so they are refused here too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from birge_api.deps import Actor, Admin, Reader, SessionDep, SettingsDep
from birge_api.message_templates import service
from birge_api.message_templates.schemas import Segments, TemplateRead, TemplateUpdate
from birge_api.problems import forbidden
from birge_shared.models import Role

router = APIRouter(prefix="/v1/message-templates", tags=["message templates"])

_PROBLEMS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or invalid token"},
    403: {"description": "Not allowed for this role"},
    404: {"description": "No such purpose or language"},
    422: {"description": "Invalid input; `errors` names the fields"},
}


def get_template_reader(actor: Reader) -> Actor:
    if actor.role is Role.VIEWER:
        raise forbidden("Viewers read reports, not message templates.")
    return actor


TemplateReader = Annotated[Actor, Depends(get_template_reader)]
# Plain strings rather than enums, so an unknown purpose or language is a 404 like any other
# path that names nothing.
PurposePath = Annotated[str, Path(max_length=40)]
LanguagePath = Annotated[str, Path(max_length=10)]


@router.get("", responses=_PROBLEMS)
def list_templates(
    session: SessionDep, settings: SettingsDep, actor: TemplateReader
) -> list[TemplateRead]:
    return service.list_templates(session=session, settings=settings)


@router.get("/{purpose}/{language}", responses=_PROBLEMS)
def get_template(
    purpose: PurposePath,
    language: LanguagePath,
    session: SessionDep,
    settings: SettingsDep,
    actor: TemplateReader,
) -> TemplateRead:
    return service.get_template(
        session=session,
        purpose=purpose,
        language=language,
        settings=settings,
    )


@router.post("/{purpose}/{language}/preview", responses=_PROBLEMS)
def preview_template(
    purpose: PurposePath,
    language: LanguagePath,
    body: TemplateUpdate,
    settings: SettingsDep,
    actor: Admin,
) -> Segments:
    """The segments a draft text would take once filled in; nothing is saved. A text with a
    placeholder its purpose does not have is a 422, as it would be when saved."""
    return service.preview_template(
        purpose=purpose,
        language=language,
        body=body.body,
        settings=settings,
    )


@router.put("/{purpose}/{language}", responses=_PROBLEMS)
def set_template(
    purpose: PurposePath,
    language: LanguagePath,
    body: TemplateUpdate,
    session: SessionDep,
    settings: SettingsDep,
    actor: Admin,
) -> TemplateRead:
    return service.set_template(
        session=session,
        actor=actor,
        purpose=purpose,
        language=language,
        body=body.body,
        settings=settings,
    )


@router.delete("/{purpose}/{language}", responses=_PROBLEMS)
def reset_template(
    purpose: PurposePath,
    language: LanguagePath,
    session: SessionDep,
    settings: SettingsDep,
    actor: Admin,
) -> TemplateRead:
    return service.reset_template(
        session=session,
        actor=actor,
        purpose=purpose,
        language=language,
        settings=settings,
    )
