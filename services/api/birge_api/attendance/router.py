"""Attendance of one event: POST /v1/events/{event_id}/attendance, for coordinators."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from birge_api.attendance import service
from birge_api.attendance.schemas import AttendanceRead, AttendanceUpdate
from birge_api.deps import SessionDep, Writer

router = APIRouter(prefix="/v1/events/{event_id}/attendance", tags=["attendance"])

_PROBLEMS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or invalid token"},
    403: {"description": "Not allowed for this role"},
    404: {"description": "No such event in your cities"},
    409: {"description": "The event was cancelled or has not started yet"},
    422: {"description": "Invalid input, or participants without an accepted invitation"},
}


@router.post("", responses=_PROBLEMS)
def mark_attendance(
    event_id: uuid.UUID, body: AttendanceUpdate, session: SessionDep, actor: Writer
) -> AttendanceRead:
    return service.mark_attendance(session=session, actor=actor, event_id=event_id, data=body)
