"""Buddy pairs under /v1/buddies: pair, list a person's pairs, end a pair. Coordinators and
admins of the people's city."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from birge_api.buddies import service
from birge_api.buddies.schemas import BuddyCreate, BuddyRead, buddy_read
from birge_api.deps import ParticipantReader, SessionDep, Writer

router = APIRouter(prefix="/v1/buddies", tags=["buddies"])

_PROBLEMS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or invalid token"},
    403: {"description": "Not allowed for this role"},
    404: {"description": "No such participant or pair in your cities"},
    409: {"description": "One of them already has a buddy"},
    422: {"description": "Not a host and a migrant of one city and language"},
}


@router.post("", status_code=status.HTTP_201_CREATED, responses=_PROBLEMS)
def pair(body: BuddyCreate, session: SessionDep, actor: Writer) -> BuddyRead:
    """Pair a host-community member with a migrant: from now on they are invited together,
    kept in one group and nudged before an event both are coming to."""
    row = service.pair(
        session=session, actor=actor, host_id=body.host_id, migrant_id=body.migrant_id
    )
    return buddy_read(row)


@router.get("", responses=_PROBLEMS)
def pairs_of(
    participant_id: uuid.UUID, session: SessionDep, actor: ParticipantReader
) -> list[BuddyRead]:
    rows = service.pairs_of(session=session, actor=actor, participant_id=participant_id)
    return [buddy_read(row) for row in rows]


@router.post("/{pair_id}/end", responses=_PROBLEMS)
def end(pair_id: uuid.UUID, session: SessionDep, actor: Writer) -> BuddyRead:
    return buddy_read(service.end(session=session, actor=actor, pair_id=pair_id))
