"""The daily SMS segment budget of a city, and releasing SMS against it.

Every SMS a city sends counts against its local day's `SMS_DAILY_SEGMENT_BUDGET` (0 means no
limit). What it sends in bulk is released as a batch and counted on the day it is released
(created within the budget, or approved), with the segments estimated when it was made: a
coordinator's invitations, the invitations a freed seat gives to the waitlist, the notices of
an event change, and a coordinator's own message to the confirmed people. Only such a batch
is held for an administrator when it would take the day past the budget (`hold_or_queue`).
Every other SMS (reminders, survey questions, confirmations, cancellations, help and opt-out
replies) is never held, since it must still go out, but once sent it uses up
the day's budget with its segments, so a later batch that day sees less left.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, exists, func, or_, select, update
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import (
    BatchKind,
    BatchStatus,
    City,
    Event,
    Invitation,
    InvitationBatch,
    Language,
    Message,
    MessageChannel,
    MessageDirection,
    MessagePurpose,
    Participant,
    utcnow,
)
from birge_shared.outbound.choice import CHOOSABLE
from birge_shared.outbound.plan import Planned, queue_planned
from birge_shared.settings import Settings, get_settings
from birge_shared.sms.overrides import load_overrides
from birge_shared.sms.render import SmsRoute, personal_link, render_event_text, route_for
from birge_shared.sms.segments import count_segments

#: Stands in for a personal-link token: real ones (`secrets.token_urlsafe(32)`) are always 43
#: characters of the URL-safe alphabet, all of them GSM-7, so the stand-in costs the same.
PLACEHOLDER_TOKEN = "x" * 43

#: Whom one SMS goes to, as far as its text and cost go: their language and their route.
Recipient = tuple[Language, SmsRoute]


def sms_recipient(settings: Settings, language: Language, phone_encrypted: str | None) -> Recipient:
    """A participant as `sms_segments` counts them; a person without a number joins parts."""
    if phone_encrypted is None:
        return language, SmsRoute(two_way=settings.sms_replies)
    return language, route_for(settings, get_cipher().decrypt(phone_encrypted))


#: The purpose of an invitation SMS, which a coordinator's batch sends.
INVITATION = MessagePurpose.INVITATION


def local_day(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The start and end (aware) of the local calendar day around `now` in `timezone`."""
    zone = ZoneInfo(timezone)
    day = now.astimezone(zone).date()
    start = datetime.combine(day, time(0, 0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)
    return start, end


def released_today(*, session: Session, city: City, now: datetime) -> int:
    """Segments the city has used up on the local day of `now`.

    The segments of its batches (of every kind) released that day, plus those of its outbound
    SMS outside any batch sent that day (the provider's count; 1 while it is unknown). Such a
    message belongs to the city of its participant: every SMS has one, while many (help and
    opt-out replies, confirmations) have no invitation to reach an event through.

    A batch's SMS are counted with the batch, not again when sent: a refill's or a notice's
    carry its `batch_id`; a coordinator's invitations carry none, and are known by their
    invitation's batch.
    """
    start, end = local_day(now, city.timezone)
    batches = (
        select(func.coalesce(func.sum(InvitationBatch.segments), 0))
        .join(Event, InvitationBatch.event_id == Event.id)
        .where(
            Event.city_code == city.code,
            InvitationBatch.status == BatchStatus.QUEUED,
            InvitationBatch.released_at >= start,
            InvitationBatch.released_at < end,
        )
        .scalar_subquery()
    )
    singles = (
        select(func.coalesce(func.sum(func.coalesce(Message.segments, 1)), 0))
        .join(Participant, Message.participant_id == Participant.id)
        .where(
            Participant.city_code == city.code,
            Message.direction == MessageDirection.OUTBOUND,
            Message.channel == MessageChannel.SMS,
            Message.batch_id.is_(None),
            ~exists().where(
                Message.purpose == INVITATION,
                Invitation.id == Message.invitation_id,
                Invitation.batch_id.is_not(None),
            ),
            Message.sent_at >= start,
            Message.sent_at < end,
        )
        .scalar_subquery()
    )
    total = session.scalar(select(batches + singles))
    return int(total or 0)


def over_budget(
    *, session: Session, city_code: str, segments: int, budget: int, now: datetime
) -> bool:
    """Would releasing `segments` more today take the city past `budget`? Never when 0.

    The city row is locked first: two batches of one city (for different events) then count
    one after the other, and cannot both fit into the last of the day's budget.
    """
    if budget == 0:
        return False
    city = session.scalar(select(City).where(City.code == city_code).with_for_update())
    if city is None:
        raise LookupError("the event's city is unknown")
    return released_today(session=session, city=city, now=now) + segments > budget


def sms_segments(
    *,
    event: Event,
    purpose: str,
    recipients: Iterable[Recipient],
    overrides: Mapping[tuple[str, Language], str],
    public_base_url: str,
    changes: Sequence[str] = (),
) -> int:
    """The segments of one `purpose` SMS per recipient given, rendered as the workers will.

    Everyone with the same language and route gets the same text apart from their token, which
    has a fixed length, so each is rendered once and counted as often as it occurs.
    """
    link = personal_link(public_base_url, PLACEHOLDER_TOKEN)
    segments = 0
    for (language, route), people in Counter(recipients).items():
        text = render_event_text(
            purpose=purpose,
            language=language,
            route=route,
            title=event.title,
            venue=event.venue_name,
            starts_at=event.starts_at,
            timezone=event.city.timezone,
            link=link,
            overrides=overrides,
            changes=changes,
        ).text
        segments += count_segments(text).segments * people
    return segments


def release(
    *,
    session: Session,
    event: Event,
    kind: BatchKind,
    purpose: MessagePurpose,
    planned: Planned,
    changes: Sequence[str] | None = None,
    channels: Collection[MessageChannel] | None = None,
    now: datetime | None = None,
) -> InvitationBatch | None:
    """Queue planned messages of a refill or a change notice, or hold them past the budget.

    The messages join one batch of `kind`, counted against the city's day like a
    coordinator's batch. Past the budget the batch is `awaiting_approval` and nothing is queued
    (the e-mails wait with the SMS, as in a held batch); an administrator's approval queues
    them. The caller holds the event lock and commits. None when there is nothing to release.
    """
    if not planned:
        return None
    sms_ids = planned.of(MessageChannel.SMS)
    settings = get_settings()
    moment = now or utcnow()
    recipients = (
        [
            sms_recipient(settings, language, phone)
            for language, phone in session.execute(
                select(Participant.language, Participant.phone_encrypted)
                .join(Message, Message.participant_id == Participant.id)
                .where(Message.id.in_(list(sms_ids)))
            )
        ]
        if sms_ids
        else []
    )
    segments = sms_segments(
        event=event,
        purpose=purpose,
        recipients=recipients,
        overrides=load_overrides(session),
        public_base_url=settings.public_base_url,
        changes=changes or (),
    )
    return hold_or_queue(
        session=session,
        event=event,
        kind=kind,
        planned=planned,
        segments=segments,
        budget=settings.sms_daily_segment_budget,
        invited=len(sms_ids) if kind is BatchKind.REFILL else 0,
        changes=changes,
        channels=channels,
        now=moment,
    )


def hold_or_queue(
    *,
    session: Session,
    event: Event,
    kind: BatchKind,
    planned: Planned,
    segments: int,
    budget: int,
    invited: int = 0,
    created_by_id: uuid.UUID | None = None,
    changes: Sequence[str] | None = None,
    channels: Collection[MessageChannel] | None = None,
    now: datetime,
) -> InvitationBatch:
    """The one rule for planned messages: within the budget they are queued, past it held.

    They join a new batch of `kind` with their `segments`, counted against the city's day on
    the day it is released (`budget` is SMS_DAILY_SEGMENT_BUDGET, 0 for no limit). Past the
    budget the batch is `awaiting_approval` and nothing is queued; an administrator's approval
    (`messages_of`, `queue_planned`) queues them.
    """
    held = over_budget(
        session=session,
        city_code=event.city_code,
        segments=segments,
        budget=budget,
        now=now,
    )
    batch = InvitationBatch(
        event_id=event.id,
        created_by_id=created_by_id,
        request_fingerprint="",
        invited=invited,
        waitlisted=0,
        status=BatchStatus.AWAITING_APPROVAL if held else BatchStatus.QUEUED,
        segments=segments,
        released_at=None if held else now,
        kind=kind,
        changes=list(changes) if changes is not None else None,
        # The channels its messages were planned on (a refill follows the event's choice).
        channels=[channel.value for channel in CHOOSABLE if channel in channels]
        if channels is not None
        else None,
        created_at=now,
    )
    session.add(batch)
    session.flush()
    session.execute(
        update(Message)
        .where(Message.id.in_(planned.all()))
        .values(batch_id=batch.id)
        .execution_options(synchronize_session=False)
    )
    if not held:
        queue_planned(session=session, planned=planned)
    return batch


def messages_of(session: Session, batch_id: uuid.UUID) -> Planned:
    """The messages released with a batch other than invitations, by channel."""
    rows = session.execute(
        select(Message.id, Message.channel)
        .where(Message.batch_id == batch_id)
        .order_by(Message.created_at, Message.id)
    ).all()
    planned = Planned()
    for message_id, channel in rows:
        planned.add(channel, message_id)
    return planned


def is_held(session: Session, batch_id: uuid.UUID | None) -> bool:
    """Is this message's batch waiting for an administrator? Then it must not be sent yet."""
    if batch_id is None:
        return False
    status = session.scalar(select(InvitationBatch.status).where(InvitationBatch.id == batch_id))
    return status is BatchStatus.AWAITING_APPROVAL


def not_held() -> ColumnElement[bool]:
    """A condition on `Message`: its batch (if any) is not waiting for approval."""
    return or_(
        Message.batch_id.is_(None),
        ~exists().where(
            InvitationBatch.id == Message.batch_id,
            InvitationBatch.status == BatchStatus.AWAITING_APPROVAL,
        ),
    )


def changes_of(session: Session, batch_id: uuid.UUID | None) -> list[str]:
    """What a change notice is about (`time`, `place`, `title`), kept on its batch."""
    if batch_id is None:
        return []
    changes = session.scalar(select(InvitationBatch.changes).where(InvitationBatch.id == batch_id))
    return list(changes or [])
