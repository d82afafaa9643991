"""Answering one person from the inbox with a short message a coordinator wrote.

The answer goes back on the messenger the text came on while that can carry free text
(WhatsApp within the person's 24-hour window, which their text opened), else by SMS. It goes
out like every message: planned, and sent by the workers through the outbox; an SMS answer is
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
from birge_shared.free_text import COORDINATOR_REPLY, answer_channel, plan_free_text
from birge_shared.models import (
    Message,
    MessageChannel,
    MessageStatus,
    Participant,
    Role,
)
from birge_shared.outbound.channels import CHANNELS
from birge_shared.outbound.dedupe import DedupeKey, KeySubject
from birge_shared.outbox import enqueue
from birge_shared.settings import Settings
from birge_shared.sms.operators import brands
from birge_shared.sms.render import OneSegmentError, free_text_for, route_for
from birge_shared.sms.segments import count_segments

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
    channel: MessageChannel = Field(description="`whatsapp` back where the text came, or `sms`")
    status: MessageStatus
    segments: int = Field(description="SMS segments; 0 for an answer on WhatsApp")
    replayed: bool = Field(description="An earlier request with the same Idempotency-Key sent it")


#: The channels an answer may go on: back on WhatsApp, or by SMS.
ANSWER_CHANNELS = (MessageChannel.WHATSAPP, MessageChannel.SMS)


def _dedupe_keys(actor: Actor, key: str) -> list[str]:
    """The answer's dedupe key on each channel it may have gone on."""
    return [
        str(
            DedupeKey(
                subject=KeySubject.INBOX_ANSWER,
                subject_id=str(actor.user_id),
                channel=channel,
                purpose=COORDINATOR_REPLY,
                version=key,
            )
        )
        for channel in ANSWER_CHANNELS
    ]


def _as_sent(text: str, *, channel: MessageChannel, settings: Settings, person: Participant) -> str:
    """The answer as it goes on `channel`: as written on WhatsApp; by SMS, in one segment
    (Latin letters if that is what fits) for an operator that does not join parts, or not at
    all (422): parts would arrive apart."""
    if channel is not MessageChannel.SMS:
        return text
    assert person.phone_encrypted is not None  # checked before: SMS needs the number
    route = route_for(settings, get_cipher().decrypt(person.phone_encrypted))
    try:
        return free_text_for(text, route).text
    except OneSegmentError:
        raise invalid(
            "text",
            f"the person's operator ({brands(settings.sms_single_segment_operators)}) does not "
            "join SMS parts: keep the answer to one segment (160 Latin characters)",
            type_="too-long-for-operator",
        ) from None


def _replay(
    earlier: Message,
    *,
    inbox_message_id: uuid.UUID,
    person: Participant,
    text: str,
    settings: Settings,
) -> ReplyRead:
    try:
        sent = _as_sent(text, channel=earlier.channel, settings=settings, person=person)
    except Problem:
        sent = None
    same = (
        earlier.participant_id == person.id
        and earlier.body_encrypted is not None
        and get_cipher().decrypt(earlier.body_encrypted) == sent
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
        participant_id=person.id,
        channel=earlier.channel,
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
    if idempotency_key:
        earlier = session.scalar(
            select(Message).where(Message.dedupe_key.in_(_dedupe_keys(actor, idempotency_key)))
        )
        if earlier is not None:
            return _replay(
                earlier,
                inbox_message_id=inbound.id,
                person=person,
                text=data.text,
                settings=settings,
            )
    if person.opted_out_at is not None:
        raise Problem(
            status=409,
            type_="opted-out",
            title="The person opted out of SMS; Birge does not write to them",
        )
    if person.phone_encrypted is None:
        raise Problem(status=409, type_="no-phone", title="The person has no phone number")
    channel = answer_channel(
        session=session,
        person=person,
        wrote_on=inbound.channel,
        purpose=COORDINATOR_REPLY,
        now=now,
    )
    text = _as_sent(data.text, channel=channel, settings=settings, person=person)
    segments = count_segments(text).segments if channel is MessageChannel.SMS else 0
    if segments and over_budget(
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
        channel=channel,
    )
    if answer_id is None:
        # The same key, just used by this user for an answer to another text.
        raise invalid(
            "Idempotency-Key",
            "this key was already used for a different answer; use a new key",
            type_="idempotency-key-reused",
        )
    enqueue(session=session, payload=CHANNELS[channel].send_task([answer_id]))
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="inbox.reply",
        object_type="message",
        object_id=inbound.id,
        details={"reply_id": str(answer_id), "channel": channel.value, "segments": segments},
    )
    mark_handled(session=session, actor=actor, message_id=inbound.id, now=now)
    return ReplyRead(
        id=answer_id,
        inbox_message_id=inbound.id,
        participant_id=person.id,
        channel=channel,
        status=MessageStatus.PLANNED,
        segments=segments,
        replayed=False,
    )
