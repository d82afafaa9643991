"""The inbox under /v1/inbox: coordinators (their cities) and administrators (all)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from birge_api.deps import ParticipantReader, SessionDep, SettingsDep, Writer
from birge_api.inbox import replies, service
from birge_api.inbox.schemas import InboxItem, inbox_item
from birge_api.pagination import CursorQuery, LimitQuery, Page, encode_cursor
from birge_shared.models import utcnow

router = APIRouter(prefix="/v1/inbox", tags=["inbox"])

_PROBLEMS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or invalid token"},
    403: {"description": "Viewers read reports, not what participants wrote"},
    404: {"description": "No such text in the caller's cities"},
    409: {"description": "An unknown number, an opted-out person, or the day's budget is used"},
    422: {"description": "Invalid input; `errors` names the fields"},
}


@router.get("", responses=_PROBLEMS)
def list_inbox(
    session: SessionDep,
    actor: ParticipantReader,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    handled: bool | None = None,
    city: Annotated[str | None, Query(max_length=40)] = None,
) -> Page[InboxItem]:
    """Inbound SMS Birge did not understand, opt-outs and unknown numbers, newest first."""
    rows, more = service.list_inbox(
        session=session, actor=actor, limit=limit, cursor=cursor, handled=handled, city=city
    )
    next_cursor = encode_cursor(rows[-1][0].created_at, rows[-1][0].id) if more else None
    return Page(items=[inbox_item(*row) for row in rows], next_cursor=next_cursor)


@router.get("/{message_id}", responses=_PROBLEMS)
def get_message(message_id: uuid.UUID, session: SessionDep, actor: ParticipantReader) -> InboxItem:
    return inbox_item(*service.get_message(session=session, actor=actor, message_id=message_id))


@router.post("/{message_id}/handled", responses=_PROBLEMS)
def mark_handled(message_id: uuid.UUID, session: SessionDep, actor: Writer) -> InboxItem:
    """Mark one text as dealt with (audited); marking it again changes nothing."""
    return inbox_item(
        *service.mark_handled(session=session, actor=actor, message_id=message_id, now=utcnow())
    )


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=100,
        description="Retrying with the same key and text returns the first answer, sent once.",
    ),
]


@router.post("/{message_id}/reply", status_code=status.HTTP_201_CREATED, responses=_PROBLEMS)
def reply(
    message_id: uuid.UUID,
    body: replies.ReplyCreate,
    session: SessionDep,
    settings: SettingsDep,
    actor: Writer,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> replies.ReplyRead:
    """Answer the person who sent this text with a short SMS (two segments at most), queued
    through the outbox against the city's budget; the text is marked handled."""
    answer = replies.reply(
        session=session,
        actor=actor,
        settings=settings,
        message_id=message_id,
        data=body,
        idempotency_key=idempotency_key,
        now=utcnow(),
    )
    if answer.replayed:
        response.headers["Idempotent-Replayed"] = "true"
        response.status_code = status.HTTP_200_OK
    return answer
