"""The invite wizard: choose a pool and the channels, read the balanced proposal and why anyone
is left out, adjust it, see each language's SMS with its segments and price, then send once.

The proposal is the API's preview (`service.preview`) and the send its `create_batch`, so the
wizard invites by exactly the API's rules. Choosing and previewing are GET forms (they change
nothing and survive a reload); the send is a POST carrying an Idempotency-Key made when the
proposal page was rendered, so a double-click or a resent form makes one batch.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from birge_api.events.service import get_event
from birge_api.invitations import roster, service
from birge_api.invitations.schemas import Criteria, InvitationRequest
from birge_api.pagination import MAX_LIMIT
from birge_api.participant_filters import service as filters
from birge_api.problems import Problem, invalid
from birge_console import event_labels, i18n
from birge_console.context import Console, ConsoleDep
from birge_console.i18n import N_
from birge_console.routing import console_router
from birge_shared.models import Community, Event, Language, MessageChannel, SavedFilter
from birge_shared.outbound.choice import CHOOSABLE, ChannelChoiceInvalidError, checked_choice
from birge_shared.sms.operators import brands

router = console_router()

#: The "not declared" choice of the community filter (`null` in the API's criteria).
UNDECLARED = "none"
#: Whom to consider: criteria chosen here, a saved participant filter, or people picked.
MODES = ("criteria", "filter", "people")
#: A saved filter the proposal cannot use, in the reader's words (keyed by problem type).
FILTER_PROBLEMS = {
    "filter-opted-out": N_("This filter chooses people who opted out, and they are never invited."),
    "filter-other-city": N_("This filter belongs to another city than the event."),
}

Ids = Annotated[list[uuid.UUID], Query(alias="participant")]
Texts = Annotated[list[str], Query()]


def _pool_page(
    console: Console,
    event: Event,
    *,
    participant_ids: list[uuid.UUID],
    mode: str,
    languages: list[str],
    communities: list[str],
    not_invited_within_days: str,
    max_people: str,
    saved_filter: str = "",
    channels: list[str] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    picked = roster.people(
        session=console.db, actor=console.actor, event_id=event.id, participant_ids=participant_ids
    )
    saved, _more = filters.list_filters(
        session=console.db,
        actor=console.actor,
        city=event.city_code,
        limit=MAX_LIMIT,
        cursor=None,
    )
    return console.render(
        "invite_pool.html",
        status_code=status_code,
        event=event,
        title=event_labels.event_title(event, console.language),
        picked=[picked[i] for i in participant_ids if i in picked],
        mode=mode if mode in MODES else ("people" if picked else "criteria"),
        saved_filters=sorted(saved, key=lambda row: row.name.casefold()),
        saved_filter=saved_filter,
        languages=languages,
        communities=communities,
        not_invited_within_days=not_invited_within_days,
        max_people=max_people,
        errors=errors or [],
        labels=event_labels,
        undeclared=UNDECLARED,
        channel_choices=CHOOSABLE,
        # Every channel is ticked until the coordinator unticks some.
        channels=[choice.value for choice in CHOOSABLE] if channels is None else channels,
    )


def _saved_filter(console: Console, value: str) -> SavedFilter | None:
    """The chosen filter: none when nothing (or no id) was chosen, a 404 for another city's."""
    try:
        filter_id = uuid.UUID(value)
    except ValueError:
        return None
    return filters.get_filter(session=console.db, actor=console.actor, filter_id=filter_id)


def chosen_channels(channel: list[str], chosen: str) -> list[MessageChannel] | None:
    """The channels ticked in the wizard; None (every channel) when the choice was not shown
    or everything is ticked. Bad input is the API's 422 problem, in the reader's words."""
    if not chosen or set(channel) == {choice.value for choice in CHOOSABLE}:
        return None
    try:
        return checked_choice(channel)
    except ChannelChoiceInvalidError:
        known = {choice.value for choice in CHOOSABLE}
        if any(name not in known for name in channel):
            raise invalid("channels", i18n._("Unknown channel.")) from None
        raise invalid(
            "channels", i18n._("Choose at least one of WhatsApp, Telegram or SMS.")
        ) from None


def _number(value: str, field: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise invalid(field, i18n._("Enter a whole number."))
    return int(value)


def build_request(
    *,
    mode: str,
    participant_ids: list[uuid.UUID],
    languages: list[str],
    communities: list[str],
    not_invited_within_days: str,
    max_people: str,
    saved: SavedFilter | None = None,
    event: Event | None = None,
    channels: list[MessageChannel] | None = None,
) -> InvitationRequest:
    """The API's request from the wizard's first step; bad input is the API's 422 problem.

    A saved filter becomes criteria through the same conversion the API offers, so the
    proposal from a filter is the proposal from the same choices made by hand.
    """
    try:
        if mode == "filter":
            if saved is None or event is None:
                raise invalid("saved_filter", i18n._("Choose a saved filter."))
            return InvitationRequest(
                criteria=filters.invitation_criteria(
                    saved, event=event, max_people=_number(max_people, "max")
                ),
                channels=channels,
            )
        if mode == "people":
            if not participant_ids:
                raise invalid("participant_ids", i18n._("Choose at least one person."))
            return InvitationRequest(
                participant_ids=list(dict.fromkeys(participant_ids)), channels=channels
            )
        known_languages = {language.value for language in Language}
        known_communities = {community.value for community in Community} | {UNDECLARED}
        if any(code not in known_languages for code in languages) or any(
            code not in known_communities for code in communities
        ):
            raise invalid("criteria", i18n._("Unknown language or community."))
        return InvitationRequest(
            criteria=Criteria(
                languages=[Language(code) for code in languages] or None,
                communities=[
                    None if code == UNDECLARED else Community(code) for code in communities
                ]
                or None,
                not_invited_within_days=_number(not_invited_within_days, "not_invited_within_days"),
                max=_number(max_people, "max"),
            ),
            channels=channels,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "criteria"
        raise invalid(field, str(first["msg"])) from None


@router.get("/console/events/{event_id}/invite", response_class=HTMLResponse)
def choose_pool(
    console: ConsoleDep,
    event_id: uuid.UUID,
    participant: Ids = [],  # noqa: B006 - FastAPI copies a query default per request
    mode: str = "",
) -> HTMLResponse:
    console.require_writer()
    event = get_event(session=console.db, actor=console.actor, event_id=event_id)
    return _pool_page(
        console,
        event,
        participant_ids=participant,
        mode=mode,
        languages=[],
        communities=[],
        not_invited_within_days="",
        max_people="",
    )


@router.get("/console/events/{event_id}/invite/proposal", response_class=HTMLResponse)
def proposal(
    console: ConsoleDep,
    event_id: uuid.UUID,
    participant: Ids = [],  # noqa: B006 - FastAPI copies a query default per request
    mode: str = "criteria",
    language: Texts = [],  # noqa: B006
    community: Texts = [],  # noqa: B006
    not_invited_within_days: Annotated[str, Query(max_length=10)] = "",
    max: Annotated[str, Query(max_length=10)] = "",
    saved_filter: Annotated[str, Query(max_length=40)] = "",
    channel: Texts = [],  # noqa: B006
    channels_chosen: Annotated[str, Query(max_length=1)] = "",
) -> HTMLResponse:
    return _proposal(
        console,
        event_id,
        participant_ids=participant,
        mode=mode,
        languages=language,
        communities=community,
        not_invited_within_days=not_invited_within_days,
        max_people=max,
        saved_filter=saved_filter,
        channel=channel,
        channels_chosen=channels_chosen,
    )


@router.post("/console/events/{event_id}/invite/proposal", response_class=HTMLResponse)
def recalculate(
    console: ConsoleDep,
    event_id: uuid.UUID,
    participant: Annotated[list[uuid.UUID], Form()] = [],  # noqa: B006
    channel: Annotated[list[str], Form()] = [],  # noqa: B006
    channels_chosen: Annotated[str, Form(max_length=1)] = "",
) -> HTMLResponse:
    """The proposal again over the people left checked; posted so no token lands in a URL."""
    return _proposal(
        console,
        event_id,
        participant_ids=participant,
        mode="people",
        languages=[],
        communities=[],
        not_invited_within_days="",
        max_people="",
        channel=channel,
        channels_chosen=channels_chosen,
    )


def _proposal(
    console: Console,
    event_id: uuid.UUID,
    *,
    participant_ids: list[uuid.UUID],
    mode: str,
    languages: list[str],
    communities: list[str],
    not_invited_within_days: str,
    max_people: str,
    saved_filter: str = "",
    channel: list[str] | None = None,
    channels_chosen: str = "",
) -> HTMLResponse:
    console.require_writer()
    event = get_event(session=console.db, actor=console.actor, event_id=event_id)
    ticked = list(channel or [])
    try:
        with i18n.using(console.language):
            channels = chosen_channels(ticked, channels_chosen)
            request = build_request(
                mode=mode,
                participant_ids=participant_ids,
                languages=languages,
                communities=communities,
                not_invited_within_days=not_invited_within_days,
                max_people=max_people,
                saved=_saved_filter(console, saved_filter) if mode == "filter" else None,
                event=event,
                channels=channels,
            )
        preview = service.preview(
            session=console.db,
            actor=console.actor,
            settings=console.settings,
            event_id=event.id,
            request=request,
        )
    except Problem as problem:
        if problem.status not in (409, 422):
            raise
        console.db.rollback()
        known = FILTER_PROBLEMS.get(problem.type_.rsplit("/", 1)[-1])
        with i18n.using(console.language):
            errors = [i18n._(known)] if known else []
        errors = errors or [str(error.get("detail", "")) for error in problem.errors or []]
        errors = errors or [problem.detail or problem.title]
        return _pool_page(
            console,
            event,
            participant_ids=participant_ids,
            mode=mode,
            languages=languages,
            communities=communities,
            not_invited_within_days=not_invited_within_days,
            max_people=max_people,
            saved_filter=saved_filter,
            channels=ticked if channels_chosen else None,
            errors=errors,
            status_code=problem.status,
        )
    named = [*preview.invite, *preview.waitlist]
    people = roster.people(
        session=console.db, actor=console.actor, event_id=event.id, participant_ids=named
    )
    return console.render(
        "invite_proposal.html",
        event=event,
        title=event_labels.event_title(event, console.language),
        preview=preview,
        people=people,
        samples=preview.cost.texts,
        one_segment_operators=brands(console.settings.sms_single_segment_operators),
        currency=console.settings.sms_price_currency,
        idempotency_key=uuid.uuid4().hex,
        labels=event_labels,
        # None: every channel, each person's first usable messenger and e-mail beside it.
        channels=request.channels,
    )


@router.post("/console/events/{event_id}/invite/send")
def send(
    console: ConsoleDep,
    event_id: uuid.UUID,
    idempotency_key: Annotated[str, Form(min_length=1, max_length=200)],
    participant: Annotated[list[uuid.UUID], Form()] = [],  # noqa: B006
    channel: Annotated[list[str], Form()] = [],  # noqa: B006
    channels_chosen: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """Send the checked people as one batch on the chosen channels; the same key again
    answers with that batch."""
    console.require_writer()
    with i18n.using(console.language):
        if not participant:
            raise invalid("participant_ids", i18n._("Choose at least one person."))
        channels = chosen_channels(channel, channels_chosen)
    created = service.create_batch(
        session=console.db,
        actor=console.actor,
        settings=console.settings,
        event_id=event_id,
        request=InvitationRequest(
            participant_ids=list(dict.fromkeys(participant)), channels=channels
        ),
        idempotency_key=idempotency_key,
    )
    return RedirectResponse(f"/console/events/{event_id}?batch={created.batch.id}", status_code=303)
