"""Saved participant filters: kept per city, applied to the participants list or used as an
invitation's criteria.

A filter is scoped exactly like the participants it selects: another city's filter is a 404
for a city-scoped caller, and a filter is created only in one of the caller's cities.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from birge_api.cities import city_code, require_city
from birge_api.deps import Actor
from birge_api.invitations.schemas import Criteria
from birge_api.pagination import decode_cursor
from birge_api.participant_filters.schemas import (
    FilterCriteria,
    SavedFilterCreate,
    SavedFilterUpdate,
    criteria_of,
)
from birge_api.participants.service import ParticipantFilter
from birge_api.problems import Problem, conflict, invalid, not_found
from birge_shared import audit
from birge_shared.models import Event, SavedFilter, utcnow


def _name_taken() -> Problem:
    return conflict(
        "filter-name-taken",
        "This city already has a saved filter with this name",
        field="name",
        detail="another saved filter of this city has this name",
    )


def _name_used(session: Session, *, city: str, name: str, other_than: uuid.UUID | None) -> bool:
    query = select(SavedFilter.id).where(SavedFilter.city_code == city, SavedFilter.name == name)
    if other_than is not None:
        query = query.where(SavedFilter.id != other_than)
    return session.scalar(query.limit(1)) is not None


def _flush_unique(session: Session) -> None:
    """Flush in a savepoint: two requests saving one name at once both pass the look-up, and
    only the unique index tells them apart."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise _name_taken() from None


def create_filter(*, session: Session, actor: Actor, data: SavedFilterCreate) -> SavedFilter:
    city = require_city(session=session, actor=actor, code=city_code(data.city) or "")
    if _name_used(session, city=city.code, name=data.name, other_than=None):
        raise _name_taken()
    saved = SavedFilter(
        city_code=city.code,
        name=data.name,
        criteria=data.criteria.stored(),
        created_by_id=actor.user_id,
    )
    session.add(saved)
    _flush_unique(session)
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="saved_filter.create",
        object_type="saved_filter",
        object_id=saved.id,
        details={"city": city.code},
    )
    return saved


def get_filter(
    *, session: Session, actor: Actor, filter_id: uuid.UUID, lock: bool = False
) -> SavedFilter:
    """The filter, or a 404 when it does not exist or lies in a city the caller cannot see."""
    query = select(SavedFilter).where(SavedFilter.id == filter_id)
    if lock:
        query = query.with_for_update()
    saved = session.scalar(query)
    if saved is None or not actor.can_see_city(saved.city_code):
        raise not_found("Saved filter")
    return saved


def list_filters(
    *, session: Session, actor: Actor, city: str | None, limit: int, cursor: str | None
) -> tuple[list[SavedFilter], bool]:
    """A page of the caller's cities' filters, oldest first; the flag says whether more follow."""
    query = select(SavedFilter)
    if actor.cities is not None:
        query = query.where(SavedFilter.city_code.in_(actor.cities))
    if city:
        query = query.where(SavedFilter.city_code == city)
    if cursor:
        after_created, after_id = decode_cursor(cursor)
        query = query.where(
            or_(
                SavedFilter.created_at > after_created,
                and_(SavedFilter.created_at == after_created, SavedFilter.id > after_id),
            )
        )
    query = query.order_by(SavedFilter.created_at, SavedFilter.id).limit(limit + 1)
    rows = list(session.scalars(query))
    return rows[:limit], len(rows) > limit


def update_filter(
    *, session: Session, actor: Actor, filter_id: uuid.UUID, data: SavedFilterUpdate
) -> SavedFilter:
    saved = get_filter(session=session, actor=actor, filter_id=filter_id, lock=True)
    given = sorted(data.model_fields_set)
    nulls = [name for name in given if getattr(data, name) is None]
    if nulls:
        raise invalid(nulls[0], "cannot be null; leave the field out to keep its value")
    if not given:
        return saved
    if data.name is not None and data.name != saved.name:
        if _name_used(session, city=saved.city_code, name=data.name, other_than=saved.id):
            raise _name_taken()
        saved.name = data.name
    if data.criteria is not None:
        saved.criteria = data.criteria.stored()
    saved.updated_at = utcnow()
    _flush_unique(session)
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="saved_filter.update",
        object_type="saved_filter",
        object_id=saved.id,
        details={"fields": given},
    )
    return saved


def delete_filter(*, session: Session, actor: Actor, filter_id: uuid.UUID) -> None:
    saved = get_filter(session=session, actor=actor, filter_id=filter_id, lock=True)
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="saved_filter.delete",
        object_type="saved_filter",
        object_id=saved.id,
        details={"city": saved.city_code},
    )
    session.delete(saved)
    session.flush()


def participant_filter(criteria: FilterCriteria, *, city: str) -> ParticipantFilter:
    """The participants list's filter for these criteria in this city."""
    now = utcnow()
    return ParticipantFilter(
        city=city,
        language=criteria.language,
        community=criteria.community,
        opted_out=criteria.opted_out,
        invited_since=(
            now - timedelta(days=criteria.invited_within_days)
            if criteria.invited_within_days
            else None
        ),
        not_invited_since=(
            now - timedelta(days=criteria.not_invited_within_days)
            if criteria.not_invited_within_days
            else None
        ),
    )


def invitation_criteria(saved: SavedFilter, *, event: Event, max_people: int | None) -> Criteria:
    """An invitation's criteria from a saved filter of the event's city.

    People who opted out are never invited, so a filter that selects only them is refused
    rather than proposing nobody; "not opted out" is what every invitation does anyway.
    """
    if saved.city_code != event.city_code:
        raise invalid(
            "saved_filter", "not a saved filter of the event's city", type_="filter-other-city"
        )
    criteria = criteria_of(saved)
    if criteria.opted_out:
        raise invalid(
            "saved_filter",
            "selects people who opted out, and they are never invited",
            type_="filter-opted-out",
        )
    return Criteria(
        languages=[criteria.language] if criteria.language else None,
        communities=[criteria.community] if criteria.community else None,
        not_invited_within_days=criteria.not_invited_within_days,
        invited_within_days=criteria.invited_within_days,
        max=max_people,
    )
