"""Buddies in the console: a person's buddy on their page (pair, end), and pairs proposed from
an event's groups. Coordinators and admins only; the rules are the API's (`birge_api.buddies`).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Form
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from birge_api.buddies import service
from birge_api.problems import Problem
from birge_console import i18n
from birge_console.context import Console, ConsoleDep
from birge_console.routing import console_router
from birge_shared import buddies
from birge_shared.crypto import get_cipher
from birge_shared.models import Community, Participant

router = console_router()

#: The most people the pairing list offers; a coordinator narrows by city and language anyway.
MAX_CHOICES = 300

ERROR_TEXTS: dict[str, str] = {
    "already-paired": i18n.N_("One of them already has a buddy."),
    "different-languages": i18n.N_("Buddies share a group, so they must share a language."),
    "validation-error": i18n.N_("Pair a host-community member with a migrant of the same city."),
}


def _name(person: Participant) -> str:
    return get_cipher().decrypt(person.name_encrypted) if person.name_encrypted else ""


def person_section(console: Console, person: Participant) -> dict[str, Any]:
    """The buddy section of a person's page: their buddy, or whom they could be paired with."""
    rows = service.pairs_of(session=console.db, actor=console.actor, participant_id=person.id)
    active = next((row for row in rows if row.ended_at is None), None)
    context: dict[str, Any] = {
        "buddy_pair": active,
        "buddy": None,
        "buddy_choices": [],
        "buddy_error": ERROR_TEXTS.get(console.request.query_params.get("buddy_error", "")),
        "buddy_done": console.request.query_params.get("buddy") in {"paired", "ended"},
    }
    if active is not None:
        partner_id = active.migrant_id if active.host_id == person.id else active.host_id
        context["buddy"] = console.db.get(Participant, partner_id)
        context["buddy_name"] = _name(context["buddy"]) if context["buddy"] else ""
        return context
    other = {Community.HOST: Community.MIGRANT, Community.MIGRANT: Community.HOST}
    if person.community not in other or person.erased_at is not None:
        return context
    candidates = list(
        console.db.scalars(
            select(Participant)
            .where(
                Participant.city_code == person.city_code,
                Participant.community == other[person.community],
                Participant.language == person.language,
                Participant.erased_at.is_(None),
            )
            .order_by(Participant.created_at.desc())
            .limit(MAX_CHOICES)
        )
    )
    taken = buddies.partners(console.db, [c.id for c in candidates])
    context["buddy_choices"] = sorted(
        ((c.id, _name(c)) for c in candidates if c.id not in taken),
        key=lambda item: item[1].casefold(),
    )
    return context


def _pair(console: Console, first: uuid.UUID, second: uuid.UUID) -> str | None:
    """Pair two people whichever way round their communities are; an error code or None."""
    people = {
        p.id: p
        for p in console.db.scalars(select(Participant).where(Participant.id.in_([first, second])))
    }
    host, migrant = first, second
    if second in people and people[second].community is Community.HOST:
        host, migrant = second, first
    try:
        service.pair(session=console.db, actor=console.actor, host_id=host, migrant_id=migrant)
    except Problem as problem:
        if problem.status not in (409, 422):
            raise
        console.db.rollback()
        return problem.type_
    return None


@router.post("/console/participants/{participant_id}/buddy")
def pair_person(
    console: ConsoleDep, participant_id: uuid.UUID, buddy: Annotated[uuid.UUID, Form()]
) -> Response:
    console.require_writer()
    error = _pair(console, participant_id, buddy)
    query = f"buddy_error={error}" if error else "buddy=paired"
    return RedirectResponse(
        f"/console/participants/{participant_id}?{query}#buddy-heading", status_code=303
    )


@router.post("/console/participants/{participant_id}/buddy/end")
def end_pair(
    console: ConsoleDep, participant_id: uuid.UUID, pair: Annotated[uuid.UUID, Form()]
) -> Response:
    console.require_writer()
    service.end(session=console.db, actor=console.actor, pair_id=pair)
    return RedirectResponse(
        f"/console/participants/{participant_id}?buddy=ended#buddy-heading", status_code=303
    )


@router.post("/console/events/{event_id}/buddies")
def pair_proposed(
    console: ConsoleDep,
    event_id: uuid.UUID,
    host: Annotated[uuid.UUID, Form()],
    migrant: Annotated[uuid.UUID, Form()],
) -> Response:
    """Pair a host and a migrant the event's groups proposed, then back to the proposals."""
    console.require_writer()
    error = _pair(console, host, migrant)
    query = f"groups_error={error}" if error else "groups=paired&propose=1"
    return RedirectResponse(f"/console/events/{event_id}?{query}#groups-heading", status_code=303)
