"""Reading an event's free-text comments, and hiding one that names someone.

Comments are what participants wrote in their own words after the event: they may name the
writer or someone else, so they are for the people running the event (coordinators of its
city, administrators), never for viewers and never in a report or an export. Every read and
every hide is audited, by ids and counts only. A hidden comment is shown to nobody from then
on; its ciphertext goes with the retention purge or the writer's erasure, like any comment's.
"""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_api.comments.schemas import CommentList, CommentRead
from birge_api.deps import Actor
from birge_api.events.service import get_event
from birge_api.problems import forbidden, not_found
from birge_shared import audit
from birge_shared.crypto import get_cipher
from birge_shared.models import Role, SurveyResponse, utcnow


def _refuse_viewers(actor: Actor) -> None:
    if actor.role is Role.VIEWER:
        raise forbidden("Comments are for the people running the event, not for viewers.")


def list_comments(*, session: Session, actor: Actor, event_id: uuid.UUID) -> CommentList:
    """The event's comments that are still there and not hidden, oldest first."""
    _refuse_viewers(actor)
    event = get_event(session=session, actor=actor, event_id=event_id)
    written = (
        SurveyResponse.event_id == event.id,
        SurveyResponse.comment_encrypted.is_not(None),
    )
    rows = session.execute(
        select(SurveyResponse.id, SurveyResponse.comment_encrypted, SurveyResponse.answered_at)
        .where(*written, SurveyResponse.comment_hidden_at.is_(None))
        .order_by(SurveyResponse.answered_at, SurveyResponse.id)
    ).all()
    hidden = session.scalar(
        select(func.count())
        .select_from(SurveyResponse)
        .where(*written, SurveyResponse.comment_hidden_at.is_not(None))
    )
    cipher = get_cipher()
    zone = ZoneInfo(event.city.timezone)
    items = [
        CommentRead(
            id=comment_id,
            text=cipher.decrypt(encrypted),
            answered_on=answered_at.astimezone(zone).date(),
        )
        for comment_id, encrypted, answered_at in rows
        if encrypted is not None
    ]
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="survey_comment.read",
        object_type="event",
        object_id=event.id,
        details={"shown": len(items)},
    )
    return CommentList(items=items, hidden=hidden or 0)


def hide_comment(
    *, session: Session, actor: Actor, event_id: uuid.UUID, comment_id: uuid.UUID
) -> None:
    """Hide one comment of the event; hiding it again changes nothing."""
    _refuse_viewers(actor)
    event = get_event(session=session, actor=actor, event_id=event_id)
    response = session.scalar(
        select(SurveyResponse)
        .where(
            SurveyResponse.id == comment_id,
            SurveyResponse.event_id == event.id,
            SurveyResponse.comment_encrypted.is_not(None),
        )
        .with_for_update()
    )
    if response is None:
        raise not_found("Comment")
    if response.comment_hidden_at is not None:
        return
    response.comment_hidden_at = utcnow()
    response.comment_hidden_by_id = actor.user_id
    session.flush()
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="survey_comment.hide",
        object_type="survey_comment",
        object_id=response.id,
        details={"event_id": str(event.id)},
    )
