"""Events: create, read, change and cancel, within the caller's cities."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from birge_api.attendance.codes import new_checkin_code
from birge_api.cities import require_city
from birge_api.deps import Actor
from birge_api.events.schemas import EventCreate, EventUpdate
from birge_api.pagination import decode_cursor
from birge_api.problems import Problem, invalid, not_found
from birge_shared import audit, survey_items
from birge_shared.balance import seat_limit
from birge_shared.event_changes import changed_fields, notifying_snapshot
from birge_shared.invitations import held_seats, reschedule_deadlines
from birge_shared.models import ActivityType, Event, EventStatus, utcnow
from birge_shared.outbox import enqueue
from birge_shared.settings import Settings
from birge_shared.tasks import EventCancelled, EventChanged


def create_event(*, session: Session, actor: Actor, data: EventCreate) -> Event:
    city = require_city(session=session, actor=actor, code=data.city)
    if data.starts_at <= utcnow():
        raise invalid("starts_at", "the event must start in the future")
    if data.answer_by is not None and data.answer_by <= utcnow():
        raise invalid("answer_by", "the answer deadline must lie in the future")
    event = Event(
        city_code=city.code,
        city=city,
        title={language.value: text for language, text in data.title.items()},
        description={language.value: text for language, text in data.description.items()},
        activity_type=data.activity_type,
        venue_name=data.venue.name,
        venue_address=data.venue.address,
        venue_latitude=data.venue.latitude,
        venue_longitude=data.venue.longitude,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        capacity=data.capacity,
        min_share=data.mix_band.min_share,
        reminder_offsets=list(data.reminder_offsets),
        survey_delay_minutes=data.survey_delay_minutes,
        answer_by=data.answer_by,
        visibility=data.visibility,
        checkin_code=new_checkin_code(),
        created_by_id=actor.user_id,
    )
    session.add(event)
    session.flush()
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="event.create",
        object_type="event",
        object_id=event.id,
        details={"city": city.code},
    )
    return event


def get_event(*, session: Session, actor: Actor, event_id: uuid.UUID, lock: bool = False) -> Event:
    """The event, or a 404 when it does not exist or lies in a city the caller cannot see."""
    query = select(Event).where(Event.id == event_id)
    if lock:
        query = query.with_for_update(of=Event)
    event = session.scalar(query)
    if event is None or not actor.can_see_city(event.city_code):
        raise not_found("Event")
    return event


@dataclass(frozen=True)
class EventFilter:
    city: str | None = None
    status: EventStatus | None = None
    activity_type: ActivityType | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None


def list_events(
    *, session: Session, actor: Actor, filters: EventFilter, limit: int, cursor: str | None
) -> tuple[list[Event], bool]:
    """A page of events by start time; the flag says whether another page follows."""
    query = select(Event)
    if actor.cities is not None:
        query = query.where(Event.city_code.in_(actor.cities))
    if filters.city:
        query = query.where(Event.city_code == filters.city)
    if filters.status:
        query = query.where(Event.status == filters.status)
    if filters.activity_type:
        query = query.where(Event.activity_type == filters.activity_type)
    if filters.starts_from:
        query = query.where(Event.starts_at >= filters.starts_from)
    if filters.starts_to:
        query = query.where(Event.starts_at < filters.starts_to)
    if cursor:
        after_start, after_id = decode_cursor(cursor)
        query = query.where(
            or_(
                Event.starts_at > after_start,
                and_(Event.starts_at == after_start, Event.id > after_id),
            )
        )
    rows = list(session.scalars(query.order_by(Event.starts_at, Event.id).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def _require_open(event: Event) -> None:
    if event.status is not EventStatus.SCHEDULED:
        raise Problem(
            status=409,
            type_="event-not-open",
            title=f"The event is {event.status.value} and can no longer change",
        )


def update_event(
    *, session: Session, actor: Actor, settings: Settings, event_id: uuid.UUID, data: EventUpdate
) -> Event:
    event = get_event(session=session, actor=actor, event_id=event_id, lock=True)
    _require_open(event)
    changes = data.model_dump(exclude_unset=True)
    none_given = [
        name for name, value in changes.items() if value is None and name not in _NULLABLE
    ]
    if none_given:
        raise invalid(none_given[0], "cannot be null")

    starts_at = data.starts_at or event.starts_at
    ends_at = data.ends_at or event.ends_at
    if ends_at <= starts_at:
        field = "ends_at" if "ends_at" in changes else "starts_at"
        raise invalid(field, "ends_at must be after starts_at")
    if "starts_at" in changes and starts_at <= utcnow():
        raise invalid("starts_at", "the event must start in the future")
    answer_by = _answer_by(event, data, starts_at=starts_at, given="answer_by" in changes)

    if data.capacity is not None and data.capacity < event.capacity:
        _check_capacity(session, event, data.capacity, settings.over_invite_factor)

    before = notifying_snapshot(event)
    _apply(event, data)
    _move_dates(session, event, settings, starts_at=starts_at, ends_at=ends_at, answer_by=answer_by)

    changed = changed_fields(before, notifying_snapshot(event))
    if changed:
        event.sequence += 1
        if event.change_base is None:
            # What participants last heard: the settled notice names what differs from it.
            event.change_base = before
        # Announced once the settle window has passed, and only if no later change superseded
        # it by then (the task compares sequences): a run of edits makes one notification.
        enqueue(
            session=session,
            payload=EventChanged(event_id=event.id, sequence=event.sequence),
            available_at=utcnow() + timedelta(minutes=settings.change_notice_settle_minutes),
        )
    session.flush()
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="event.update",
        object_type="event",
        object_id=event.id,
        details={"fields": sorted(changes), "notifying": changed},
    )
    return event


def _apply(event: Event, data: EventUpdate) -> None:
    """Copy the given fields onto the event (times are set by the caller, checked together)."""
    if data.title is not None:
        event.title = {language.value: text for language, text in data.title.items()}
    if data.description is not None:
        event.description = {language.value: text for language, text in data.description.items()}
    if data.activity_type is not None:
        event.activity_type = data.activity_type
    if data.venue is not None:
        event.venue_name = data.venue.name
        event.venue_address = data.venue.address
        event.venue_latitude = data.venue.latitude
        event.venue_longitude = data.venue.longitude
    if data.capacity is not None:
        event.capacity = data.capacity
    if data.mix_band is not None:
        event.min_share = data.mix_band.min_share
    # Reminder and survey timings notify nobody: the next periodic run follows them.
    if data.reminder_offsets is not None:
        event.reminder_offsets = list(data.reminder_offsets)
    if data.survey_delay_minutes is not None:
        event.survey_delay_minutes = data.survey_delay_minutes
    # The feed follows the visibility; participants are not told.
    if data.visibility is not None:
        event.visibility = data.visibility


def _answer_by(
    event: Event, data: EventUpdate, *, starts_at: datetime, given: bool
) -> datetime | None:
    """The event's own deadline after this change, checked against the (new) start."""
    answer_by = data.answer_by if given else event.answer_by
    if given and answer_by is not None and answer_by <= utcnow():
        raise invalid("answer_by", "the answer deadline must lie in the future")
    if answer_by is not None and answer_by >= starts_at:
        raise invalid("answer_by" if given else "starts_at", "answer_by must be before starts_at")
    return answer_by


def _move_dates(
    session: Session,
    event: Event,
    settings: Settings,
    *,
    starts_at: datetime,
    ends_at: datetime,
    answer_by: datetime | None,
) -> None:
    """Set the times; when the start or the event's deadline moved, so do open deadlines."""
    deadlines_move = answer_by != event.answer_by or starts_at != event.starts_at
    event.starts_at, event.ends_at, event.answer_by = starts_at, ends_at, answer_by
    if deadlines_move:
        reschedule_deadlines(session=session, event=event, settings=settings)


#: Fields whose `null` means "remove", not "cannot be null".
_NULLABLE = frozenset({"answer_by"})


def _check_capacity(session: Session, event: Event, capacity: int, over_invite: float) -> None:
    """Refuse a capacity below the seats already held: the coordinator withdraws first."""
    held = held_seats(session, event.id).total
    if held > seat_limit(capacity, over_invite):
        raise Problem(
            status=409,
            type_="capacity-below-held-seats",
            title="The capacity is below the seats already held",
            detail=f"{held} seats are held (accepted or awaiting an answer); withdraw "
            f"invitations before lowering the capacity to {capacity}",
            held=held,
            capacity=event.capacity,
        )


def set_survey_items(
    *, session: Session, actor: Actor, event_id: uuid.UUID, codes: Sequence[str]
) -> Event:
    """Choose the attitude items of the item bank the event's surveys ask; a code that is
    not an attitude item of the bank is a 422 and changes nothing."""
    event = get_event(session=session, actor=actor, event_id=event_id, lock=True)
    try:
        items = survey_items.chosen(codes)
    except survey_items.UnknownItemError as error:
        raise invalid("items", str(error), type_="unknown-survey-item") from error
    event.survey_items = [item.code for item in items]
    session.flush()
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="event.survey_items",
        object_type="event",
        object_id=event.id,
        details={"items": event.survey_items},
    )
    return event


def cancel_event(
    *, session: Session, actor: Actor, event_id: uuid.UUID, reason: str | None = None
) -> Event:
    """Cancel once; cancelling again returns the cancelled event and changes nothing.

    The reason, when given, is told to participants: in the cancellation SMS and e-mail and on
    their page.
    """
    event = get_event(session=session, actor=actor, event_id=event_id, lock=True)
    if event.status is EventStatus.CANCELLED:
        return event
    _require_open(event)
    event.status = EventStatus.CANCELLED
    event.cancelled_at = utcnow()
    event.cancel_reason = reason
    event.sequence += 1
    session.flush()
    enqueue(session=session, payload=EventCancelled(event_id=event.id))
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="event.cancel",
        object_type="event",
        object_id=event.id,
        details={"reason_given": reason is not None},
    )
    return event
