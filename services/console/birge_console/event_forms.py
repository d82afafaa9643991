"""Creating, editing, duplicating and cancelling events, through the API's service functions.

The form is turned into `EventCreate` / `EventUpdate` (`event_form`); what pydantic or the
service refuses is shown next to its field, with nothing saved (the transaction is rolled back
before the form is shown again).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from birge_api.cities import visible_cities
from birge_api.events import service
from birge_api.events.schemas import MAX_CANCEL_REASON, EventCancel
from birge_api.problems import Problem
from birge_console import event_form
from birge_console.context import Console, ConsoleDep
from birge_console.event_form import EventForm, FormError
from birge_console.event_labels import LABELS
from birge_console.i18n import N_
from birge_console.routing import console_router
from birge_shared.i18n import LANGUAGE_NAMES
from birge_shared.models import ActivityType, City, Event, EventVisibility, utcnow
from birge_shared.models.city import BISHKEK_TZ

router = console_router()

#: A new event's mix band until the coordinator says otherwise (the API's default).
DEFAULT_MIN_SHARE = "40"


async def typed_values(request: Request) -> dict[str, str]:
    """The event form as posted (already parsed once by the CSRF check; Starlette keeps it)."""
    return event_form.read(await request.form())


FormValues = Annotated[dict[str, str], Depends(typed_values)]


def _event_page(event_id: uuid.UUID) -> str:
    return f"/console/events/{event_id}"


def _zone(cities: list[City], code: str) -> ZoneInfo:
    by_code = {city.code: city.timezone for city in cities}
    return ZoneInfo(by_code.get(code, BISHKEK_TZ))


def _form_page(
    console: Console,
    form: EventForm,
    *,
    action: str,
    heading: str,
    event: Event | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    cities = visible_cities(session=console.db, actor=console.actor)
    zone = event.city.timezone if event is not None else None
    return console.render(
        "events/form.html",
        status_code=status_code,
        form=form,
        action=action,
        heading=heading,
        event=event,
        cities=cities,
        zone=zone or _zone(cities, form.values["city"]).key,
        languages=event_form.LANGUAGES,
        language_labels={language.value: name for language, name in LANGUAGE_NAMES.items()},
        activities=list(ActivityType),
        visibilities=list(EventVisibility),
        max_reason=MAX_CANCEL_REASON,
        **LABELS,
    )


def _blank(cities: list[City]) -> dict[str, str]:
    values = dict.fromkeys(event_form.FIELDS, "")
    values.update(min_share=DEFAULT_MIN_SHARE, visibility=EventVisibility.PRIVATE.value)
    if len(cities) == 1:
        values["city"] = cities[0].code
    return values


@router.get("/console/events/new", response_class=HTMLResponse)
def new_event(console: ConsoleDep) -> HTMLResponse:
    console.require_writer()
    cities = visible_cities(session=console.db, actor=console.actor)
    return _form_page(
        console, EventForm(values=_blank(cities)), action="/console/events", heading=N_("New event")
    )


@router.post("/console/events", response_class=HTMLResponse)
def create_event(console: ConsoleDep, values: FormValues) -> Response:
    console.require_writer()
    cities = visible_cities(session=console.db, actor=console.actor)
    data, form = event_form.to_create(values, _zone(cities, values["city"]))
    status = 422
    if data is not None:
        try:
            event = service.create_event(session=console.db, actor=console.actor, data=data)
        except Problem as problem:
            console.db.rollback()
            event_form.add_problem(form, problem)
            status = problem.status
        else:
            return RedirectResponse(_event_page(event.id), status_code=303)
    return _form_page(
        console, form, action="/console/events", heading=N_("New event"), status_code=status
    )


@router.get("/console/events/{event_id}/duplicate", response_class=HTMLResponse)
def duplicate_event(console: ConsoleDep, event_id: uuid.UUID) -> HTMLResponse:
    """A new event's form filled in from this one, moved by whole weeks if it is past."""
    console.require_writer()
    event = service.get_event(session=console.db, actor=console.actor, event_id=event_id)
    values = event_form.values_of(event, shift=event_form.copy_shift(event, utcnow()))
    return _form_page(
        console, EventForm(values=values), action="/console/events", heading=N_("Copy of an event")
    )


@router.get("/console/events/{event_id}/edit", response_class=HTMLResponse)
def edit_event(console: ConsoleDep, event_id: uuid.UUID) -> HTMLResponse:
    console.require_writer()
    event = service.get_event(session=console.db, actor=console.actor, event_id=event_id)
    return _form_page(
        console,
        EventForm(values=event_form.values_of(event)),
        action=f"/console/events/{event.id}/edit",
        heading=N_("Edit the event"),
        event=event,
    )


@router.post("/console/events/{event_id}/edit", response_class=HTMLResponse)
def update_event(console: ConsoleDep, event_id: uuid.UUID, values: FormValues) -> Response:
    console.require_writer()
    event = service.get_event(session=console.db, actor=console.actor, event_id=event_id)
    values["city"] = event.city_code  # an event stays in its city
    data, form = event_form.to_update(values, event)
    status = 422
    if data is not None:
        if not data.model_fields_set:
            return RedirectResponse(_event_page(event.id), status_code=303)
        sequence = event.sequence
        try:
            updated = service.update_event(
                session=console.db,
                actor=console.actor,
                settings=console.settings,
                event_id=event.id,
                data=data,
            )
        except Problem as problem:
            if problem.status == 404:
                raise
            console.db.rollback()
            event_form.add_problem(form, problem)
            status = problem.status
        else:
            # A raised sequence means a change notice is on its way: say so, and when.
            done = "changed" if updated.sequence != sequence else "saved"
            return RedirectResponse(f"{_event_page(event.id)}?done={done}", status_code=303)
    return _form_page(
        console,
        form,
        action=f"/console/events/{event.id}/edit",
        heading=N_("Edit the event"),
        event=event,
        status_code=status,
    )


def _cancel_page(
    console: Console,
    event: Event,
    *,
    reason: str = "",
    error: FormError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return console.render(
        "events/cancel.html",
        status_code=status_code,
        event=event,
        reason=reason,
        error=error,
        max_reason=MAX_CANCEL_REASON,
        **LABELS,
    )


@router.get("/console/events/{event_id}/cancel", response_class=HTMLResponse)
def cancel_form(console: ConsoleDep, event_id: uuid.UUID) -> HTMLResponse:
    console.require_writer()
    event = service.get_event(session=console.db, actor=console.actor, event_id=event_id)
    return _cancel_page(console, event)


@router.post("/console/events/{event_id}/cancel", response_class=HTMLResponse)
def cancel_event(
    console: ConsoleDep,
    event_id: uuid.UUID,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    console.require_writer()
    event = service.get_event(session=console.db, actor=console.actor, event_id=event_id)
    try:
        body = EventCancel.model_validate({"reason": reason.strip() or None})
    except ValidationError as exc:
        errors: list[Any] = exc.errors()
        kind = str(errors[0].get("type", "")) if errors else ""
        error = (
            FormError(N_("At most %(limit)s characters."), {"limit": MAX_CANCEL_REASON})
            if kind == "string_too_long"
            else FormError(N_("One line, please."))
        )
        return _cancel_page(console, event, reason=reason, error=error, status_code=422)
    service.cancel_event(
        session=console.db, actor=console.actor, event_id=event.id, reason=body.reason
    )
    return RedirectResponse(_event_page(event.id), status_code=303)
