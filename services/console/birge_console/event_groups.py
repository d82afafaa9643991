"""An event's teams and tables in the console: the section on the event page (split, move a
person, warnings), and a team sheet to print. Coordinators and admins only, like the roster.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from birge_api.groups import service
from birge_api.groups.service import EventGroups
from birge_api.problems import Problem
from birge_console import event_labels, i18n
from birge_console.context import Console, ConsoleDep
from birge_console.routing import console_router
from birge_shared.crypto import get_cipher
from birge_shared.models import ActivityFormat, Community, Event, Language, Participant

router = console_router()

FORMAT_NAMES: dict[ActivityFormat, str] = {
    ActivityFormat.COOPERATIVE: i18n.N_("Cooperative: one shared goal"),
    ActivityFormat.MIXED_TEAMS: i18n.N_("Mixed teams side by side"),
    ActivityFormat.DISCUSSION: i18n.N_("Discussion tables"),
    ActivityFormat.COMPETITIVE: i18n.N_("Competitive: teams play against each other"),
}

WARNING_TEXTS: dict[str, str] = {
    "opposing-communities": i18n.N_(
        "This activity sets teams against each other, and a team is made of one community: "
        "people would meet the other community as opponents. Mix the teams before play."
    ),
    "outside-band": i18n.N_(
        "Some groups are outside the mix band: either the numbers allow no better, or a move "
        "by hand changed them."
    ),
    "language-mixed": i18n.N_("A group no longer shares one language since a move by hand."),
}

DONE_TEXTS: dict[str, str] = {
    "split": i18n.N_("The people are split into groups."),
    "moved": i18n.N_("The person was moved to another group."),
    "paired": i18n.N_("They are buddies now: invited together and kept in one group."),
}

ERROR_TEXTS: dict[str, str] = {
    "nobody-to-split": i18n.N_("Nobody has confirmed or checked in yet: there is nobody to split."),
    "too-few-groups": i18n.N_("Give at least one group for each language spoken here."),
    "validation-error": i18n.N_("Give a group size from 2 to 100 or a number of groups."),
    "no-such-group": i18n.N_("There is no group with that number."),
    "already-paired": i18n.N_("One of them already has a buddy."),
    "different-languages": i18n.N_("Buddies share a group, so they must share a language."),
}

LANGUAGE_NAMES = {Language.KY: "Кыргызча", Language.RU: "Русский", Language.EN: "English"}


@dataclass(frozen=True)
class MemberRow:
    id: uuid.UUID
    name: str | None
    community: Community | None
    language: Language


def _rows(members: list[Participant]) -> list[MemberRow]:
    cipher = get_cipher()
    rows = [
        MemberRow(
            id=p.id,
            name=cipher.decrypt(p.name_encrypted) if p.name_encrypted else None,
            community=p.community,
            language=p.language,
        )
        for p in members
    ]
    return sorted(rows, key=lambda row: ((row.name or "").casefold(), str(row.id)))


def _context(console: Console, result: EventGroups) -> dict[str, Any]:
    return {
        "groups": [{"group": group, "members": _rows(group.members)} for group in result.groups],
        "group_warnings": [WARNING_TEXTS[code] for code in result.warnings],
        "group_format": FORMAT_NAMES[result.format],
        "min_share": result.event.min_share,
        "language_names": LANGUAGE_NAMES,
    }


def section(console: Console, event: Event) -> dict[str, Any]:
    """What the event page's groups section shows (coordinators and admins only)."""
    result = service.read_groups(session=console.db, actor=console.actor, event_id=event.id)
    context = _context(console, result)
    context["group_done"] = DONE_TEXTS.get(console.request.query_params.get("groups", ""))
    error = console.request.query_params.get("groups_error", "")
    context["group_error"] = ERROR_TEXTS.get(error)
    context["buddy_proposals"] = None
    if console.request.query_params.get("propose") == "1":
        cipher = get_cipher()
        context["buddy_proposals"] = [
            {
                "group": number,
                "host": host.id,
                "migrant": migrant.id,
                "host_name": cipher.decrypt(host.name_encrypted) if host.name_encrypted else "",
                "migrant_name": cipher.decrypt(migrant.name_encrypted)
                if migrant.name_encrypted
                else "",
            }
            for number, host, migrant in service.propose_buddies(session=console.db, result=result)
        ]
    return context


def _back(event_id: uuid.UUID, query: str) -> RedirectResponse:
    return RedirectResponse(f"/console/events/{event_id}?{query}#groups-heading", status_code=303)


@router.post("/console/events/{event_id}/groups")
def split_groups(
    console: ConsoleDep,
    event_id: uuid.UUID,
    by: Annotated[str, Form(max_length=10)] = "size",
    number: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    console.require_writer()
    value = int(number) if number.strip().isdigit() else 0
    size = value if by == "size" else None
    count = value if by == "count" else None
    if not (2 <= value <= 100 if by == "size" else 1 <= value <= service.MAX_GROUPS):
        return _back(event_id, "groups_error=validation-error")
    try:
        service.split_event(
            session=console.db, actor=console.actor, event_id=event_id, size=size, count=count
        )
    except Problem as problem:
        if problem.status not in (409, 422):
            raise
        console.db.rollback()
        return _back(event_id, f"groups_error={problem.type_}")
    return _back(event_id, "groups=split")


@router.post("/console/events/{event_id}/groups/move")
def move_member(
    console: ConsoleDep,
    event_id: uuid.UUID,
    participant: Annotated[uuid.UUID, Form()],
    to_group: Annotated[int, Form(ge=1, le=service.MAX_GROUPS)],
) -> Response:
    console.require_writer()
    try:
        service.move_member(
            session=console.db,
            actor=console.actor,
            event_id=event_id,
            participant_id=participant,
            to_group=to_group,
        )
    except Problem as problem:
        if problem.status != 422:
            raise
        console.db.rollback()
        return _back(event_id, "groups_error=no-such-group")
    return _back(event_id, "groups=moved")


@router.get("/console/events/{event_id}/team-sheet", response_class=HTMLResponse)
def team_sheet(console: ConsoleDep, event_id: uuid.UUID) -> HTMLResponse:
    """A page to print: each group with its members' names, community and language."""
    console.require_participant_reader()
    result = service.read_groups(session=console.db, actor=console.actor, event_id=event_id)
    return console.render(
        "event_team_sheet.html",
        event=result.event,
        title=event_labels.event_title(result.event, console.language),
        labels=event_labels,
        **_context(console, result),
    )


def person_groups(console: Console, participant_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """Each event's group number for one person, for their page."""
    return service.group_of(session=console.db, participant_id=participant_id)
