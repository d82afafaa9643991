"""The dashboard's figures for the caller's cities: upcoming events and what needs doing.

Everything is counted in a handful of aggregate queries (GROUP BY event), however many events
the caller's cities hold: the upcoming events shown, the events of the next `HORIZON` the
to-do list looks at, failed deliveries and held batches per event, and the waiting inbox.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from birge_api.dashboard.schemas import (
    DashboardRead,
    EventCounts,
    TodoItem,
    TodoKind,
    UpcomingEvent,
)
from birge_api.deps import Actor
from birge_api.inbox.service import count_waiting
from birge_api.invitations.warnings import short_window
from birge_shared.balance import in_band
from birge_shared.models import (
    BatchStatus,
    Community,
    Event,
    EventStatus,
    Invitation,
    InvitationBatch,
    InvitationStatus,
    Message,
    MessageDirection,
    MessageStatus,
    Participant,
    Role,
)
from birge_shared.settings import Settings

#: How many upcoming events the dashboard lists (the events page lists them all).
UPCOMING_SHOWN = 20
#: The to-do list names at most this many events of each kind (the totals say how many).
TODO_SHOWN = 10
#: How far ahead the to-do list looks for events short of confirmations or outside the band.
HORIZON = timedelta(days=7)
#: An event this close with under `FEW_CONFIRMED_SHARE` of its seats confirmed needs invitations.
FEW_CONFIRMED_WITHIN = timedelta(days=3)
FEW_CONFIRMED_SHARE = 0.5

_CONFIRMED = (InvitationStatus.ACCEPTED, InvitationStatus.ATTENDED)
_FAILED = (MessageStatus.FAILED, MessageStatus.UNDELIVERED)
_ORDER = list(TodoKind)


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    # COUNT(CASE WHEN … THEN 1 END): one pass over the rows, portable to SQLite.
    return func.count(case((condition, 1)))


def _upcoming_scope(actor: Actor, now: datetime) -> list[ColumnElement[bool]]:
    scope = [Event.status == EventStatus.SCHEDULED, Event.starts_at >= now]
    if actor.cities is not None:
        scope.append(Event.city_code.in_(sorted(actor.cities)))
    return scope


def event_counts(
    session: Session, event_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, EventCounts]:
    """Per event, the invitation counts and the confirmed mix, in one grouped query."""
    if not event_ids:
        return {}
    status = Invitation.status
    confirmed = status.in_(_CONFIRMED)
    query = (
        select(
            Invitation.event_id,
            _count_where(status.not_in([InvitationStatus.WAITLISTED]) & ~Invitation.walk_in),
            _count_where(confirmed),
            _count_where(status == InvitationStatus.DECLINED),
            _count_where(status == InvitationStatus.WAITLISTED),
            _count_where(Invitation.checked_in_at.is_not(None)),
            _count_where(confirmed & (Participant.community == Community.HOST)),
            _count_where(confirmed & (Participant.community == Community.MIGRANT)),
        )
        .join(Participant, Participant.id == Invitation.participant_id)
        .where(Invitation.event_id.in_(list(event_ids)))
        .group_by(Invitation.event_id)
    )
    counts = {
        event_id: EventCounts(
            invited=invited,
            confirmed=confirmed_,
            declined=declined,
            waitlisted=waitlisted,
            checked_in=checked_in,
            confirmed_host=host,
            confirmed_migrant=migrant,
        )
        for event_id, invited, confirmed_, declined, waitlisted, checked_in, host, migrant in (
            session.execute(query)
        )
    }
    empty = EventCounts(
        invited=0,
        confirmed=0,
        declined=0,
        waitlisted=0,
        checked_in=0,
        confirmed_host=0,
        confirmed_migrant=0,
    )
    return {event_id: counts.get(event_id, empty) for event_id in event_ids}


def _failed_deliveries(session: Session, event_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Outbound messages of these events that failed or came back undelivered."""
    if not event_ids:
        return {}
    query = (
        select(Invitation.event_id, func.count(Message.id))
        .join(Message, Message.invitation_id == Invitation.id)
        .where(
            Invitation.event_id.in_(list(event_ids)),
            Message.direction == MessageDirection.OUTBOUND,
            Message.status.in_(_FAILED),
        )
        .group_by(Invitation.event_id)
    )
    return {event_id: int(count) for event_id, count in session.execute(query)}


def _held_batches(session: Session, scope: list[ColumnElement[bool]]) -> dict[uuid.UUID, int]:
    """Batches of upcoming events waiting for an administrator's budget approval."""
    query = (
        select(InvitationBatch.event_id, func.count(InvitationBatch.id))
        .join(Event, Event.id == InvitationBatch.event_id)
        .where(InvitationBatch.status == BatchStatus.AWAITING_APPROVAL, *scope)
        .group_by(InvitationBatch.event_id)
    )
    return {event_id: int(count) for event_id, count in session.execute(query)}


def _upcoming(event: Event, counts: EventCounts) -> UpcomingEvent:
    return UpcomingEvent(
        id=event.id,
        city=event.city_code,
        timezone=event.city.timezone,
        title=event.title,
        activity_type=event.activity_type,
        starts_at=event.starts_at,
        capacity=event.capacity,
        min_share=event.min_share,
        counts=counts,
        in_band=in_band(counts.confirmed_host, counts.confirmed_migrant, event.min_share),
    )


def _item(kind: TodoKind, count: int, event: Event) -> TodoItem:
    return TodoItem(
        kind=kind,
        count=count,
        event_id=event.id,
        city=event.city_code,
        timezone=event.city.timezone,
        title=event.title,
        starts_at=event.starts_at,
        capacity=event.capacity,
    )


def _event_todo(
    events: Iterable[Event],
    counts: dict[uuid.UUID, EventCounts],
    *,
    settings: Settings,
    now: datetime,
) -> list[TodoItem]:
    todo: list[TodoItem] = []
    for event in events:
        tally = counts[event.id]
        open_seats = tally.confirmed < event.capacity
        if (
            event.starts_at < now + FEW_CONFIRMED_WITHIN
            and tally.confirmed < event.capacity * FEW_CONFIRMED_SHARE
        ):
            todo.append(_item(TodoKind.FEW_CONFIRMED, tally.confirmed, event))
        if not in_band(tally.confirmed_host, tally.confirmed_migrant, event.min_share):
            todo.append(_item(TodoKind.OUTSIDE_BAND, tally.confirmed, event))
        if open_seats and short_window(event=event, settings=settings, now=now) is not None:
            todo.append(_item(TodoKind.SHORT_WINDOW, event.capacity - tally.confirmed, event))
    return todo


def dashboard(
    *,
    session: Session,
    actor: Actor,
    settings: Settings,
    now: datetime,
    upcoming_limit: int = UPCOMING_SHOWN,
) -> DashboardRead:
    """The caller's dashboard. Viewers get no inbox count: the inbox is participants' data."""
    scope = _upcoming_scope(actor, now)
    order = (Event.starts_at, Event.id)
    upcoming = list(
        session.scalars(select(Event).where(*scope).order_by(*order).limit(upcoming_limit))
    )
    soon = list(
        session.scalars(
            select(Event).where(*scope, Event.starts_at < now + HORIZON).order_by(*order)
        )
    )
    events = {event.id: event for event in [*upcoming, *soon]}
    failed = _failed_deliveries(session, list(events))
    held = _held_batches(session, scope)
    missing = set(held) - set(events)
    if missing:
        events.update(
            (event.id, event)
            for event in session.scalars(select(Event).where(Event.id.in_(list(missing))))
        )
    counts = event_counts(session, [event.id for event in [*upcoming, *soon]])

    todo = [_item(TodoKind.FAILED_DELIVERIES, count, events[eid]) for eid, count in failed.items()]
    todo += [_item(TodoKind.AWAITING_APPROVAL, count, events[eid]) for eid, count in held.items()]
    todo += _event_todo(soon, counts, settings=settings, now=now)
    if actor.role is not Role.VIEWER:
        waiting = count_waiting(session=session, actor=actor)
        if waiting:
            todo.append(TodoItem(kind=TodoKind.INBOX, count=waiting))
    todo.sort(key=lambda item: (_ORDER.index(item.kind), item.starts_at or now))
    totals = Counter(item.kind for item in todo)
    shown: Counter[TodoKind] = Counter()
    kept = []
    for item in todo:
        shown[item.kind] += 1
        if shown[item.kind] <= TODO_SHOWN:
            kept.append(item)
    return DashboardRead(
        upcoming=[_upcoming(event, counts[event.id]) for event in upcoming],
        todo=kept,
        todo_totals=dict(totals),
        horizon_days=HORIZON.days,
    )
