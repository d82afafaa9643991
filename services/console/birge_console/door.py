"""Check-in at the door, on a phone: choose the event, find a person as you type, tap them in.

Every tap is one small POST. With htmx it answers with the one changed row and the counts
(swapped out of band); without JavaScript it redirects back to the door (303). The search is a
POST too, so a typed name is never in a URL, a browser's history or an access log line.
Rules stay in the API's service functions: marking (`mark_attendance`), walk-ins
(`add_walk_in`), the roster search and the counts (`attendance.door`).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from birge_api.attendance import door
from birge_api.attendance.schemas import AttendanceUpdate
from birge_api.attendance.service import mark_attendance
from birge_api.attendance.walk_ins import WalkInCreate, add_walk_in
from birge_api.events.service import EventFilter, get_event, list_events
from birge_api.problems import Problem
from birge_console.context import Console, ConsoleDep
from birge_console.i18n import N_
from birge_console.participant_criteria import COMMUNITY_NAMES, search_term
from birge_console.routing import console_router
from birge_shared.models import (
    Community,
    ConsentMethod,
    Event,
    EventStatus,
    InvitationStatus,
    Language,
    utcnow,
)

router = console_router()

#: Events shown to choose from: those that began up to this long ago (still going on) …
STILL_ON = timedelta(hours=12)
#: … and those starting within the next days.
DAYS_AHEAD = timedelta(days=7)
EVENTS_SHOWN = 50

#: What a refused tap means, in the reader's words; the API's problem type is the key.
PROBLEM_TEXTS = {
    "event-not-started": N_("Check-in opens 30 minutes before the start."),
    "event-cancelled": N_("This event was cancelled."),
    "not-accepted": N_("This person has no accepted invitation; register them as a walk-in."),
    "walk-in-not-unmarked": N_(
        "What this walk-in's invitation was before is not known: correct it on the event page."
    ),
    "invited-not-walk-in": N_("This person is on the list: check them in there."),
    "duplicate-phone": N_("Someone is already registered with this number: use their phone."),
}

#: The consent methods a door can record: signed on paper, or said aloud.
DOOR_CONSENT = (ConsentMethod.PAPER_FORM, ConsentMethod.VERBAL)

ParticipantId = Annotated[uuid.UUID, Form()]

STATUS_NAMES = {
    InvitationStatus.PLANNED: N_("Not sent yet"),
    InvitationStatus.SENT: N_("Not answered"),
    InvitationStatus.ACCEPTED: N_("Coming"),
    InvitationStatus.DECLINED: N_("Declined"),
    InvitationStatus.WAITLISTED: N_("Waiting list"),
    InvitationStatus.EXPIRED: N_("Did not answer in time"),
    InvitationStatus.FAILED: N_("Not delivered"),
    InvitationStatus.WITHDRAWN: N_("Withdrawn"),
    InvitationStatus.ATTENDED: N_("Inside"),
    InvitationStatus.NO_SHOW: N_("Marked absent"),
}
CONSENT_NAMES = {
    ConsentMethod.PAPER_FORM: N_("Signed a paper form"),
    ConsentMethod.VERBAL: N_("Agreed aloud"),
}
#: What the door's templates need to name things.
LABELS: dict[str, Any] = {
    "community_names": COMMUNITY_NAMES,
    "status_names": STATUS_NAMES,
    "consent_names": CONSENT_NAMES,
    "statuses": InvitationStatus,
}


def _door_url(event: Event | uuid.UUID) -> str:
    event_id = event.id if isinstance(event, Event) else event
    return f"/console/events/{event_id}/door"


def problem_text(problem: Problem) -> str:
    return PROBLEM_TEXTS.get(problem.type_, problem.title)


@router.get("/console/check-in", response_class=HTMLResponse)
def choose_event(console: ConsoleDep) -> HTMLResponse:
    console.require_participant_reader()
    now = utcnow()
    events, _more = list_events(
        session=console.db,
        actor=console.actor,
        filters=EventFilter(
            status=EventStatus.SCHEDULED, starts_from=now - STILL_ON, starts_to=now + DAYS_AHEAD
        ),
        limit=EVENTS_SHOWN,
        cursor=None,
    )
    return console.render("door/choose.html", events=[e for e in events if e.ends_at > now])


def _walk_in_form(values: dict[str, str] | None = None) -> dict[str, str]:
    return {
        "name": "",
        "phone": "",
        "language": "",
        "community": "",
        "consent_method": "",
        "consent_version": "",
        "known_phone": "",
        **(values or {}),
    }


def _door_page(
    console: Console,
    event: Event,
    *,
    query: str = "",
    rows: list[door.DoorRow] | None = None,
    alert: str | None = None,
    saved: str | None = None,
    walk_in: dict[str, str] | None = None,
    walk_in_errors: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    if rows is None:
        rows = door.search_roster(
            session=console.db,
            actor=console.actor,
            event_id=event.id,
            data=door.RosterSearch(query=query),
        )
    return console.render(
        "door/door.html",
        status_code=status_code,
        event=event,
        query=query,
        rows=rows,
        counts=door.door_counts(session=console.db, actor=console.actor, event_id=event.id),
        alert=alert,
        saved=saved,
        walk_in=_walk_in_form(walk_in),
        walk_in_errors=walk_in_errors or [],
        communities=list(Community),
        languages=list(Language),
        consent_methods=DOOR_CONSENT,
        **LABELS,
    )


@router.get("/console/events/{event_id}/door", response_class=HTMLResponse)
def door_page(console: ConsoleDep, event_id: uuid.UUID, saved: str | None = None) -> HTMLResponse:
    console.require_participant_reader()
    event = get_event(session=console.db, actor=console.actor, event_id=event_id)
    return _door_page(console, event, saved=saved)


@router.get("/console/events/{event_id}/door/counts", response_class=HTMLResponse)
def counts(console: ConsoleDep, event_id: uuid.UUID) -> HTMLResponse:
    """The counts alone, polled by the door page: a second phone at the door sees the first's
    check-ins within the polling interval."""
    console.require_participant_reader()
    event = get_event(session=console.db, actor=console.actor, event_id=event_id)
    return console.render(
        "door/counts.html",
        event=event,
        counts=door.door_counts(session=console.db, actor=console.actor, event_id=event.id),
        **LABELS,
    )


@router.post("/console/events/{event_id}/door/search", response_class=HTMLResponse)
def search(
    console: ConsoleDep, event_id: uuid.UUID, q: Annotated[str, Form(max_length=100)] = ""
) -> HTMLResponse:
    console.require_participant_reader()
    event = get_event(session=console.db, actor=console.actor, event_id=event_id)
    # Read like the participants list's name search: a pasted line break searches nothing.
    data = door.RosterSearch(query=search_term(q))
    rows = door.search_roster(session=console.db, actor=console.actor, event_id=event.id, data=data)
    if console.is_htmx():
        return console.render("door/results.html", event=event, rows=rows, **LABELS)
    return _door_page(console, event, query=data.query, rows=rows)


def _tap(console: Console, event_id: uuid.UUID, participant_id: uuid.UUID, mark: str) -> Response:
    console.require_writer()
    event = get_event(session=console.db, actor=console.actor, event_id=event_id)
    try:
        mark_attendance(
            session=console.db,
            actor=console.actor,
            event_id=event.id,
            data=AttendanceUpdate.model_validate({mark: [participant_id]}),
        )
    except Problem as problem:
        console.db.rollback()
        return _refused(console, event, problem)
    return _tapped(console, event, participant_id)


def _tapped(console: Console, event: Event, participant_id: uuid.UUID) -> Response:
    if not console.is_htmx():
        return RedirectResponse(_door_url(event), status_code=303)
    row = door.find_row(
        session=console.db, actor=console.actor, event_id=event.id, participant_id=participant_id
    )
    return console.render(
        "door/tapped.html",
        event=event,
        row=row,
        counts=door.door_counts(session=console.db, actor=console.actor, event_id=event.id),
        **LABELS,
    )


def _refused(console: Console, event: Event, problem: Problem) -> Response:
    text = problem_text(problem)
    if console.is_htmx():
        # The row stays as it was; only the alert region changes.
        return console.render(
            "door/alert.html", alert=text, oob=True, headers={"HX-Reswap": "none"}
        )
    return _door_page(console, event, alert=text, status_code=problem.status)


@router.post("/console/events/{event_id}/door/check-in")
def check_in(console: ConsoleDep, event_id: uuid.UUID, participant_id: ParticipantId) -> Response:
    return _tap(console, event_id, participant_id, "attended")


@router.post("/console/events/{event_id}/door/undo")
def undo(console: ConsoleDep, event_id: uuid.UUID, participant_id: ParticipantId) -> Response:
    return _tap(console, event_id, participant_id, "unmarked")


@router.post("/console/events/{event_id}/door/walk-in")
def walk_in(
    console: ConsoleDep,
    event_id: uuid.UUID,
    participant_id: Annotated[uuid.UUID | None, Form()] = None,
    known_phone: Annotated[str, Form(max_length=40)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    language: Annotated[str, Form(max_length=2)] = "",
    community: Annotated[str, Form(max_length=20)] = "",
    consent_method: Annotated[str, Form(max_length=20)] = "",
    consent_version: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """A walk-in: someone on the roster whose invitation ended, a registered person found by
    phone, or a new person registered here with their consent."""
    console.require_writer()
    event = get_event(session=console.db, actor=console.actor, event_id=event_id)
    values = {
        "known_phone": known_phone,
        "name": name,
        "phone": phone,
        "language": language,
        "community": community,
        "consent_method": consent_method,
        "consent_version": consent_version,
    }
    body: dict[str, object]
    if participant_id is not None:
        body = {"participant_id": participant_id}
    elif known_phone.strip():
        body = {"phone": known_phone}
    else:
        body = {
            "participant": {
                "name": name,
                "phone": phone,
                "language": language,
                "city": event.city_code,
                "community": community or None,
                "consent": {
                    "method": consent_method,
                    "text_version": consent_version,
                    "given_at": utcnow(),
                },
            }
        }
    try:
        data = WalkInCreate.model_validate(body)
    except ValidationError as exc:
        return _walk_in_refused(console, event, values, _field_errors(exc))
    try:
        created = add_walk_in(session=console.db, actor=console.actor, event_id=event.id, data=data)
    except Problem as problem:
        console.db.rollback()
        return _walk_in_refused(console, event, values, [problem_text(problem)], problem.status)
    if participant_id is not None and console.is_htmx():
        return _tapped(console, event, created.participant_id)
    return RedirectResponse(_door_url(event) + "?saved=walk-in", status_code=303)


#: Field names of the walk-in model, in the words of the form's labels.
FIELD_LABELS: dict[str, Any] = {
    "name": N_("Name"),
    "phone": N_("Phone"),
    "language": N_("Language"),
    "community": N_("Community"),
    "method": N_("Consent"),
    "text_version": N_("Consent form version"),
}


def _field_errors(exc: ValidationError) -> list[str]:
    """The labels of the wrong fields, never the values typed (a name or a number)."""
    labels: list[str] = []
    for error in exc.errors(include_input=False, include_url=False):
        names = [str(part) for part in error["loc"] if str(part) in FIELD_LABELS]
        label = FIELD_LABELS[names[-1]] if names else N_("Who came")
        if label not in labels:
            labels.append(label)
    return labels


def _walk_in_refused(
    console: Console,
    event: Event,
    values: dict[str, str],
    errors: list[str],
    status_code: int = 422,
) -> HTMLResponse:
    if console.is_htmx():
        return console.render(
            "door/alert.html",
            alert=errors[0] if errors else "",
            oob=True,
            headers={"HX-Reswap": "none"},
        )
    return _door_page(
        console,
        event,
        walk_in=values,
        walk_in_errors=errors,
        status_code=status_code,
    )
