"""An event's teams and tables: POST /v1/events/{event_id}/groups splits, GET reads, and
POST …/groups/moves moves one person by hand. Coordinators and admins only."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from birge_api.deps import ParticipantReader, SessionDep, Writer
from birge_api.groups import service
from birge_api.groups.schemas import GroupMove, GroupsRead, GroupsSplit, groups_read

router = APIRouter(prefix="/v1/events/{event_id}/groups", tags=["groups"])

_PROBLEMS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or invalid token"},
    403: {"description": "Not allowed for this role"},
    404: {"description": "No such event in your cities, or the person is in none of its groups"},
    409: {"description": "The event was cancelled, or nobody is there to split"},
    422: {"description": "Invalid input, or fewer groups than the languages present"},
}


@router.post("", responses=_PROBLEMS)
def split_groups(
    event_id: uuid.UUID, body: GroupsSplit, session: SessionDep, actor: Writer
) -> GroupsRead:
    """Split the checked-in people (before the start: the confirmed ones) into groups of about
    `size` or into `count` groups: one language per group, each inside the mix band as closely
    as the numbers allow, people who met before spread apart; the same input gives the same
    groups. Replaces the event's groups."""
    result = service.split_event(
        session=session, actor=actor, event_id=event_id, size=body.size, count=body.count
    )
    return groups_read(result)


@router.get("", responses=_PROBLEMS)
def read_groups(
    event_id: uuid.UUID,
    session: SessionDep,
    actor: ParticipantReader,
    propose_buddies: bool = False,
) -> GroupsRead:
    """The event's groups; with `propose_buddies=true` also buddy pairs to propose."""
    result = service.read_groups(session=session, actor=actor, event_id=event_id)
    proposals = service.propose_buddies(session=session, result=result) if propose_buddies else None
    return groups_read(result, proposals)


@router.post("/moves", responses=_PROBLEMS)
def move_member(
    event_id: uuid.UUID, body: GroupMove, session: SessionDep, actor: Writer
) -> GroupsRead:
    """Move one person to another group (recorded in the audit log)."""
    result = service.move_member(
        session=session,
        actor=actor,
        event_id=event_id,
        participant_id=body.participant_id,
        to_group=body.to_group,
    )
    return groups_read(result)
