"""/v1/events/{event_id}/comments: coordinators and administrators only, viewers refused."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from birge_api.comments import service
from birge_api.comments.schemas import CommentList
from birge_api.deps import ParticipantReader, SessionDep, Writer

router = APIRouter(prefix="/v1/events/{event_id}/comments", tags=["comments"])

_PROBLEMS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or invalid token"},
    403: {"description": "Viewers do not read comments"},
    404: {"description": "No such event in your cities, or no such comment in it"},
    422: {"description": "Invalid input; `errors` names the fields"},
}


@router.get("", responses=_PROBLEMS)
def list_comments(
    event_id: uuid.UUID, session: SessionDep, actor: ParticipantReader
) -> CommentList:
    """The event's free-text survey comments, oldest first; hidden ones are only counted.

    Each read is recorded in the audit log (by count, never the texts).
    """
    return service.list_comments(session=session, actor=actor, event_id=event_id)


@router.post("/{comment_id}/hide", status_code=status.HTTP_204_NO_CONTENT, responses=_PROBLEMS)
def hide_comment(
    event_id: uuid.UUID, comment_id: uuid.UUID, session: SessionDep, actor: Writer
) -> None:
    """Hide a comment that names someone: nobody sees it from then on. Audited; idempotent."""
    service.hide_comment(session=session, actor=actor, event_id=event_id, comment_id=comment_id)
