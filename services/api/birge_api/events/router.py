from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from birge_api.cities import CityFilter
from birge_api.deps import Actor, Reader, SessionDep, SettingsDep, Writer
from birge_api.events import service
from birge_api.events.schemas import (
    EventCancel,
    EventCreate,
    EventRead,
    EventUpdate,
    SurveyItemsUpdate,
    event_read,
)
from birge_api.fields import BoundedDatetime
from birge_api.pagination import CursorQuery, LimitQuery, Page, encode_cursor
from birge_shared.models import ActivityType, EventStatus, Role

router = APIRouter(prefix="/v1/events", tags=["events"])

_PROBLEMS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or invalid token"},
    403: {"description": "Not allowed for this role or city"},
    404: {"description": "No such event in your cities"},
    409: {"description": "The event can no longer change, or a capacity below the held seats"},
    422: {"description": "Invalid input; `errors` names the fields"},
}


def _shows_code(actor: Actor) -> bool:
    # The check-in code is for the people running the event; viewers read reports only.
    return actor.role is not Role.VIEWER


@router.post("", status_code=status.HTTP_201_CREATED, responses=_PROBLEMS)
def create_event(body: EventCreate, session: SessionDep, actor: Writer) -> EventRead:
    event = service.create_event(session=session, actor=actor, data=body)
    return event_read(event, show_checkin_code=_shows_code(actor))


@router.get("", responses=_PROBLEMS)
def list_events(
    session: SessionDep,
    actor: Reader,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    city: CityFilter = None,
    status_: Annotated[EventStatus | None, Query(alias="status")] = None,
    activity_type: ActivityType | None = None,
    starts_from: Annotated[BoundedDatetime | None, Query(alias="from")] = None,
    starts_to: Annotated[BoundedDatetime | None, Query(alias="to")] = None,
) -> Page[EventRead]:
    filters = service.EventFilter(
        city=city,
        status=status_,
        activity_type=activity_type,
        starts_from=starts_from,
        starts_to=starts_to,
    )
    events, more = service.list_events(
        session=session, actor=actor, filters=filters, limit=limit, cursor=cursor
    )
    next_cursor = encode_cursor(events[-1].starts_at, events[-1].id) if more else None
    shows_code = _shows_code(actor)
    return Page(
        items=[event_read(event, show_checkin_code=shows_code) for event in events],
        next_cursor=next_cursor,
    )


@router.get("/{event_id}", responses=_PROBLEMS)
def get_event(event_id: uuid.UUID, session: SessionDep, actor: Reader) -> EventRead:
    event = service.get_event(session=session, actor=actor, event_id=event_id)
    return event_read(event, show_checkin_code=_shows_code(actor))


@router.patch("/{event_id}", responses=_PROBLEMS)
def update_event(
    event_id: uuid.UUID,
    body: EventUpdate,
    session: SessionDep,
    settings: SettingsDep,
    actor: Writer,
) -> EventRead:
    """Change an event. Lowering the capacity below the seats already held is a 409
    (`capacity-below-held-seats`, with `held`): withdraw invitations first."""
    event = service.update_event(
        session=session, actor=actor, settings=settings, event_id=event_id, data=body
    )
    return event_read(event, show_checkin_code=_shows_code(actor))


@router.put("/{event_id}/survey-items", responses=_PROBLEMS)
def put_survey_items(
    event_id: uuid.UUID, body: SurveyItemsUpdate, session: SessionDep, actor: Writer
) -> EventRead:
    """Choose the event's attitude items from the item bank (default: the 1–5 attitude)."""
    event = service.set_survey_items(
        session=session, actor=actor, event_id=event_id, codes=body.items
    )
    return event_read(event, show_checkin_code=_shows_code(actor))


@router.post("/{event_id}/cancel", responses=_PROBLEMS)
def cancel_event(
    event_id: uuid.UUID, session: SessionDep, actor: Writer, body: EventCancel | None = None
) -> EventRead:
    event = service.cancel_event(
        session=session,
        actor=actor,
        event_id=event_id,
        reason=body.reason if body is not None else None,
    )
    return event_read(event, show_checkin_code=_shows_code(actor))
