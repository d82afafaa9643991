"""One event as its coordinator runs it: live counts against the mix band, the roster with each
person's answer and each channel's delivery, the event's delivery per channel, the waitlist in
order, why a seat stays open, and what can be done: withdraw, move up, message the confirmed
people, export, print a sign-in sheet.

Viewers read the counts and the mix only; every list of people and every action is refused to
them by the same `require_*` checks the API's dependencies make.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from birge_api.events.service import get_event
from birge_api.invitations import delivery, messaging, roster, seats, service
from birge_api.invitations.schemas import InvitationListItem, MessageEstimate
from birge_api.pagination import encode_cursor
from birge_api.problems import Problem
from birge_console import event_groups, event_labels, i18n
from birge_console.context import Console, ConsoleDep
from birge_console.rendering import SECURITY_HEADERS
from birge_console.routing import console_router
from birge_shared import survey_items
from birge_shared.models import Event, InvitationStatus

router = console_router()

#: How many invitations one read of the roster takes; pages follow until the end.
ROSTER_PAGE = 200
#: Every few seconds the counts fragment is fetched again while the page is open.
POLL_SECONDS = 5
#: The roster statuses the sign-in sheet lists: the people expected at the door.
EXPECTED = (InvitationStatus.ACCEPTED, InvitationStatus.ATTENDED)

DONE_MESSAGES = {
    "saved": i18n.N_("The event is saved."),
    "changed": i18n.N_(
        "The event is saved. Everyone invited hears of the change in one message a few minutes "
        "after the last edit, so several edits make one message."
    ),
    "withdrawn": i18n.N_("The invitation was withdrawn; its seat went to the waitlist."),
    "moved": i18n.N_("The person was invited from the waitlist."),
    "survey_items": i18n.N_("The event's survey items are saved."),
    "message": i18n.N_("Your message is on its way to the confirmed people."),
    "message_held": i18n.N_(
        "Your message would take the city past its daily SMS budget: it waits for an "
        "administrator's approval and is sent once approved."
    ),
}


def event_url(event_id: uuid.UUID, suffix: str = "") -> str:
    return f"/console/events/{event_id}{suffix}"


def full_roster(console: Console, event_id: uuid.UUID) -> list[InvitationListItem]:
    """Every invitation of the event, oldest first, read page by page."""
    items: list[InvitationListItem] = []
    cursor: str | None = None
    while True:
        page, more = service.list_invitations(
            session=console.db,
            actor=console.actor,
            event_id=event_id,
            statuses=[],
            limit=ROSTER_PAGE,
            cursor=cursor,
        )
        items.extend(page)
        if not more:
            return items
        cursor = encode_cursor(page[-1].created_at, page[-1].id)


def _counts_context(console: Console, event: Event) -> dict[str, Any]:
    counts = roster.counts(session=console.db, actor=console.actor, event_id=event.id)
    return {"event": event, "counts": counts, "poll_seconds": POLL_SECONDS, "labels": event_labels}


def _page(
    console: Console,
    event_id: uuid.UUID,
    *,
    status_code: int = 200,
    done: str | None = None,
    sent_batch: uuid.UUID | None = None,
    message_text: str = "",
    estimate: MessageEstimate | None = None,
    errors: list[str] | None = None,
) -> HTMLResponse:
    event = get_event(session=console.db, actor=console.actor, event_id=event_id)
    context = _counts_context(console, event)
    context.update(
        title=event_labels.event_title(event, console.language),
        done=DONE_MESSAGES.get(done or ""),
        errors=errors or [],
        message_text=message_text,
        estimate=estimate,
        message_key=uuid.uuid4().hex,
        people=None,
        sent_batch=None,
        survey_bank=survey_items.ATTITUDE_ITEMS,
        survey_chosen={item.code for item in survey_items.chosen(event.survey_items)},
    )
    if not console.is_viewer:
        items = full_roster(console, event.id)
        batch = None
        if sent_batch is not None:
            try:
                batch = service.get_batch(
                    session=console.db, actor=console.actor, event_id=event.id, batch_id=sent_batch
                )
            except Problem:
                console.db.rollback()
        context.update(
            people=[item for item in items if item.status is not InvitationStatus.WAITLISTED],
            waitlist=roster.waitlist(session=console.db, actor=console.actor, event_id=event.id),
            seats=seats.seats(
                session=console.db,
                actor=console.actor,
                event_id=event.id,
                settings=console.settings,
            ),
            batches=service.list_batches(
                session=console.db, actor=console.actor, event_id=event.id, status=None, limit=10
            ),
            sent_batch=batch,
            delivery=delivery.summary(console.db, event.id),
            summary_statuses=event_labels.SUMMARY_STATUS,
            confirmed=sum(1 for item in items if item.status is InvitationStatus.ACCEPTED),
            # The message reaches the confirmed who are not inside yet; say who it leaves out.
            checked_in=sum(1 for item in items if item.status is InvitationStatus.ATTENDED),
        )
        context.update(event_groups.section(console, event))
    return console.render("event.html", status_code=status_code, **context)


@router.get("/console/events/{event_id}", response_class=HTMLResponse)
def event_page(
    console: ConsoleDep,
    event_id: uuid.UUID,
    done: str | None = None,
    batch: uuid.UUID | None = None,
) -> HTMLResponse:
    return _page(console, event_id, done=done, sent_batch=batch)


@router.get("/console/events/{event_id}/counts", response_class=HTMLResponse)
def event_counts(console: ConsoleDep, event_id: uuid.UUID) -> HTMLResponse:
    """The live counts alone: what the page polls, and what every role may read."""
    event = get_event(session=console.db, actor=console.actor, event_id=event_id)
    return console.render("event_counts.html", **_counts_context(console, event))


def _roster_action(
    console: Console, event_id: uuid.UUID, action: Callable[[], object], done: str
) -> Response:
    """Run a withdraw or a move-up; a refusal (409) is the event page with the reason."""
    console.require_writer()
    try:
        action()
    except Problem as problem:
        if problem.status != 409:
            raise
        console.db.rollback()
        return _page(console, event_id, status_code=409, errors=[_conflict_text(console, problem)])
    return RedirectResponse(event_url(event_id, f"?done={done}"), status_code=303)


@router.post("/console/events/{event_id}/invitations/{invitation_id}/withdraw")
def withdraw(
    console: ConsoleDep,
    event_id: uuid.UUID,
    invitation_id: uuid.UUID,
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    return _roster_action(
        console,
        event_id,
        lambda: roster.withdraw(
            session=console.db,
            actor=console.actor,
            event_id=event_id,
            invitation_id=invitation_id,
            reason=" ".join(reason.split()) or None,
            settings=console.settings,
        ),
        "withdrawn",
    )


@router.post("/console/events/{event_id}/invitations/{invitation_id}/move-up")
def move_up(console: ConsoleDep, event_id: uuid.UUID, invitation_id: uuid.UUID) -> Response:
    return _roster_action(
        console,
        event_id,
        lambda: roster.move_up(
            session=console.db,
            actor=console.actor,
            event_id=event_id,
            invitation_id=invitation_id,
            settings=console.settings,
        ),
        "moved",
    )


def _in_language(console: Console, message: str) -> str:
    with i18n.using(console.language):
        return i18n._(message)


def _conflict_text(console: Console, problem: Problem) -> str:
    """Why a roster action was refused, in the reader's language."""
    with i18n.using(console.language):
        if problem.type_ == "event-not-open":
            return i18n._("The event has started or ended: its roster can no longer change.")
        if problem.type_ == "invitation-not-open":
            return i18n._("This invitation is already closed: it cannot be withdrawn.")
        return event_labels.reason_text(problem.detail) or problem.title


def _estimate(console: Console, event_id: uuid.UUID, text: str) -> MessageEstimate:
    return messaging.estimate(
        session=console.db,
        actor=console.actor,
        settings=console.settings,
        event_id=event_id,
        text=text,
    )


@router.post("/console/events/{event_id}/message/estimate", response_class=HTMLResponse)
def message_estimate(
    console: ConsoleDep,
    event_id: uuid.UUID,
    text: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    """Segments and price as typed (htmx), or the whole page with them (no JavaScript)."""
    console.require_writer()
    estimate = _estimate(console, event_id, text)
    if console.is_htmx():
        return console.render("event_message_cost.html", estimate=estimate, limit=480)
    return _page(console, event_id, message_text=text, estimate=estimate)


@router.post("/console/events/{event_id}/message", response_class=HTMLResponse)
def message_confirmed(
    console: ConsoleDep,
    event_id: uuid.UUID,
    text: Annotated[str, Form(max_length=2000)] = "",
    key: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    console.require_writer()
    try:
        if len(text) > 480:
            raise Problem(
                status=422,
                type_="validation-error",
                title="The message is too long",
                detail=_in_language(console, "At most 480 characters."),
            )
        sent = messaging.message_confirmed(
            session=console.db,
            actor=console.actor,
            settings=console.settings,
            event_id=event_id,
            text=text,
            idempotency_key=key or None,
        )
    except Problem as problem:
        if problem.status not in (409, 422):
            raise
        console.db.rollback()
        errors = {
            "nobody-confirmed": i18n.N_("Nobody confirmed can be written to."),
            "too-long-for-operator": i18n.N_(
                "Some people's operator does not join SMS parts, and the message does not fit "
                "one segment for them even in Latin letters; nothing was sent. Please shorten it."
            ),
            "asks-for-reply": i18n.N_(
                "Replies by SMS cannot reach Birge, so the message must not ask for one; "
                "nothing was sent."
            ),
        }
        if problem.type_ in errors:
            message = _in_language(console, errors[problem.type_])
        elif problem.status == 422 and problem.errors:
            message = _in_language(console, i18n.N_("Write a message first."))
        else:
            message = problem.detail or problem.title
        return _page(
            console,
            event_id,
            status_code=problem.status,
            errors=[message],
            message_text=text,
            estimate=_estimate(console, event_id, text),
        )
    done = "message_held" if sent.held else "message"
    return RedirectResponse(event_url(event_id, f"?done={done}"), status_code=303)


def _csv_row(item: InvitationListItem) -> list[str]:
    delivery = item.delivery
    return [
        item.name or "",
        item.phone_masked or "",
        event_labels.community_label(item.community),
        item.language.value,
        event_labels.status_label(item.status),
        event_labels.delivery_label(delivery.status) if delivery else "",
        (delivery.reason or "") if delivery else "",
    ]


@router.get("/console/events/{event_id}/roster.csv")
def roster_csv(console: ConsoleDep, event_id: uuid.UUID) -> Response:
    """The roster for a spreadsheet: UTF-8 with a BOM, so Excel reads Cyrillic names right."""
    console.require_participant_reader()
    event = get_event(session=console.db, actor=console.actor, event_id=event_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    with i18n.using(console.language):
        writer.writerow(
            [
                i18n._("Name"),
                i18n._("Phone"),
                i18n._("Community"),
                i18n._("Language"),
                i18n._("Invitation"),
                i18n._("SMS"),
                i18n._("Reason"),
            ]
        )
        for item in full_roster(console, event.id):
            writer.writerow(_csv_row(item))
    return Response(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            **SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="roster-{event.id}.csv"',
        },
    )


@router.get("/console/events/{event_id}/sign-in-sheet", response_class=HTMLResponse)
def sign_in_sheet(console: ConsoleDep, event_id: uuid.UUID) -> HTMLResponse:
    """A page to print for the door: the confirmed people by name, with room to sign."""
    console.require_participant_reader()
    event = get_event(session=console.db, actor=console.actor, event_id=event_id)
    expected = sorted(
        (item for item in full_roster(console, event.id) if item.status in EXPECTED),
        key=lambda item: (item.name or "").casefold(),
    )
    return console.render(
        "event_sign_in_sheet.html",
        event=event,
        title=event_labels.event_title(event, console.language),
        people=expected,
        labels=event_labels,
        blank_rows=5,
    )
