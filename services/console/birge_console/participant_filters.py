"""Saving the participants list's filter under a name, renaming and deleting saved filters.

Each form is a plain POST answered with a redirect back to the list (303), so it works without
JavaScript and a reload does not save twice; a refusal shows the list again with the reason
beside the form. The rules (city scope, unique names, the audit entry) are the API's
`participant_filters.service`; a typed name or number is never part of what is saved.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Annotated

from fastapi import Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from birge_api.participant_filters import service
from birge_api.participant_filters.schemas import SavedFilterCreate, SavedFilterUpdate
from birge_api.problems import Problem
from birge_console.context import Console, ConsoleDep
from birge_console.i18n import N_
from birge_console.participant_criteria import Criteria, FilterError
from birge_console.participants import list_page
from birge_console.routing import console_router

router = console_router()

NAME_TEXT = N_("Give the filter a name: one line, at most 80 characters.")
CITY_TEXT = N_("Choose one of your cities for the filter.")
TAKEN_TEXT = N_("This city already has a saved filter with this name.")

Text = Annotated[str, Form(max_length=200)]


def _refusal(fields: set[str], problem_type: str = "") -> str:
    if problem_type.endswith("filter-name-taken"):
        return TAKEN_TEXT
    if "name" in fields:
        return NAME_TEXT
    return CITY_TEXT


def _validation_fields(exc: ValidationError) -> set[str]:
    return {str(error["loc"][0]) for error in exc.errors(include_input=False) if error["loc"]}


def _problem_fields(problem: Problem) -> set[str]:
    return {str(error.get("field")) for error in problem.errors or []}


def _refused(
    console: Console,
    criteria: Criteria,
    error: FilterError,
    *,
    save_name: str = "",
    status_code: int = 422,
) -> HTMLResponse:
    return list_page(
        console,
        criteria,
        None,
        save_name=save_name,
        filter_error=error,
        status_code=status_code,
    )


def _home_city(console: Console, city: str) -> str:
    """The city to save in: the one chosen, else the coordinator's only city."""
    if city:
        return city
    cities = console.actor.cities
    return next(iter(cities)) if cities is not None and len(cities) == 1 else ""


@router.post("/console/participants/filters")
def save_filter(
    console: ConsoleDep,
    filter_name: Text = "",
    filter_city: Annotated[str, Form(max_length=40)] = "",
    city: Annotated[str, Form(max_length=40)] = "",
    language: Annotated[str, Form(max_length=10)] = "",
    community: Annotated[str, Form(max_length=20)] = "",
    opted_out: Annotated[str, Form(max_length=5)] = "",
    invited: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    console.require_writer()
    criteria = Criteria(
        city=city, language=language, community=community, opted_out=opted_out, invited=invited
    )
    home = _home_city(console, city or filter_city)
    try:
        data = SavedFilterCreate(name=filter_name, city=home, criteria=criteria.saved())
    except ValidationError as exc:
        error = FilterError(_refusal(_validation_fields(exc)))
        return _refused(console, criteria, error, save_name=filter_name)
    try:
        service.create_filter(session=console.db, actor=console.actor, data=data)
    except Problem as problem:
        if problem.status not in (403, 409, 422):
            raise
        console.db.rollback()
        error = FilterError(_refusal(_problem_fields(problem), problem.type_))
        return _refused(console, criteria, error, save_name=filter_name, status_code=problem.status)
    home_criteria = replace(criteria, city=data.city.strip().lower())
    return RedirectResponse(
        f"/console/participants?{home_criteria.query()}&filter=saved", status_code=303
    )


@router.post("/console/participants/filters/{filter_id}/rename")
def rename_filter(console: ConsoleDep, filter_id: uuid.UUID, filter_name: Text = "") -> Response:
    console.require_writer()
    try:
        data = SavedFilterUpdate(name=filter_name)
    except ValidationError:
        return _refused(console, Criteria(), FilterError(NAME_TEXT, filter_id))
    try:
        service.update_filter(
            session=console.db, actor=console.actor, filter_id=filter_id, data=data
        )
    except Problem as problem:
        if problem.status not in (409, 422):
            raise
        console.db.rollback()
        error = FilterError(_refusal(_problem_fields(problem), problem.type_), filter_id)
        return _refused(console, Criteria(), error, status_code=problem.status)
    return RedirectResponse("/console/participants?filter=renamed", status_code=303)


@router.post("/console/participants/filters/{filter_id}/delete")
def delete_filter(console: ConsoleDep, filter_id: uuid.UUID) -> Response:
    console.require_writer()
    service.delete_filter(session=console.db, actor=console.actor, filter_id=filter_id)
    return RedirectResponse("/console/participants?filter=deleted", status_code=303)
