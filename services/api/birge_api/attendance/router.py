"""Attendance of one event: POST /v1/events/{event_id}/attendance and `/walk-ins`, for
coordinators."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from birge_api.attendance import door, service, walk_ins
from birge_api.attendance.schemas import AttendanceRead, AttendanceUpdate
from birge_api.deps import ParticipantReader, Reader, SessionDep, Writer

router = APIRouter(prefix="/v1/events/{event_id}/attendance", tags=["attendance"])

_PROBLEMS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or invalid token"},
    403: {"description": "Not allowed for this role"},
    404: {"description": "No such event in your cities"},
    409: {
        "description": "The event was cancelled or has not started yet, or a walk-in has an "
        "invitation to mark through the attendance list, or a walk-in to undo whose status "
        "before is not known"
    },
    422: {"description": "Invalid input, or participants without an accepted invitation"},
}


@router.post("", responses=_PROBLEMS)
def mark_attendance(
    event_id: uuid.UUID, body: AttendanceUpdate, session: SessionDep, actor: Writer
) -> AttendanceRead:
    return service.mark_attendance(session=session, actor=actor, event_id=event_id, data=body)


@router.post("/walk-ins", status_code=status.HTTP_201_CREATED, responses=_PROBLEMS)
def add_walk_in(
    event_id: uuid.UUID, body: walk_ins.WalkInCreate, session: SessionDep, actor: Writer
) -> walk_ins.WalkInRead:
    """Someone came without an invitation: a registered person (`participant_id`) or one
    registered on the spot (`participant`) gets an invitation marked `attended`, `walk_in`."""
    return walk_ins.add_walk_in(session=session, actor=actor, event_id=event_id, data=body)


@router.get("", responses=_PROBLEMS)
def door_counts(event_id: uuid.UUID, session: SessionDep, actor: Reader) -> door.DoorCounts:
    """Who is inside (attended, walk-ins included) and who is still expected, per community."""
    return door.door_counts(session=session, actor=actor, event_id=event_id)


@router.post("/roster-search", responses=_PROBLEMS)
def search_roster(
    event_id: uuid.UUID, body: door.RosterSearch, session: SessionDep, actor: ParticipantReader
) -> list[door.DoorRow]:
    """The event's people whose name, or a word of it, starts with `query` (case and script
    folded), by name. A POST so that the typed name stays out of URLs and access logs."""
    return door.search_roster(session=session, actor=actor, event_id=event_id, data=body)
