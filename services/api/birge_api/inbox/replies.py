"""Answering one person from the inbox with a short SMS a coordinator wrote.

The answer goes out like every SMS: a planned message sent by the workers through the outbox,
counted against the city's daily segment budget (and refused when it would pass it, since an
answer is not a notice that must go out). Nobody who opted out is written to. An
Idempotency-Key makes a retried post (a double click, a reload) return the first answer
instead of sending a second: the key is kept as the message's dedupe key, per user.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.inbox.service import mark_handled, visible
from birge_api.problems import Problem, forbidden, invalid, not_found
from birge_shared import audit
from birge_shared.budget import over_budget
from birge_shared.crypto import get_cipher
from birge_shared.free_text import COORDINATOR_REPLY, plan_free_text
from birge_shared.models import (
    Message,
    MessageChannel,
    MessageStatus,
    Role,
)
from birge_shared.outbound.dedupe import DedupeKey, KeySubject
from birge_shared.outbox import enqueue
from birge_shared.settings import Settings
from birge_shared.sms.operators import brands
from birge_shared.sms.render import OneSegmentError, free_text_for, route_for
from birge_shared.sms.segments import count_segments
from birge_shared.tasks import SmsSend

#: An answer is short: two segments at most (306 Latin or 134 Cyrillic characters).
MAX_SEGMENTS = 2


class ReplyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=320)]

    @model_validator(mode="after")
    def _short(self) -> Self:
        if count_segments(self.text).segments > MAX_SEGMENTS:
            raise ValueError(f"an answer is at most {MAX_SEGMENTS} SMS segments")
        return self


class ReplyRead(BaseModel):
    id: uuid.UUID
    inbox_message_id: uuid.UUID
    participant_id: uuid.UUID
    status: MessageStatus
    segments: int
    replayed: bool = Field(description="An earlier request with the same Idempotency-Key sent it")


def _dedupe_key(actor: Actor, key: str) -> str:
    return str(
        DedupeKey(
            subject=KeySubject.INBOX_ANSWER,
            subject_id=str(actor.user_id),
            channel=MessageChannel.SMS,
            purpose=COORDINATOR_REPLY,
            version=key,
        )
    )


def _replay(
    earlier: Message, *, inbox_message_id: uuid.UUID, participant_id: uuid.UUID, text: str
) -> ReplyRead:
    same = (
        earlier.participant_id == participant_id
        and earlier.body_encrypted is not None
        and get_cipher().decrypt(earlier.body_encrypted) == text
    )
    if not same:
        raise invalid(
            "Idempotency-Key",
            "this key was already used for a different answer; use a new key",
            type_="idempotency-key-reused",
        )
    return ReplyRead(
        id=earlier.id,
        inbox_message_id=inbox_message_id,
        participant_id=participant_id,
        status=earlier.status,
        segments=earlier.segments or 0,
        replayed=True,
    )


def reply(
    *,
    session: Session,
    actor: Actor,
    settings: Settings,
    message_id: uuid.UUID,
    data: ReplyCreate,
    idempotency_key: str | None,
    now: datetime,
) -> ReplyRead:
    """Queue one SMS answering the person who sent `message_id`, and mark that text handled.

    404 outside the caller's view (as the inbox); 409 for an unknown number, an opted-out
    person or a city past its day's budget. The caller commits.
    """
    if actor.role is Role.VIEWER:
        raise forbidden("Viewers read reports, not what participants wrote.")
    # Locked: two posts answering the same text run one after the other, so the second sees
    # the first's answer under the same key.
    row = session.execute(
        visible(actor).where(Message.id == message_id).with_for_update(of=Message)
    ).first()
    if row is None:
        raise not_found("Inbox message")
    inbound, person = row
    if person is None:
        raise Problem(
            status=409,
            type_="unknown-number",
            title="The text came from a number of no participant; there is no one to answer",
        )
    dedupe_key = _dedupe_key(actor, idempotency_key) if idempotency_key else None
    if dedupe_key is not None:
        earlier = session.scalar(select(Message).where(Message.dedupe_key == dedupe_key))
        if earlier is not None:
            return _replay(
                earlier, inbox_message_id=inbound.id, participant_id=person.id, text=data.text
            )
    if person.opted_out_at is not None:
        raise Problem(
            status=409,
            type_="opted-out",
            title="The person opted out of SMS; Birge does not write to them",
        )
    if person.phone_encrypted is None:
        raise Problem(status=409, type_="no-phone", title="The person has no phone number")
    # An operator that does not join parts gets the answer in one segment (Latin letters if
    # that is what fits), or not at all: parts would arrive apart.
    route = route_for(settings, get_cipher().decrypt(person.phone_encrypted))
    try:
        text = free_text_for(data.text, route).text
    except OneSegmentError:
        raise invalid(
            "text",
            f"the person's operator ({brands(settings.sms_single_segment_operators)}) does not "
            "join SMS parts: keep the answer to one segment (160 Latin characters)",
            type_="too-long-for-operator",
        ) from None
    segments = count_segments(text).segments
    if over_budget(
        session=session,
        city_code=person.city_code,
        segments=segments,
        budget=settings.sms_daily_segment_budget,
        now=now,
    ):
        raise Problem(
            status=409,
            type_="over-budget",
            title="The city's SMS budget for today is used up; answer tomorrow",
        )
    answer_id = plan_free_text(
        session=session,
        purpose=COORDINATOR_REPLY,
        participant_id=person.id,
        invitation_id=None,
        text=text,
        subject=KeySubject.INBOX_ANSWER,
        subject_id=str(actor.user_id),
        # Without a key each answer is its own message.
        version=idempotency_key or uuid.uuid4().hex,
    )
    if answer_id is None:
        # The same key, just used by this user for an answer to another text.
        raise invalid(
            "Idempotency-Key",
            "this key was already used for a different answer; use a new key",
            type_="idempotency-key-reused",
        )
    enqueue(session=session, payload=SmsSend(message_ids=[answer_id]))
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="inbox.reply",
        object_type="message",
        object_id=inbound.id,
        details={"reply_id": str(answer_id), "segments": segments},
    )
    mark_handled(session=session, actor=actor, message_id=inbound.id, now=now)
    return ReplyRead(
        id=answer_id,
        inbox_message_id=inbound.id,
        participant_id=person.id,
        status=MessageStatus.PLANNED,
        segments=segments,
        replayed=False,
    )
