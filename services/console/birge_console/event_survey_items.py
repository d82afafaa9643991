"""The event page's survey items: which attitude items of the item bank the event's surveys
ask (`birge_shared.survey_items`), chosen by a coordinator or an administrator.

A form of checkboxes on the event page, posted here; the API's service refuses viewers, answers
404 for another city's event and 422 for a code that is not an attitude item of the bank.
"""

from __future__ import annotations

import uuid

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from birge_api.events import service
from birge_console.context import ConsoleDep
from birge_console.rendering import SECURITY_HEADERS
from birge_console.routing import console_router

router = console_router()


@router.post("/console/events/{event_id}/survey-items")
async def save_survey_items(console: ConsoleDep, request: Request, event_id: uuid.UUID) -> Response:
    console.require_writer()
    form = await request.form()
    codes = [str(code) for code in form.getlist("item")] or ["attitude"]
    service.set_survey_items(
        session=console.db, actor=console.actor, event_id=event_id, codes=codes
    )
    return RedirectResponse(
        f"/console/events/{event_id}?done=survey_items", status_code=303, headers=SECURITY_HEADERS
    )
