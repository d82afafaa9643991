"""Buddy pairs: a coordinator pairs a host-community member with a migrant, or ends a pair.

Both people must be in the caller's cities (another city's person is a 404), in the same city,
one `host` and one `migrant`, and speak the same language (a group shares one language, and
buddies share a group). A person is in at most one active pair. Pairing plans the nudges for
the coming events both are already invited to; the rules of being buddies are in
`birge_shared.buddies`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.participants.service import get_participant
from birge_api.problems import Problem, conflict, invalid, not_found
from birge_shared import audit, buddies
from birge_shared.models import BuddyPair, Community, Event, EventStatus, Invitation, utcnow


def pair(*, session: Session, actor: Actor, host_id: uuid.UUID, migrant_id: uuid.UUID) -> BuddyPair:
    host = get_participant(session=session, actor=actor, participant_id=host_id, lock=True)
    migrant = get_participant(session=session, actor=actor, participant_id=migrant_id, lock=True)
    if host.community is not Community.HOST:
        raise invalid("host_id", "this person did not declare the host community")
    if migrant.community is not Community.MIGRANT:
        raise invalid("migrant_id", "this person did not declare the migrant community")
    if host.city_code != migrant.city_code:
        raise invalid("migrant_id", "buddies are in the same city")
    if host.language is not migrant.language:
        raise Problem(
            status=422,
            type_="different-languages",
            title="Buddies share a group, and a group shares a language",
            errors=[{"field": "migrant_id", "detail": "their preferred languages differ"}],
        )
    taken = buddies.partners(session, [host.id, migrant.id])
    if taken:
        raise conflict(
            "already-paired",
            "One of them already has a buddy",
            field="host_id" if host.id in taken else "migrant_id",
        )
    row = BuddyPair(
        city_code=host.city_code,
        host_id=host.id,
        migrant_id=migrant.id,
        created_by_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="buddy.pair",
        object_type="buddy_pair",
        object_id=row.id,
        details={"host_id": str(host.id), "migrant_id": str(migrant.id)},
    )
    for event in _coming_events(session, [host.id, migrant.id]):
        buddies.plan_nudges(session, event)
    return row


def _coming_events(session: Session, people: Sequence[uuid.UUID]) -> list[Event]:
    now = utcnow()
    invited = select(Invitation.event_id).where(
        Invitation.participant_id.in_(people), Invitation.status.in_(buddies.COMING)
    )
    return list(
        session.scalars(
            select(Event)
            .where(
                Event.id.in_(invited),
                Event.status == EventStatus.SCHEDULED,
                Event.starts_at > now,
            )
            .order_by(Event.starts_at, Event.id)
        )
    )


def _visible(actor: Actor, row: BuddyPair | None) -> BuddyPair:
    if row is None or not actor.can_see_city(row.city_code):
        raise not_found("Buddy pair")
    return row


def end(*, session: Session, actor: Actor, pair_id: uuid.UUID) -> BuddyPair:
    row = _visible(actor, session.get(BuddyPair, pair_id, with_for_update=True))
    if row.ended_at is None:
        row.ended_at = utcnow()
        audit.record(
            session=session,
            actor_id=actor.user_id,
            action="buddy.end",
            object_type="buddy_pair",
            object_id=row.id,
        )
        session.flush()
    return row


def pairs_of(*, session: Session, actor: Actor, participant_id: uuid.UUID) -> list[BuddyPair]:
    """The person's pairs, the active one first, then ended ones, newest first."""
    person = get_participant(session=session, actor=actor, participant_id=participant_id)
    rows = session.scalars(
        select(BuddyPair)
        .where(or_(BuddyPair.host_id == person.id, BuddyPair.migrant_id == person.id))
        .order_by(BuddyPair.created_at.desc())
    )
    return sorted(rows, key=lambda row: row.ended_at is not None)
