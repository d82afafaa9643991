"""Administration of WhatsApp templates: register, edit and delete the Twilio Content template
each purpose and language goes as, read WhatsApp's review of each, and sync it now.

Administrators only. Every change goes through the API's service functions
(`birge_api.whatsapp_templates.service`), which check and audit it; a refused change re-renders
its form with the errors after the transaction is rolled back. "Sync now" answers htmx with
the table alone and a plain form post with the whole page.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Form, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from birge_api.problems import Problem
from birge_api.whatsapp_templates import service
from birge_api.whatsapp_templates.schemas import (
    SyncRead,
    WhatsAppTemplateCreate,
    WhatsAppTemplateUpdate,
)
from birge_console.admin import SECTIONS, problem_errors, validation_errors
from birge_console.context import Console, ConsoleDep
from birge_console.i18n import N_
from birge_console.routing import console_router
from birge_shared.models import Language, TemplateApproval, TemplateCategory, WhatsAppTemplate
from birge_shared.models.city import BISHKEK_TZ
from birge_shared.whatsapp_templates import TEMPLATE_PURPOSES

router = console_router(prefix="/console/admin/whatsapp")

PATH = "/console/admin/whatsapp"

APPROVALS: dict[TemplateApproval, str] = {
    TemplateApproval.UNSUBMITTED: N_("not submitted"),
    TemplateApproval.PENDING: N_("in review"),
    TemplateApproval.APPROVED: N_("approved"),
    TemplateApproval.REJECTED: N_("rejected"),
    TemplateApproval.PAUSED: N_("paused"),
    TemplateApproval.DISABLED: N_("disabled"),
}
#: The badge each status wears: only an approved template is used.
BADGES: dict[TemplateApproval, str] = {
    TemplateApproval.UNSUBMITTED: "muted",
    TemplateApproval.PENDING: "warn",
    TemplateApproval.APPROVED: "ok",
    TemplateApproval.REJECTED: "bad",
    TemplateApproval.PAUSED: "bad",
    TemplateApproval.DISABLED: "bad",
}
CATEGORIES: dict[TemplateCategory, str] = {
    TemplateCategory.UTILITY: N_("utility"),
    TemplateCategory.MARKETING: N_("marketing"),
    TemplateCategory.AUTHENTICATION: N_("authentication"),
}
PURPOSES = sorted(purpose.value for purpose in TEMPLATE_PURPOSES)

Text = Annotated[str, Form(max_length=400)]


def _names(value: str) -> list[str]:
    """`title, date, link` as typed into one field: the names in order, blanks dropped."""
    return [name.strip() for name in value.split(",") if name.strip()]


def _empty_form() -> dict[str, str]:
    return {
        "purpose": "invitation",
        "language": Language.RU.value,
        "content_sid": "",
        "friendly_name": "",
        "category": TemplateCategory.UTILITY.value,
        "variables": "",
        "buttons": "",
    }


def _form_of(row: WhatsAppTemplate) -> dict[str, str]:
    return {
        "purpose": row.purpose,
        "language": row.language.value,
        "content_sid": row.content_sid,
        "friendly_name": row.friendly_name,
        "category": row.category.value,
        "variables": ", ".join(row.variables),
        "buttons": ", ".join(row.buttons),
    }


def _common() -> dict[str, Any]:
    return {
        "sections": SECTIONS,
        "path": PATH,
        "approvals": APPROVALS,
        "badges": BADGES,
        "categories": CATEGORIES,
        "purposes": PURPOSES,
        "zone": BISHKEK_TZ,
    }


def _list_page(
    console: Console,
    *,
    form: dict[str, str] | None = None,
    errors: list[str] | None = None,
    sync_errors: list[str] | None = None,
    synced: SyncRead | None = None,
    saved: str | None = None,
    status_code: int = 200,
    fragment: bool = False,
) -> HTMLResponse:
    return console.render(
        "admin/whatsapp_table.html" if fragment else "admin/whatsapp.html",
        status_code=status_code,
        templates=service.list_templates(session=console.db),
        form=form or _empty_form(),
        errors=errors or [],
        sync_errors=sync_errors or [],
        synced=synced,
        saved=saved,
        **_common(),
    )


@router.get("", response_class=HTMLResponse)
def whatsapp_page(console: ConsoleDep, saved: str | None = None) -> HTMLResponse:
    console.require_admin()
    return _list_page(console, saved=saved)


@router.post("", response_class=HTMLResponse)
def register(
    console: ConsoleDep,
    purpose: Annotated[str, Form(max_length=40)] = "",
    language: Annotated[str, Form(max_length=10)] = "",
    content_sid: Annotated[str, Form(max_length=60)] = "",
    friendly_name: Annotated[str, Form(max_length=300)] = "",
    category: Annotated[str, Form(max_length=20)] = "",
    variables: Text = "",
    buttons: Text = "",
) -> Response:
    console.require_admin()
    form = {
        "purpose": purpose,
        "language": language,
        "content_sid": content_sid.strip(),
        "friendly_name": friendly_name.strip(),
        "category": category,
        "variables": variables,
        "buttons": buttons,
    }
    try:
        data = WhatsAppTemplateCreate.model_validate(
            {**form, "variables": _names(variables), "buttons": _names(buttons)}
        )
        service.create_template(session=console.db, actor=console.actor, data=data)
    except ValidationError as error:
        console.db.rollback()
        return _list_page(console, form=form, errors=validation_errors(error), status_code=422)
    except Problem as problem:
        console.db.rollback()
        return _list_page(
            console,
            form=form,
            errors=problem_errors(console, problem),
            status_code=problem.status,
        )
    return RedirectResponse(f"{PATH}?saved=created", status_code=303)


@router.post("/sync", response_class=HTMLResponse)
def sync_now(console: ConsoleDep) -> Response:
    """Read every template's approval from Twilio now; a failure is shown and changes nothing."""
    console.require_admin()
    try:
        synced = service.sync_now(
            session=console.db, actor=console.actor, settings=console.settings
        )
    except Problem as problem:
        console.db.rollback()
        # htmx swaps only a successful answer in: its fragment says what failed with a 200.
        htmx = console.is_htmx()
        return _list_page(
            console,
            sync_errors=[problem.title, *([problem.detail] if problem.detail else [])],
            status_code=200 if htmx else problem.status,
            fragment=htmx,
        )
    if console.is_htmx():
        return _list_page(console, synced=synced, fragment=True)
    return RedirectResponse(f"{PATH}?saved=synced", status_code=303)


def _edit_page(
    console: Console,
    row: WhatsAppTemplate,
    *,
    form: dict[str, str] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return console.render(
        "admin/whatsapp_template.html",
        status_code=status_code,
        row=row,
        form=form or _form_of(row),
        errors=errors or [],
        **_common(),
    )


@router.get("/{template_id}", response_class=HTMLResponse)
def edit_page(console: ConsoleDep, template_id: uuid.UUID) -> HTMLResponse:
    console.require_admin()
    return _edit_page(console, service.get_template(session=console.db, template_id=template_id))


@router.post("/{template_id}", response_class=HTMLResponse)
def update(
    console: ConsoleDep,
    template_id: uuid.UUID,
    content_sid: Annotated[str, Form(max_length=60)] = "",
    friendly_name: Annotated[str, Form(max_length=300)] = "",
    category: Annotated[str, Form(max_length=20)] = "",
    variables: Text = "",
    buttons: Text = "",
) -> Response:
    console.require_admin()
    row = service.get_template(session=console.db, template_id=template_id)
    form = {
        **_form_of(row),
        "content_sid": content_sid.strip(),
        "friendly_name": friendly_name.strip(),
        "category": category,
        "variables": variables,
        "buttons": buttons,
    }
    try:
        data = WhatsAppTemplateUpdate.model_validate(
            {
                "content_sid": form["content_sid"],
                "friendly_name": form["friendly_name"],
                "category": category,
                "variables": _names(variables),
                "buttons": _names(buttons),
            }
        )
        service.update_template(
            session=console.db, actor=console.actor, template_id=template_id, data=data
        )
    except (ValidationError, Problem) as error:
        console.db.rollback()
        if isinstance(error, Problem) and error.status == 404:
            raise
        row = service.get_template(session=console.db, template_id=template_id)
        errors = (
            validation_errors(error)
            if isinstance(error, ValidationError)
            else problem_errors(console, error)
        )
        status_code = 422 if isinstance(error, ValidationError) else error.status
        return _edit_page(console, row, form=form, errors=errors, status_code=status_code)
    return RedirectResponse(f"{PATH}?saved=changed", status_code=303)


@router.post("/{template_id}/delete", response_class=HTMLResponse)
def delete(console: ConsoleDep, template_id: uuid.UUID) -> Response:
    console.require_admin()
    service.delete_template(session=console.db, actor=console.actor, template_id=template_id)
    return RedirectResponse(f"{PATH}?saved=deleted", status_code=303)
