"""The participants' table, its search and bulk actions, and each person's page.

The search is a POST: a name or a number typed into it never becomes part of a URL, so it
stays out of browser history, Referer headers, access logs and sign-in redirects. Filters
without a search term also work as a plain GET, so a filtered list can be linked to.
Every rule (who may see whom, how a name is matched, what erasure removes) is the API's
service functions'; this module only turns forms into their arguments.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from birge_api.cities import visible_cities
from birge_api.events.service import EventFilter, list_events
from birge_api.pagination import encode_cursor
from birge_api.participants import channels as api_channels
from birge_api.participants import export, history, service
from birge_api.participants.schemas import participant_list_item, participant_read
from birge_api.problems import Problem
from birge_console import buddies, event_groups, event_labels
from birge_console.context import Console, ConsoleDep
from birge_console.i18n import N_
from birge_console.participant_channels import section_context
from birge_console.participant_criteria import (
    COMMUNITY_NAMES,
    INVITED_CHOICES,
    OPTED_OUT_CHOICES,
    SEARCH_ERRORS,
    Criteria,
    FilterError,
    invited_label,
    saved_links,
)
from birge_console.routing import console_router, error_page
from birge_shared.models import (
    City,
    Community,
    ConsentMethod,
    EventStatus,
    InvitationStatus,
    Message,
    MessageChannel,
    MessageDirection,
    MessageStatus,
    utcnow,
)
from birge_shared.outbound.choice import CHOOSABLE

router = console_router()

PAGE_SIZE = 50
# A bulk action names its people in the URL of the invite wizard; keep that URL short.
MAX_CHOSEN = 200
UPCOMING_EVENTS = 50

INVITATION_STATUS_NAMES = {
    InvitationStatus.PLANNED: N_("Planned"),
    InvitationStatus.SENT: N_("Invited"),
    InvitationStatus.ACCEPTED: N_("Confirmed"),
    InvitationStatus.DECLINED: N_("Declined"),
    InvitationStatus.WAITLISTED: N_("Waitlisted"),
    InvitationStatus.EXPIRED: N_("Expired"),
    InvitationStatus.FAILED: N_("Failed"),
    InvitationStatus.WITHDRAWN: N_("Withdrawn"),
    InvitationStatus.ATTENDED: N_("Attended"),
    InvitationStatus.NO_SHOW: N_("Did not come"),
}
MESSAGE_STATUS_NAMES = {
    MessageStatus.PLANNED: N_("Planned"),
    MessageStatus.SENDING: N_("Sending"),
    MessageStatus.QUEUED: N_("Queued"),
    MessageStatus.SENT: N_("Sent"),
    MessageStatus.DELIVERED: N_("Delivered"),
    MessageStatus.READ: N_("Read"),
    MessageStatus.UNDELIVERED: N_("Not delivered"),
    MessageStatus.FAILED: N_("Failed"),
    MessageStatus.READ: N_("Read"),
    MessageStatus.RECEIVED: N_("Received"),
    MessageStatus.SKIPPED: N_("Not needed"),
}
CONSENT_METHOD_NAMES = {
    ConsentMethod.PAPER_FORM: N_("Paper form"),
    ConsentMethod.WEB_FORM: N_("Web form"),
    ConsentMethod.VERBAL: N_("Spoken"),
    ConsentMethod.SMS: N_("SMS"),
}


def list_page(
    console: Console,
    criteria: Criteria,
    cursor: str | None,
    *,
    save_name: str = "",
    filter_error: FilterError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The list; a refused save or rename shows its reason beside the form it came from."""
    console.require_participant_reader()
    search_error: str | None = None
    try:
        participants, more = service.list_participants(
            session=console.db,
            actor=console.actor,
            filters=criteria.filters(),
            limit=PAGE_SIZE,
            cursor=cursor or None,
        )
    except Problem as problem:
        fields = {str(error.get("field")) for error in problem.errors or []}
        if problem.status != 422 or not fields & set(SEARCH_ERRORS):
            raise
        console.db.rollback()
        search_error = SEARCH_ERRORS["phone" if "phone" in fields else "name"]
        participants, more = [], False
    # Only the rows on this page are decrypted.
    rows = [participant_list_item(participant) for participant in participants]
    invited = history.last_invited(
        session=console.db, participant_ids=[participant.id for participant in participants]
    )
    last = participants[-1] if participants else None
    cities = visible_cities(session=console.db, actor=console.actor)
    links = saved_links(console.db, console.actor)
    shown = None if criteria.has_search else criteria.query()
    context: dict[str, Any] = {
        "criteria": criteria,
        "rows": rows,
        "last_invited": invited,
        "next_cursor": encode_cursor(last.created_at, last.id) if more and last else None,
        "first_page": not cursor,
        "cities": cities,
        "zones": {city.code: city.timezone for city in cities},
        "community_names": COMMUNITY_NAMES,
        "communities": list(Community),
        "invited_choices": INVITED_CHOICES,
        "opted_out_choices": OPTED_OUT_CHOICES,
        "erased": _count_param(console.request, "erased"),
        "search_error": search_error,
        "saved_filters": links,
        # The saved filter now shown, if any: marked in the list, and not offered for saving.
        "applied": next((link.id for link in links if link.query == shown), None),
        "city_names": {city.code: city.name for city in cities},
        "invited_label": invited_label,
        "save_name": save_name,
        "filter_error": filter_error,
        "filter_notice": FILTER_NOTICES.get(console.request.query_params.get("filter", "")),
    }
    if console.is_htmx():
        # 200 even for a bad search term, so htmx swaps the explanation in.
        return console.render("participants/_results.html", **context)
    status = 422 if search_error else status_code
    return console.render("participants/list.html", status_code=status, **context)


#: What a redirect after saving, renaming or deleting a filter says (`?filter=saved`).
FILTER_NOTICES = {
    "saved": N_("The filter is saved."),
    "renamed": N_("The filter is renamed."),
    "deleted": N_("The filter is deleted."),
}


def _count_param(request: Request, key: str) -> int | None:
    """A count a redirect carries back to report what was done (`?erased=3`)."""
    value = request.query_params.get(key, "")
    return int(value) if value.isdigit() and len(value) < 7 else None


@router.get("/console/participants", response_class=HTMLResponse)
def participants_page(
    console: ConsoleDep,
    city: Annotated[str, Query(max_length=40)] = "",
    language: Annotated[str, Query(max_length=10)] = "",
    community: Annotated[str, Query(max_length=20)] = "",
    opted_out: Annotated[str, Query(max_length=5)] = "",
    invited: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    criteria = Criteria(
        city=city, language=language, community=community, opted_out=opted_out, invited=invited
    )
    return list_page(console, criteria, cursor)


@router.post("/console/participants", response_class=HTMLResponse)
def participants_search(
    console: ConsoleDep,
    name: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    city: Annotated[str, Form(max_length=40)] = "",
    language: Annotated[str, Form(max_length=10)] = "",
    community: Annotated[str, Form(max_length=20)] = "",
    opted_out: Annotated[str, Form(max_length=5)] = "",
    invited: Annotated[str, Form(max_length=10)] = "",
    cursor: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    criteria = Criteria(
        name=name,
        phone=phone,
        city=city,
        language=language,
        community=community,
        opted_out=opted_out,
        invited=invited,
    )
    return list_page(console, criteria, cursor)


def _chosen(request: Request, values: list[uuid.UUID]) -> list[uuid.UUID] | Response:
    if not values:
        return error_page(
            request,
            status=422,
            heading=N_("Choose at least one person"),
            detail=None,
            errors=[],
        )
    if len(values) > MAX_CHOSEN:
        return error_page(
            request,
            status=422,
            heading=N_("Choose at most 200 people at a time"),
            detail=None,
            errors=[],
        )
    return list(dict.fromkeys(values))


@router.post("/console/participants/bulk")
def bulk_action(
    console: ConsoleDep,
    action: Annotated[str, Form(max_length=20)],
    participant: Annotated[list[uuid.UUID], Form()] = [],  # noqa: B006 - FastAPI copies it
) -> Response:
    console.require_participant_reader()
    chosen = _chosen(console.request, participant)
    if isinstance(chosen, Response):
        return chosen
    if action == "export":
        content = export.export_csv(session=console.db, actor=console.actor, participant_ids=chosen)
        return Response(
            content,
            media_type=export.CSV_MEDIA_TYPE,
            headers={"Content-Disposition": 'attachment; filename="participants.csv"'},
        )
    people = history.participants_by_ids(
        session=console.db, actor=console.actor, participant_ids=chosen
    )
    if action == "invite":
        query = urlencode([("participant", str(person.id)) for person in people])
        return RedirectResponse(f"/console/participants/invite?{query}", status_code=303)
    if action == "erase":
        return console.render(
            "participants/erase.html",
            people=[participant_list_item(person) for person in people],
        )
    return error_page(
        console.request, status=422, heading=N_("Unknown action"), detail=None, errors=[]
    )


@router.get("/console/participants/invite", response_class=HTMLResponse)
def choose_event(
    console: ConsoleDep,
    participant: Annotated[list[uuid.UUID], Query(max_length=MAX_CHOSEN)] = [],  # noqa: B006
) -> Response:
    console.require_writer()
    chosen = _chosen(console.request, participant)
    if isinstance(chosen, Response):
        return chosen
    people = history.participants_by_ids(
        session=console.db, actor=console.actor, participant_ids=chosen
    )
    cities = {person.city_code for person in people}
    events, _more = list_events(
        session=console.db,
        actor=console.actor,
        filters=EventFilter(status=EventStatus.SCHEDULED, starts_from=utcnow()),
        limit=UPCOMING_EVENTS,
        cursor=None,
    )
    query = urlencode([("participant", str(person.id)) for person in people])
    return console.render(
        "participants/invite.html",
        count=len(people),
        events=[event for event in events if event.city_code in cities],
        query=query,
    )


@router.post("/console/participants/erase")
def erase(
    console: ConsoleDep,
    participant: Annotated[list[uuid.UUID], Form()] = [],  # noqa: B006
    confirm: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    console.require_writer()
    chosen = _chosen(console.request, participant)
    if isinstance(chosen, Response):
        return chosen
    if confirm != "yes":
        people = history.participants_by_ids(
            session=console.db, actor=console.actor, participant_ids=chosen
        )
        return console.render(
            "participants/erase.html",
            status_code=422,
            people=[participant_list_item(person) for person in people],
            unconfirmed=True,
        )
    # All or none: one refusal (another city's person) rolls every erasure back.
    for participant_id in chosen:
        service.erase_participant(
            session=console.db,
            actor=console.actor,
            participant_id=participant_id,
            over_invite=console.settings.over_invite_factor,
        )
    return RedirectResponse(f"/console/participants?erased={len(chosen)}", status_code=303)


def per_channel(messages: Sequence[Message]) -> list[tuple[MessageChannel, int]]:
    """How many of the person's messages went or came on each channel, in the shown order."""
    counts = Counter(message.channel for message in messages)
    return [(channel, counts[channel]) for channel in CHOOSABLE if counts[channel]]


def _person_page(
    console: ConsoleDep, participant_id: uuid.UUID, shown: dict[uuid.UUID, str | None]
) -> HTMLResponse:
    record = history.participant_history(
        session=console.db, actor=console.actor, participant_id=participant_id
    )
    attended = [invitation for invitation in record.invitations if invitation.checked_in_at]
    city = console.db.get(City, record.participant.city_code)
    assert city is not None  # a participant's city is a foreign key
    return console.render(
        "participants/person.html",
        person=participant_read(record.participant),
        city=record.participant.city_code,
        invitations=record.invitations,
        attended=attended,
        event_groups=event_groups.person_groups(console, record.participant.id),
        **buddies.person_section(console, record.participant),
        messages=record.messages,
        messages_per_channel=per_channel(record.messages),
        message_channels={message.id: message.channel for message in record.messages},
        labels=event_labels,
        shown=shown,
        community_names=COMMUNITY_NAMES,
        invitation_status_names=INVITATION_STATUS_NAMES,
        message_status_names=MESSAGE_STATUS_NAMES,
        consent_method_names=CONSENT_METHOD_NAMES,
        inbound=MessageDirection.INBOUND,
        city_name=city.name,
        zone=city.timezone,
        **section_context(
            api_channels.read_channels(
                session=console.db, actor=console.actor, participant_id=participant_id
            )
        ),
    )


@router.get("/console/participants/{participant_id}", response_class=HTMLResponse)
def person_page(console: ConsoleDep, participant_id: uuid.UUID) -> HTMLResponse:
    console.require_participant_reader()
    return _person_page(console, participant_id, {})


@router.post(
    "/console/participants/{participant_id}/messages/{message_id}/show",
    response_class=HTMLResponse,
)
def show_message(
    console: ConsoleDep, participant_id: uuid.UUID, message_id: uuid.UUID
) -> HTMLResponse:
    """The text of one message: read through the API's audited call, then shown."""
    console.require_participant_reader()
    body = history.read_message_body(
        session=console.db,
        actor=console.actor,
        participant_id=participant_id,
        message_id=message_id,
    )
    if console.is_htmx():
        return console.render("participants/_message_body.html", body=body, message_id=message_id)
    return _person_page(console, participant_id, {message_id: body})
