"""Invitations of one event under /v1/events/{event_id}/invitations.

Preview and send are for coordinators and admins (`Writer`). Reading lists people, so viewers,
who read reports only, are refused (`ParticipantReader`).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from birge_api.deps import Admin, ParticipantReader, Reader, SessionDep, SettingsDep, Writer
from birge_api.events.service import get_event
from birge_api.invitations import delivery, messaging, roster, seats, service
from birge_api.invitations.schemas import (
    BatchCreated,
    BatchRead,
    DeliverySummary,
    EventCounts,
    InvitationListItem,
    InvitationPreview,
    InvitationRequest,
    MessageEstimate,
    MessageSent,
    MessageText,
    SeatsRead,
    WithdrawRequest,
)
from birge_api.pagination import CursorQuery, LimitQuery, Page, encode_cursor
from birge_shared.models import BatchStatus

router = APIRouter(prefix="/v1/events/{event_id}/invitations", tags=["invitations"])
#: Across events: what waits for an administrator's approval.
approvals = APIRouter(prefix="/v1/invitation-batches", tags=["invitations"])

_PROBLEMS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or invalid token"},
    403: {"description": "Not allowed for this role"},
    404: {"description": "No such event (or batch) in your cities"},
    409: {"description": "The event is cancelled, completed or already started"},
    422: {"description": "Invalid input; `errors` names the fields"},
}
#: The roster's actions name one invitation, and refuse what its state does not allow.
_ROSTER_PROBLEMS = _PROBLEMS | {
    404: {"description": "No such event or invitation in your cities"},
    409: {
        "description": "The event is closed to changes, the invitation is already closed "
        "(`invitation-not-open`), or no seat keeps the mix band (`cannot-move-up`)"
    },
}
#: A coordinator's SMS to the confirmed people counts against the city's daily budget.
_MESSAGE_PROBLEMS = _PROBLEMS | {
    409: {
        "description": "The event is closed to changes, or the SMS would pass the city's "
        "daily budget (nothing is sent)"
    },
}

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Retrying with the same key and body returns the first batch.",
    ),
]


@router.post("/preview", responses=_PROBLEMS)
def preview_invitations(
    event_id: uuid.UUID,
    body: InvitationRequest,
    session: SessionDep,
    settings: SettingsDep,
    actor: Writer,
) -> InvitationPreview:
    return service.preview(
        session=session, actor=actor, settings=settings, event_id=event_id, request=body
    )


@router.post("", status_code=status.HTTP_202_ACCEPTED, responses=_PROBLEMS)
def create_invitations(
    event_id: uuid.UUID,
    body: InvitationRequest,
    session: SessionDep,
    settings: SettingsDep,
    actor: Writer,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> BatchCreated:
    created = service.create_batch(
        session=session,
        actor=actor,
        settings=settings,
        event_id=event_id,
        request=body,
        idempotency_key=idempotency_key,
    )
    response.headers["Location"] = f"/v1/events/{event_id}/invitations/batches/{created.batch.id}"
    if created.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return created.batch


@router.get("", responses=_PROBLEMS)
def list_invitations(
    event_id: uuid.UUID,
    session: SessionDep,
    actor: ParticipantReader,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    status_: Annotated[
        list[str] | None,
        Query(
            alias="status",
            description="Only these invitation statuses: repeat the parameter or separate "
            "them with commas (`?status=sent,accepted`); an unknown status is a 422.",
        ),
    ] = None,
) -> Page[InvitationListItem]:
    """Each person's invitation and the delivery of its SMS; coordinators and admins also see
    the name and masked phone."""
    items, more = service.list_invitations(
        session=session,
        actor=actor,
        event_id=event_id,
        statuses=status_ or [],
        limit=limit,
        cursor=cursor,
    )
    next_cursor = encode_cursor(items[-1].created_at, items[-1].id) if more else None
    return Page(items=items, next_cursor=next_cursor)


@router.get("/batches", responses=_PROBLEMS)
def list_batches(
    event_id: uuid.UUID,
    session: SessionDep,
    actor: ParticipantReader,
    limit: LimitQuery = 50,
    status_: Annotated[BatchStatus | None, Query(alias="status")] = None,
) -> list[BatchRead]:
    """The event's batches, newest first: coordinators' requests, waitlist refills and change
    notices; `?status=awaiting_approval` lists what waits for an administrator."""
    return service.list_batches(
        session=session, actor=actor, event_id=event_id, status=status_, limit=limit
    )


@router.get("/batches/{batch_id}", responses=_PROBLEMS)
def get_batch(
    event_id: uuid.UUID, batch_id: uuid.UUID, session: SessionDep, actor: ParticipantReader
) -> BatchRead:
    return service.get_batch(session=session, actor=actor, event_id=event_id, batch_id=batch_id)


@router.post("/batches/{batch_id}/approve", responses=_PROBLEMS)
def approve_batch(
    event_id: uuid.UUID, batch_id: uuid.UUID, session: SessionDep, actor: Admin
) -> BatchRead:
    """Send a batch held over the city's daily SMS budget (administrators only); a batch that
    is not awaiting approval is a 409."""
    return service.approve_batch(session=session, actor=actor, event_id=event_id, batch_id=batch_id)


@approvals.get("/awaiting-approval", responses=_PROBLEMS)
def list_awaiting_approval(
    session: SessionDep, actor: Admin, limit: LimitQuery = 50
) -> list[BatchRead]:
    """Every batch held over its city's daily SMS budget, oldest first (administrators)."""
    return service.list_awaiting_approval(session=session, actor=actor, limit=limit)


@router.get("/seats", responses=_PROBLEMS)
def get_seats(
    event_id: uuid.UUID, session: SessionDep, settings: SettingsDep, actor: ParticipantReader
) -> SeatsRead:
    """How the seats stand, and why any stay open (nobody waiting fits the mix band)."""
    return seats.seats(session=session, actor=actor, event_id=event_id, settings=settings)


@router.get("/counts", responses=_PROBLEMS)
def get_counts(event_id: uuid.UUID, session: SessionDep, actor: Reader) -> EventCounts:
    """Counts per community against the mix band, and nobody's name: viewers read it too."""
    return roster.counts(session=session, actor=actor, event_id=event_id)


@router.get("/delivery", responses=_PROBLEMS)
def get_delivery(event_id: uuid.UUID, session: SessionDep, actor: Reader) -> DeliverySummary:
    """Every message to the event's invitees, counted per channel and status; no people."""
    event = get_event(session=session, actor=actor, event_id=event_id)
    return delivery.summary(session, event.id)


@router.get("/waitlist", responses=_PROBLEMS)
def get_waitlist(
    event_id: uuid.UUID, session: SessionDep, actor: ParticipantReader
) -> list[InvitationListItem]:
    """The waiting people in the order freed seats reach them (the mix band may skip one)."""
    return roster.waitlist(session=session, actor=actor, event_id=event_id)


@router.post("/{invitation_id}/withdraw", responses=_ROSTER_PROBLEMS)
def withdraw_invitation(
    event_id: uuid.UUID,
    invitation_id: uuid.UUID,
    body: WithdrawRequest,
    session: SessionDep,
    settings: SettingsDep,
    actor: Writer,
) -> InvitationListItem:
    """Withdraw an open invitation; a seat it held goes to the waitlist. A closed one is 409."""
    return roster.withdraw(
        session=session,
        actor=actor,
        event_id=event_id,
        invitation_id=invitation_id,
        reason=body.reason,
        settings=settings,
    )


@router.post("/{invitation_id}/move-up", responses=_ROSTER_PROBLEMS)
def move_up_invitation(
    event_id: uuid.UUID,
    invitation_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    actor: Writer,
) -> InvitationListItem:
    """Invite a waiting person now; 409 with the reason when no seat keeps the mix band."""
    return roster.move_up(
        session=session,
        actor=actor,
        event_id=event_id,
        invitation_id=invitation_id,
        settings=settings,
    )


@router.post("/message/preview", responses=_MESSAGE_PROBLEMS)
def preview_message(
    event_id: uuid.UUID,
    body: MessageText,
    session: SessionDep,
    settings: SettingsDep,
    actor: Writer,
) -> MessageEstimate:
    """The segments and price of an SMS to the confirmed people; sends nothing."""
    return messaging.estimate(
        session=session, actor=actor, settings=settings, event_id=event_id, text=body.text
    )


@router.post("/message", status_code=status.HTTP_202_ACCEPTED, responses=_MESSAGE_PROBLEMS)
def message_confirmed(
    event_id: uuid.UUID,
    body: MessageText,
    session: SessionDep,
    settings: SettingsDep,
    actor: Writer,
    idempotency_key: IdempotencyKey = None,
) -> MessageSent:
    """Send a coordinator's SMS to everyone confirmed; the same Idempotency-Key sends once.
    Past the city's daily SMS budget it is a 409 and nothing is sent."""
    return messaging.message_confirmed(
        session=session,
        actor=actor,
        settings=settings,
        event_id=event_id,
        text=body.text,
        idempotency_key=idempotency_key,
    )
