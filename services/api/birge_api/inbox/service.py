"""Reading the inbox and marking its texts handled, within the caller's cities.

A coordinator sees the texts of participants of their cities; a text from an unknown number
names no city, so only administrators see it. Texts of erased people are gone with them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.inbox.schemas import PURPOSE_KINDS
from birge_api.pagination import decode_cursor
from birge_api.problems import not_found
from birge_shared.audit import record
from birge_shared.models import Message, MessageDirection, Participant

Row = tuple[Message, Participant | None]


def visible(actor: Actor) -> Select[Message, Participant]:
    query = (
        select(Message, Participant)
        .outerjoin(Participant, Message.participant_id == Participant.id)
        .where(
            Message.direction == MessageDirection.INBOUND,
            Message.purpose.in_(list(PURPOSE_KINDS)),
            or_(Participant.id.is_(None), Participant.erased_at.is_(None)),
        )
    )
    if actor.cities is not None:
        # Also leaves out unknown numbers: their participant (and city) is null.
        query = query.where(Participant.city_code.in_(sorted(actor.cities)))
    return query


def list_inbox(
    *,
    session: Session,
    actor: Actor,
    limit: int,
    cursor: str | None,
    handled: bool | None = None,
    city: str | None = None,
) -> tuple[list[Row], bool]:
    """A page of the inbox, newest first; the flag says whether older texts follow."""
    query = visible(actor)
    if city:
        query = query.where(Participant.city_code == city.strip().lower())
    if handled is not None:
        query = query.where(
            Message.handled_at.is_not(None) if handled else Message.handled_at.is_(None)
        )
    if cursor:
        before_at, before_id = decode_cursor(cursor)
        query = query.where(
            or_(
                Message.created_at < before_at,
                and_(Message.created_at == before_at, Message.id < before_id),
            )
        )
    query = query.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit + 1)
    rows: list[Row] = [(message, person) for message, person in session.execute(query)]
    return rows[:limit], len(rows) > limit


def get_message(*, session: Session, actor: Actor, message_id: uuid.UUID) -> Row:
    """One text of the inbox; 404 outside the caller's view."""
    row = session.execute(visible(actor).where(Message.id == message_id)).first()
    if row is None:
        raise not_found("Inbox message")
    return row[0], row[1]


def count_waiting(*, session: Session, actor: Actor) -> int:
    """How many texts of the caller's view nobody has marked handled yet."""
    waiting = visible(actor).where(Message.handled_at.is_(None)).subquery()
    return int(session.scalar(select(func.count()).select_from(waiting)) or 0)


def mark_handled(*, session: Session, actor: Actor, message_id: uuid.UUID, now: datetime) -> Row:
    """Mark one text handled; marking it again changes nothing. 404 outside the caller's view."""
    row = session.execute(
        visible(actor).where(Message.id == message_id).with_for_update(of=Message)
    ).first()
    if row is None:
        raise not_found("Inbox message")
    message, person = row
    if message.handled_at is None:
        message.handled_at = now
        message.handled_by_id = actor.user_id
        message.updated_at = now
        record(
            session=session,
            actor_id=actor.user_id,
            action="inbox.handled",
            object_type="message",
            object_id=message.id,
        )
        session.flush()
    return message, person
