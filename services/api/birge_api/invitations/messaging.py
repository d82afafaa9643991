"""A coordinator's own message to everyone confirmed for an event ("the room changed to 204").

Each confirmed person gets it on their first messenger that can carry a coordinator's words
now (`birge_shared.free_text.free_text_channels`): Telegram, WhatsApp inside their 24-hour
window, else SMS. The SMS texts are counted into segments as carriers bill them (in Latin
letters, one segment, for an operator that does not join parts). It is planned as one message
per person, released as one batch under the rule every bulk send follows
(`budget.hold_or_queue`): within the city's daily SMS budget it is queued through the outbox,
past it the batch waits for an administrator's approval like a held invitation batch. The
sender sends it like every message (quiet hours, opt-outs and a started or cancelled event
still stop it, an approval too late included). The Idempotency-Key makes a double-click or a
reload plan each person's message once, whichever channel it went on.
"""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.events.service import get_event
from birge_api.invitations.roster import require_open
from birge_api.invitations.schemas import MessageEstimate, MessageSent, Price
from birge_api.problems import Problem, invalid
from birge_shared import audit
from birge_shared.budget import hold_or_queue
from birge_shared.bulk import among
from birge_shared.crypto import get_cipher
from birge_shared.free_text import EVENT_MESSAGE, free_text_channels, plan_free_text
from birge_shared.invitations import is_eligible
from birge_shared.models import (
    BatchKind,
    BatchStatus,
    Event,
    Invitation,
    InvitationBatch,
    InvitationStatus,
    Message,
    MessageChannel,
    Participant,
    utcnow,
)
from birge_shared.outbound.dedupe import DedupeKey, KeySubject
from birge_shared.outbound.plan import Planned
from birge_shared.settings import Settings
from birge_shared.sms.operators import brands
from birge_shared.sms.render import (
    OneSegmentError,
    SmsRoute,
    SmsText,
    free_text_for,
    route_for,
)
from birge_shared.sms.reply_instructions import reply_instruction
from birge_shared.sms.segments import count_segments, estimate_price

#: The longest text in Latin letters that one segment holds (GSM-7).
ONE_SEGMENT_LATIN = 160

MAX_KEY_LENGTH = 100
#: The messengers a coordinator's words may go on, in the order the answers list them.
MESSENGERS = (MessageChannel.WHATSAPP, MessageChannel.TELEGRAM, MessageChannel.SMS)


def _recipients(session: Session, event: Event) -> list[tuple[Invitation, Participant]]:
    rows = session.execute(
        select(Invitation, Participant)
        .join(Participant, Invitation.participant_id == Participant.id)
        .where(Invitation.event_id == event.id, Invitation.status == InvitationStatus.ACCEPTED)
        .order_by(Invitation.created_at, Invitation.id)
    ).all()
    return [
        (invitation, person)
        for invitation, person in rows
        if is_eligible(person) and person.phone_encrypted is not None
    ]


def _clean(text: str, settings: Settings) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise invalid("text", "the message is empty")
    asked = None if settings.sms_replies else reply_instruction(cleaned)
    if asked is not None:
        raise invalid(
            "text",
            f"the message asks for an SMS reply ({asked!r}), but replies cannot reach Birge "
            "(SMS_TWO_WAY is off)",
            type_="asks-for-reply",
        )
    return cleaned


def _texts(
    settings: Settings,
    recipients: list[tuple[Invitation, Participant]],
    channels: dict[uuid.UUID, MessageChannel],
    text: str,
) -> list[SmsText]:
    """The text each recipient gets: as written on a messenger, and by SMS in Latin letters
    where their operator needs one segment.

    Refused (422) when it cannot fit one segment for such an operator even then: a coordinator's
    words are not shortened for them, and parts would arrive apart.
    """
    cipher = get_cipher()
    texts = []
    for _invitation, person in recipients:
        if channels[person.id] is not MessageChannel.SMS:
            texts.append(SmsText(text))
            continue
        assert person.phone_encrypted is not None  # _recipients keeps people with a number
        route = route_for(settings, cipher.decrypt(person.phone_encrypted))
        try:
            texts.append(free_text_for(text, route))
        except OneSegmentError:
            raise invalid(
                "text",
                f"{brands(settings.sms_single_segment_operators)} do not join SMS parts: keep "
                f"the message to {ONE_SEGMENT_LATIN} Latin characters (one segment)",
                type_="too-long-for-operator",
            ) from None
    return texts


def _channels(
    session: Session, recipients: list[tuple[Invitation, Participant]]
) -> dict[uuid.UUID, MessageChannel]:
    return free_text_channels(
        session=session,
        people=[person for _, person in recipients],
        purpose=EVENT_MESSAGE,
        now=utcnow(),
    )


def _by_channel(channels: dict[uuid.UUID, MessageChannel]) -> dict[str, int]:
    counts = Counter(channel.value for channel in channels.values())
    return {channel.value: counts[channel.value] for channel in MESSENGERS if counts[channel.value]}


def estimate(
    *, session: Session, actor: Actor, settings: Settings, event_id: uuid.UUID, text: str
) -> MessageEstimate:
    """What sending `text` to the confirmed people would cost; writes nothing."""
    event = get_event(session=session, actor=actor, event_id=event_id)
    cleaned = text.strip()
    count = count_segments(cleaned)
    people = _recipients(session, event)
    channels = _channels(session, people)
    by_sms = [person for _, person in people if channels[person.id] is MessageChannel.SMS]
    cipher = get_cipher()
    one_segment = 0
    for person in by_sms:
        assert person.phone_encrypted is not None  # _recipients keeps people with a number
        one_segment += route_for(settings, cipher.decrypt(person.phone_encrypted)).one_segment
    fitted: SmsText | None = None
    if one_segment:
        with contextlib.suppress(OneSegmentError):
            fitted = free_text_for(
                cleaned, SmsRoute(two_way=settings.sms_replies, one_segment=True)
            )
    segments = count.segments * (len(by_sms) - one_segment) + (
        count_segments(fitted.text).segments * one_segment if fitted is not None else 0
    )
    return MessageEstimate(
        recipients=len(people),
        channels=_by_channel(channels),
        encoding=count.encoding,
        characters=count.characters,
        segments_each=count.segments,
        segments=segments,
        one_segment_recipients=one_segment,
        one_segment_operators=brands(settings.sms_single_segment_operators),
        one_segment_text=fitted.text if fitted is not None and fitted.latin else None,
        one_segment_fits=fitted is not None or not one_segment,
        reply_instruction=None if settings.sms_replies else reply_instruction(cleaned),
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

    Each person gets it on their first messenger that can carry it now (`free_text_channels`).
    Past the city's daily SMS budget the messages are planned but held, in a batch awaiting
    an administrator's approval (`held` in the answer).
    """
    body = _clean(text, settings)
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
    earlier = _earlier_batch(session, recipients, key)
    if earlier is not None:
        # The same key again: everything was planned by the first request, in its batch, on
        # the channels chosen then (a WhatsApp window that closed since changes nothing).
        return MessageSent(
            recipients=len(recipients),
            planned=0,
            segments=earlier.segments,
            estimated_price=Price(
                amount=estimate_price(earlier.segments, settings.sms_price_per_segment),
                currency=settings.sms_price_currency,
            ),
            batch_id=earlier.id,
            held=earlier.status is BatchStatus.AWAITING_APPROVAL,
        )
    channels = _channels(session, recipients)
    texts = _texts(settings, recipients, channels, body)
    segments = sum(
        count_segments(each.text).segments
        for (_, person), each in zip(recipients, texts, strict=True)
        if channels[person.id] is MessageChannel.SMS
    )
    price = Price(
        amount=estimate_price(segments, settings.sms_price_per_segment),
        currency=settings.sms_price_currency,
    )
    planned = Planned()
    for (invitation, person), each in zip(recipients, texts, strict=True):
        channel = channels[person.id]
        message_id = plan_free_text(
            session=session,
            purpose=EVENT_MESSAGE,
            participant_id=invitation.participant_id,
            invitation_id=invitation.id,
            text=each.text,
            version=key,
            channel=channel,
        )
        if message_id is not None:
            planned.add(channel, message_id)
    if not planned:
        return MessageSent(
            recipients=len(recipients),
            planned=0,
            segments=segments,
            estimated_price=price,
            channels=_by_channel(channels),
        )
    batch = hold_or_queue(
        session=session,
        event=event,
        kind=BatchKind.MESSAGE,
        planned=planned,
        segments=segments,
        budget=settings.sms_daily_segment_budget,
        created_by_id=actor.user_id,
        now=utcnow(),
    )
    held = batch.status is BatchStatus.AWAITING_APPROVAL
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="event.message_confirmed",
        object_type="event",
        object_id=event.id,
        # Counts only: the text itself is personal enough to stay out of the audit log.
        details={
            "recipients": len(recipients),
            "planned": len(planned.all()),
            "channels": _by_channel(channels),
            "segments": segments,
            "batch_id": str(batch.id),
            "held": held,
        },
    )
    return MessageSent(
        recipients=len(recipients),
        planned=len(planned.all()),
        channels=_by_channel(channels),
        segments=segments,
        estimated_price=price,
        batch_id=batch.id,
        held=held,
    )


def _earlier_batch(
    session: Session, recipients: list[tuple[Invitation, Participant]], key: str
) -> InvitationBatch | None:
    """The batch a request with this Idempotency-Key made already, on whichever messenger."""
    keys = [
        str(
            DedupeKey(
                subject=KeySubject.INVITATION,
                subject_id=str(invitation.id),
                channel=channel,
                purpose=EVENT_MESSAGE,
                version=key,
            )
        )
        for invitation, _ in recipients
        for channel in MESSENGERS
    ]
    return session.scalar(
        select(InvitationBatch)
        .join(Message, Message.batch_id == InvitationBatch.id)
        .where(among(session, Message.dedupe_key, keys))
        .limit(1)
    )
