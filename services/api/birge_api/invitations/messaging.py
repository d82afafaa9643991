"""A coordinator's own SMS to everyone confirmed for an event ("the room changed to 204").

The text is counted into segments as carriers bill it, checked against the city's daily SMS
budget, and planned as one message per confirmed person through the outbox; the sender sends
it like every SMS (quiet hours, opt-outs and a started or cancelled event still stop it). The
Idempotency-Key makes a double-click or a reload plan each person's message once.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.events.service import get_event
from birge_api.invitations.roster import require_open
from birge_api.invitations.schemas import MessageEstimate, MessageSent, Price
from birge_api.problems import Problem, invalid
from birge_shared import audit
from birge_shared.budget import over_budget
from birge_shared.free_text import EVENT_MESSAGE, plan_free_text_sms
from birge_shared.invitations import is_eligible
from birge_shared.models import (
    Event,
    Invitation,
    InvitationStatus,
    MessageChannel,
    Participant,
    utcnow,
)
from birge_shared.outbound.plan import Planned, queue_planned
from birge_shared.settings import Settings
from birge_shared.sms.segments import count_segments, estimate_price

MAX_KEY_LENGTH = 100


def _recipients(session: Session, event: Event) -> list[Invitation]:
    rows = session.execute(
        select(Invitation, Participant)
        .join(Participant, Invitation.participant_id == Participant.id)
        .where(Invitation.event_id == event.id, Invitation.status == InvitationStatus.ACCEPTED)
        .order_by(Invitation.created_at, Invitation.id)
    ).all()
    return [
        invitation
        for invitation, person in rows
        if is_eligible(person) and person.phone_encrypted is not None
    ]


def _clean(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise invalid("text", "the message is empty")
    return cleaned


def estimate(
    *, session: Session, actor: Actor, settings: Settings, event_id: uuid.UUID, text: str
) -> MessageEstimate:
    """What sending `text` to the confirmed people would cost; writes nothing."""
    event = get_event(session=session, actor=actor, event_id=event_id)
    count = count_segments(text.strip())
    recipients = len(_recipients(session, event))
    segments = count.segments * recipients
    return MessageEstimate(
        recipients=recipients,
        encoding=count.encoding,
        characters=count.characters,
        segments_each=count.segments,
        segments=segments,
        estimated_price=Price(
            amount=estimate_price(segments, settings.sms_price_per_segment),
            currency=settings.sms_price_currency,
        ),
    )


def message_confirmed(
    *,
    session: Session,
    actor: Actor,
    settings: Settings,
    event_id: uuid.UUID,
    text: str,
    idempotency_key: str | None,
) -> MessageSent:
    """Plan `text` to every confirmed person who can be written to, and queue it.

    Past the city's daily SMS budget nothing is planned (409): unlike an invitation batch,
    a message about today's event cannot wait for an approval tomorrow.
    """
    body = _clean(text)
    key = idempotency_key or uuid.uuid4().hex
    if len(key) > MAX_KEY_LENGTH:
        raise invalid("Idempotency-Key", f"at most {MAX_KEY_LENGTH} characters")
    event = get_event(session=session, actor=actor, event_id=event_id, lock=True)
    require_open(event)
    recipients = _recipients(session, event)
    if not recipients:
        raise Problem(
            status=409, type_="nobody-confirmed", title="Nobody confirmed can be written to"
        )
    segments = count_segments(body).segments * len(recipients)
    price = Price(
        amount=estimate_price(segments, settings.sms_price_per_segment),
        currency=settings.sms_price_currency,
    )
    planned = [
        message_id
        for invitation in recipients
        if (
            message_id := plan_free_text_sms(
                session=session,
                purpose=EVENT_MESSAGE,
                participant_id=invitation.participant_id,
                invitation_id=invitation.id,
                text=body,
                version=key,
            )
        )
        is not None
    ]
    if not planned:
        # The same key again: everything was planned by the first request.
        return MessageSent(
            recipients=len(recipients), planned=0, segments=segments, estimated_price=price
        )
    if over_budget(
        session=session,
        city_code=event.city_code,
        segments=segments,
        budget=settings.sms_daily_segment_budget,
        now=utcnow(),
    ):
        raise Problem(
            status=409,
            type_="over-budget",
            title="The message would take the city past its daily SMS budget",
            detail=f"{segments} segments; nothing was sent",
        )
    queue_planned(session=session, planned=Planned({MessageChannel.SMS: planned}))
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="event.message_confirmed",
        object_type="event",
        object_id=event.id,
        # Counts only: the text itself is personal enough to stay out of the audit log.
        details={"recipients": len(recipients), "planned": len(planned), "segments": segments},
    )
    return MessageSent(
        recipients=len(recipients), planned=len(planned), segments=segments, estimated_price=price
    )
