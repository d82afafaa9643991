"""Invitations to one event: preview a balanced list, send it as a batch, watch it, list it.

Sending writes the invitations, one batch row and one outbox row in the caller's transaction;
the fan-out worker plans and sends the SMS. Nothing here talks to the broker or the provider.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.events.service import get_event
from birge_api.invitations import idempotency
from birge_api.invitations.budget import over_budget
from birge_api.invitations.cost import (
    invitation_cost,
    invitation_samples,
    sms_recipient,
    split_by_channel,
)
from birge_api.invitations.delivery import (
    ROSTER_STATUS,
    current_messenger,
    messages_by_invitation,
)
from birge_api.invitations.schemas import (
    BatchCounts,
    BatchCreated,
    BatchRead,
    BatchState,
    ChannelDelivery,
    Cost,
    CostText,
    Delivery,
    Excluded,
    InvitationListItem,
    InvitationPreview,
    InvitationRequest,
    InvitationWarning,
    Mix,
    Price,
    Seats,
    WhatsAppCost,
)
from birge_api.invitations.selection import Selection, check_request, select_people
from birge_api.invitations.warnings import band_shortfall, invitation_warnings, nobody_detail
from birge_api.pagination import decode_cursor
from birge_api.problems import Problem, conflict, invalid, not_found
from birge_shared import audit, buddies
from birge_shared.budget import Recipient, messages_of
from birge_shared.bulk import among, insert_rows
from birge_shared.crypto import get_cipher
from birge_shared.models import (
    BatchKind,
    BatchStatus,
    Community,
    Event,
    EventStatus,
    Invitation,
    InvitationBatch,
    InvitationStatus,
    Language,
    Message,
    MessageChannel,
    MessageStatus,
    Participant,
    Role,
    TemplateCategory,
    utcnow,
)
from birge_shared.models.invitation import new_token, token_hash
from birge_shared.outbound.plan import queue_planned
from birge_shared.outbox import enqueue
from birge_shared.phones import mask
from birge_shared.settings import Settings
from birge_shared.sms.overrides import load_overrides
from birge_shared.tasks import InvitationsFanOut

_DELIVERY: dict[MessageStatus, str] = {
    MessageStatus.PLANNED: "planned",
    MessageStatus.SENDING: "planned",
    MessageStatus.QUEUED: "sent",
    MessageStatus.SENT: "sent",
    MessageStatus.DELIVERED: "delivered",
    MessageStatus.READ: "delivered",
    MessageStatus.FAILED: "failed",
    MessageStatus.UNDELIVERED: "failed",
    MessageStatus.SKIPPED: "skipped",
}
_ANSWER: dict[InvitationStatus, str] = {
    InvitationStatus.ACCEPTED: "accepted",
    InvitationStatus.ATTENDED: "accepted",
    InvitationStatus.NO_SHOW: "accepted",
    InvitationStatus.DECLINED: "declined",
    InvitationStatus.WAITLISTED: "waitlisted",
    InvitationStatus.EXPIRED: "expired",
    InvitationStatus.WITHDRAWN: "withdrawn",
}


def require_open(event: Event, *, consequence: str = "nobody can be invited any more") -> None:
    """A 409 once the event is cancelled, completed or has started."""
    if event.status is not EventStatus.SCHEDULED or event.starts_at <= utcnow():
        state = "over" if event.status is EventStatus.SCHEDULED else event.status.value
        raise Problem(
            status=409,
            type_="event-not-open",
            title=f"The event is {state}: {consequence}",
        )


def preview(
    *,
    session: Session,
    actor: Actor,
    settings: Settings,
    event_id: uuid.UUID,
    request: InvitationRequest,
) -> InvitationPreview:
    """What sending this request would do now, and what it would cost. Writes nothing."""
    check_request(request, settings)
    event = get_event(session=session, actor=actor, event_id=event_id)
    require_open(event)
    selection = select_people(session=session, event=event, request=request, settings=settings)
    invited = [selection.people[person_id] for person_id in selection.proposal.invite]
    split = split_by_channel(session=session, people=invited, allowed=request.channels)
    recipients = _sms_recipients(session, settings, split.sms)
    overrides = load_overrides(session)
    cost = invitation_cost(
        event=event,
        recipients=recipients,
        overrides=overrides,
        public_base_url=settings.public_base_url,
        price_per_segment=settings.sms_price_per_segment,
    )
    samples = invitation_samples(
        event=event,
        recipients=recipients,
        overrides=overrides,
        public_base_url=settings.public_base_url,
        price_per_segment=settings.sms_price_per_segment,
    )
    communities = Counter(person.community for person in invited)
    return InvitationPreview(
        invite=selection.proposal.invite,
        waitlist=selection.proposal.waitlist,
        excluded=Excluded(
            opted_out=selection.excluded.opted_out,
            no_consent=selection.excluded.no_consent,
            already_invited=selection.excluded.already_invited,
        ),
        mix=Mix(
            host=communities[Community.HOST],
            migrant=communities[Community.MIGRANT],
            unspecified=communities[None],
            min_share=event.min_share,
        ),
        seats=Seats(
            limit=selection.seat_limit, held=selection.held.total, open=selection.open_seats
        ),
        cost=Cost(
            messages=cost.messages,
            segments=cost.segments,
            estimated_price=Price(amount=cost.price, currency=settings.sms_price_currency),
            one_segment_messages=cost.one_segment_messages,
            one_segment_segments=cost.one_segment_segments,
            texts=[
                CostText(
                    language=sample.language,
                    people=sample.people,
                    text=sample.text,
                    encoding=sample.encoding,
                    segments_each=sample.segments_each,
                    price=sample.price,
                    one_segment=sample.one_segment,
                    shortened=sample.shortened,
                    latin=sample.latin,
                )
                for sample in samples
            ],
            whatsapp=WhatsAppCost(
                messages=sum(split.whatsapp.values()),
                utility=split.whatsapp[TemplateCategory.UTILITY],
                marketing=split.whatsapp[TemplateCategory.MARKETING],
                authentication=split.whatsapp[TemplateCategory.AUTHENTICATION],
            ),
            telegram_messages=split.other[MessageChannel.TELEGRAM],
        ),
        warnings=invitation_warnings(
            event=event, selection=selection, settings=settings, now=utcnow()
        ),
    )


def sms_budgeted(
    people: Sequence[Participant], channels: Collection[MessageChannel] | None
) -> Sequence[Participant]:
    """Everyone whose invitation could end up an SMS, which the budget holds segments for: a
    WhatsApp or Telegram message that fails for good falls back to SMS once."""
    if channels is not None and MessageChannel.SMS not in channels:
        return []
    return people


@dataclass(frozen=True)
class CreatedBatch:
    batch: BatchCreated
    #: True when an earlier request with the same Idempotency-Key made this batch.
    replayed: bool


def create_batch(
    *,
    session: Session,
    actor: Actor,
    settings: Settings,
    event_id: uuid.UUID,
    request: InvitationRequest,
    idempotency_key: str | None = None,
) -> CreatedBatch:
    """Invite the proposal's people and waitlist the rest, as one batch.

    The event row is locked while seats are counted and filled, so two batches for one event
    cannot both take the same free seats.
    """
    check_request(request, settings)
    request_fingerprint = idempotency.fingerprint(event_id, request)
    event = get_event(session=session, actor=actor, event_id=event_id, lock=True)
    if idempotency_key is not None:
        # Looked up after taking the lock: a retry that raced the first request for this
        # event waited for it here and now sees its batch. A replay answers even when the
        # event has closed since, as the first answer did.
        earlier = idempotency.find_batch(session, user_id=actor.user_id, key=idempotency_key)
        if earlier is not None:
            return _replay(session=session, batch=earlier, fp=request_fingerprint)
    require_open(event)
    now = utcnow()
    selection = select_people(session=session, event=event, request=request, settings=settings)
    if not selection.proposal.invite and not selection.proposal.waitlist:
        field = "participant_ids" if request.participant_ids is not None else "criteria"
        raise Problem(
            status=422,
            type_="nobody-to-invite",
            title="Nobody in this selection can be invited",
            detail=nobody_detail(selection, band_shortfall(event=event, selection=selection)),
            errors=[{"field": field, "detail": "nobody in this selection can be invited"}],
        )
    warnings = invitation_warnings(event=event, selection=selection, settings=settings, now=now)

    invited = [selection.people[person_id] for person_id in selection.proposal.invite]
    segments = invitation_cost(
        event=event,
        recipients=_sms_recipients(session, settings, sms_budgeted(invited, request.channels)),
        overrides=load_overrides(session),
        public_base_url=settings.public_base_url,
        price_per_segment=settings.sms_price_per_segment,
    ).segments
    held = over_budget(
        session=session,
        city_code=event.city_code,
        segments=segments,
        budget=settings.sms_daily_segment_budget,
        now=now,
    )
    batch = InvitationBatch(
        event_id=event.id,
        created_by_id=actor.user_id,
        idempotency_key=idempotency_key,
        request_fingerprint=request_fingerprint,
        invited=len(selection.proposal.invite),
        waitlisted=len(selection.proposal.waitlist),
        status=BatchStatus.AWAITING_APPROVAL if held else BatchStatus.QUEUED,
        segments=segments,
        released_at=None if held else now,
        channels=[channel.value for channel in request.channels]
        if request.channels is not None
        else None,
    )
    try:
        # The event lock serialises one event's requests; the same key sent for two events at
        # once meets here, on the unique key. The savepoint keeps the loser's transaction
        # usable to read the winner.
        with session.begin_nested():
            session.add(batch)
            session.flush()
    except IntegrityError as exc:
        if idempotency_key is None or not idempotency.is_key_conflict(exc):
            raise
        winner = idempotency.find_batch(session, user_id=actor.user_id, key=idempotency_key)
        assert winner is not None  # the conflicting row is committed, or we could not conflict
        return _replay(session=session, batch=winner, fp=request_fingerprint)

    _add_invitations(session, event=event, batch=batch, selection=selection)
    buddies.plan_nudges(session, event)  # sent the day before, if both buddies accept
    if selection.proposal.invite and not held:
        # Waitlist places get no message now; a freed seat invites them through the refill.
        # A held batch is queued when an administrator approves it.
        enqueue(session=session, payload=InvitationsFanOut(batch_id=batch.id))
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="invitations.create",
        object_type="invitation_batch",
        object_id=batch.id,
        details={
            "event_id": str(event.id),
            "selected_by": "participant_ids" if request.participant_ids is not None else "criteria",
            "invited": batch.invited,
            "waitlisted": batch.waitlisted,
            "status": batch.status.value,
            "segments": segments,
            "channels": batch.channels,
            "excluded": {
                "opted_out": selection.excluded.opted_out,
                "no_consent": selection.excluded.no_consent,
                "already_invited": selection.excluded.already_invited,
            },
        },
    )
    return CreatedBatch(batch=_batch_created(session, batch, warnings), replayed=False)


def approve_batch(
    *, session: Session, actor: Actor, event_id: uuid.UUID, batch_id: uuid.UUID
) -> BatchRead:
    """Release a batch held over the city's daily SMS budget: queue its messages, once.

    A coordinator's batch is fanned out now; a held refill or change notice queues the
    messages it planned when it was held.
    """
    event = get_event(session=session, actor=actor, event_id=event_id, lock=True)
    batch = session.scalar(
        select(InvitationBatch)
        .where(InvitationBatch.id == batch_id, InvitationBatch.event_id == event.id)
        .with_for_update()
    )
    if batch is None:
        raise not_found("Batch")
    if batch.status is not BatchStatus.AWAITING_APPROVAL:
        raise conflict("batch-not-awaiting-approval", "The batch is not awaiting approval")
    require_open(event)
    batch.status = BatchStatus.QUEUED
    batch.released_at = utcnow()
    if batch.kind is BatchKind.INVITATIONS:
        if batch.invited:
            enqueue(session=session, payload=InvitationsFanOut(batch_id=batch.id))
    else:
        # A refill, a change notice or a message planned its messages when it was held.
        queue_planned(session=session, planned=messages_of(session, batch.id))
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="invitations.approve",
        object_type="invitation_batch",
        object_id=batch.id,
        details={
            "event_id": str(event.id),
            "kind": batch.kind.value,
            "invited": batch.invited,
            "segments": batch.segments,
        },
    )
    session.flush()
    return _batch_read(session, batch)


#: Invitations written per INSERT: well under SQLite's and PostgreSQL's bound-parameter caps.
_INVITATIONS_PER_INSERT = 500
#: People whose numbers are read in one query: well under PostgreSQL's bound-parameter cap.
_PHONES_PER_QUERY = 5000


def _sms_recipients(
    session: Session, settings: Settings, people: Sequence[Participant]
) -> list[Recipient]:
    """Each person's language and SMS route. The selection leaves the encrypted numbers in the
    table, so they are read here by id, a few thousand per query: reading each as an
    attribute would cost one query per person."""
    phones: dict[uuid.UUID, str | None] = {}
    ids = [person.id for person in people]
    for start in range(0, len(ids), _PHONES_PER_QUERY):
        rows = session.execute(
            select(Participant.id, Participant.phone_encrypted).where(
                among(session, Participant.id, ids[start : start + _PHONES_PER_QUERY])
            )
        )
        phones.update((person_id, phone) for person_id, phone in rows)
    return [sms_recipient(settings, person.language, phones.get(person.id)) for person in people]


def _add_invitations(
    session: Session, *, event: Event, batch: InvitationBatch, selection: Selection
) -> None:
    statuses = [(person_id, InvitationStatus.PLANNED) for person_id in selection.proposal.invite]
    statuses += [
        (person_id, InvitationStatus.WAITLISTED) for person_id in selection.proposal.waitlist
    ]
    cipher = get_cipher()
    now = utcnow()
    rows: list[dict[str, object]] = []
    for person_id, status in statuses:
        token = new_token()
        rows.append(
            {
                "id": uuid.uuid4(),
                "event_id": event.id,
                "participant_id": person_id,
                "status": status,
                "batch_id": batch.id,
                "token_hash": token_hash(token, cipher),
                "token_encrypted": cipher.encrypt(token),
                "walk_in": False,
                "created_at": now,
                "updated_at": now,
            }
        )
    # Rows, not ORM objects: a batch of ten thousand would otherwise spend most of the request
    # building, tracking and flushing objects nothing here reads again.
    table = cast(Table, Invitation.__table__)
    for start in range(0, len(rows), _INVITATIONS_PER_INSERT):
        insert_rows(session, table, rows[start : start + _INVITATIONS_PER_INSERT])


def _replay(*, session: Session, batch: InvitationBatch, fp: str) -> CreatedBatch:
    # The fingerprint covers the event id, so a match is a batch of the event the caller
    # was just allowed to see.
    idempotency.check_replay(batch, fp)
    return CreatedBatch(batch=_batch_created(session, batch, []), replayed=True)


def _batch_created(
    session: Session, batch: InvitationBatch, warnings: list[InvitationWarning]
) -> BatchCreated:
    return BatchCreated(**_batch_read(session, batch).model_dump(), warnings=warnings)


def get_batch(
    *, session: Session, actor: Actor, event_id: uuid.UUID, batch_id: uuid.UUID
) -> BatchRead:
    event = get_event(session=session, actor=actor, event_id=event_id)
    batch = session.get(InvitationBatch, batch_id)
    if batch is None or batch.event_id != event.id:
        raise not_found("Invitation batch")
    return _batch_read(session, batch)


def _batch_read(session: Session, batch: InvitationBatch) -> BatchRead:
    sms = and_(
        Message.invitation_id == Invitation.id,
        Message.purpose == "invitation",
        current_messenger(),
    )
    if batch.kind is BatchKind.INVITATIONS:
        query = (
            select(Invitation.status, Message.status, func.count())
            .select_from(Invitation)
            .outerjoin(Message, sms)
            .where(Invitation.batch_id == batch.id)
        )
    else:
        # A refill, change notice or message: the SMS released with it, and their invitations.
        query = (
            select(Invitation.status, Message.status, func.count())
            .select_from(Message)
            .join(Invitation, Message.invitation_id == Invitation.id)
            .where(Message.batch_id == batch.id, current_messenger())
        )
    rows = session.execute(query.group_by(Invitation.status, Message.status))
    counts: Counter[str] = Counter()
    for invitation_status, message_status, count in rows:
        if message_status is not None:
            delivery = _DELIVERY.get(message_status)
        elif invitation_status is InvitationStatus.PLANNED:
            delivery = "planned"  # the fan-out has not planned its message yet
        else:
            delivery = None
        if delivery is not None:
            counts[delivery] += count
        answer = _ANSWER.get(invitation_status)
        # A notice or a message goes to people who answered already: its answers are not its.
        if answer is not None and batch.kind in (BatchKind.INVITATIONS, BatchKind.REFILL):
            counts[answer] += count
    return BatchRead(
        id=batch.id,
        event_id=batch.event_id,
        kind=batch.kind,
        changes=batch.changes,
        created_at=batch.created_at,
        invited=batch.invited,
        waitlisted=batch.waitlisted,
        status=batch_state(batch.status, left_to_send=counts["planned"]),
        estimated_segments=batch.segments,
        channels=[MessageChannel(name) for name in batch.channels]
        if batch.channels is not None
        else None,
        counts=BatchCounts(**counts),
    )


def batch_state(status: BatchStatus, *, left_to_send: int) -> BatchState:
    """`done` once a released batch has nothing left to send.

    Stored, a batch is only `queued` or `awaiting_approval`: its messages then settle one by
    one (sent, delivered, failed, or skipped when no longer wanted), and a batch whose
    invitations all ended without a message (withdrawn, or waitlisted only) has nothing to
    send at all. Left to send: planned or in-flight messages, and planned invitations whose
    message the fan-out has not planned yet.
    """
    if status is BatchStatus.AWAITING_APPROVAL:
        return BatchState.AWAITING_APPROVAL
    return BatchState.DONE if left_to_send == 0 else BatchState.QUEUED


def list_batches(
    *,
    session: Session,
    actor: Actor,
    event_id: uuid.UUID,
    status: BatchStatus | None,
    limit: int,
) -> list[BatchRead]:
    """The event's batches, newest first: coordinators' requests, refills and change notices."""
    event = get_event(session=session, actor=actor, event_id=event_id)
    query = select(InvitationBatch).where(InvitationBatch.event_id == event.id)
    if status is not None:
        query = query.where(InvitationBatch.status == status)
    batches = session.scalars(
        query.order_by(InvitationBatch.created_at.desc(), InvitationBatch.id).limit(limit)
    )
    return [_batch_read(session, batch) for batch in batches]


def list_awaiting_approval(*, session: Session, actor: Actor, limit: int) -> list[BatchRead]:
    """Batches held over a daily SMS budget in the caller's cities, oldest first: the queue
    an administrator works through."""
    query = (
        select(InvitationBatch)
        .join(Event, Event.id == InvitationBatch.event_id)
        .where(InvitationBatch.status == BatchStatus.AWAITING_APPROVAL)
    )
    if actor.cities is not None:
        query = query.where(Event.city_code.in_(sorted(actor.cities)))
    batches = session.scalars(
        query.order_by(InvitationBatch.created_at, InvitationBatch.id).limit(limit)
    )
    return [_batch_read(session, batch) for batch in batches]


def list_invitations(
    *,
    session: Session,
    actor: Actor,
    event_id: uuid.UUID,
    statuses: Collection[str],
    limit: int,
    cursor: str | None,
) -> tuple[list[InvitationListItem], bool]:
    """A page of the event's invitations, oldest first; the flag says whether more follow.

    Each carries the delivery of its invitation SMS; coordinators and admins also see the
    person's name and masked phone (viewers never do, and erased people have neither).
    """
    wanted = parse_statuses(statuses)
    event = get_event(session=session, actor=actor, event_id=event_id)
    invitation_sms = and_(
        Message.invitation_id == Invitation.id,
        Message.purpose == "invitation",
        current_messenger(),
    )
    # Columns, not entities: building hundreds of ORM objects costs far more than the query.
    query = (
        select(*_ROSTER_COLUMNS)
        .join(Participant, Invitation.participant_id == Participant.id)
        .outerjoin(Message, invitation_sms)
        .where(Invitation.event_id == event.id)
    )
    if wanted:
        query = query.where(Invitation.status.in_(wanted))
    if cursor:
        after_created, after_id = decode_cursor(cursor)
        query = query.where(
            or_(
                Invitation.created_at > after_created,
                and_(Invitation.created_at == after_created, Invitation.id > after_id),
            )
        )
    query = query.order_by(Invitation.created_at, Invitation.id).limit(limit + 1)
    rows = session.execute(query).all()
    show_people = actor.role is not Role.VIEWER
    page = rows[:limit]
    channels = messages_by_invitation(session, [row.invitation_id for row in page])
    items = [
        _list_item(
            **row._mapping,
            messages=channels.get(row.invitation_id, []),
            show_people=show_people,
        )
        for row in page
    ]
    return items, len(rows) > limit


def parse_statuses(values: Collection[str]) -> list[InvitationStatus]:
    """`?status=a&status=b` and `?status=a,b` alike; an unknown status is a 422."""
    known = {status.value: status for status in InvitationStatus}
    wanted: list[InvitationStatus] = []
    for value in values:
        for part in value.split(","):
            name = part.strip().lower()
            if not name:
                continue
            if name not in known:
                raise invalid(
                    "status", f"unknown status {name[:40]!r}; one of {', '.join(sorted(known))}"
                )
            if known[name] not in wanted:
                wanted.append(known[name])
    return wanted


_ROSTER_COLUMNS = (
    Invitation.id.label("invitation_id"),
    Invitation.participant_id,
    Invitation.status,
    Invitation.walk_in,
    Invitation.batch_id,
    Invitation.sent_at,
    Invitation.expires_at,
    Invitation.responded_at,
    Invitation.closed_reason,
    Invitation.created_at,
    Participant.erased_at,
    Participant.name_encrypted,
    Participant.phone_encrypted,
    Participant.community,
    Participant.language,
    Message.status.label("message_status"),
    Message.error_reason.label("message_reason"),
    Message.error_code.label("message_code"),
    Message.updated_at.label("message_updated_at"),
)


def roster_item(
    invitation: Invitation,
    person: Participant,
    message: Message | None,
    *,
    show_people: bool,
    session: Session | None = None,
) -> InvitationListItem:
    """One roster line from the rows themselves (`list_invitations` reads columns instead)."""
    return _list_item(
        invitation_id=invitation.id,
        participant_id=invitation.participant_id,
        status=invitation.status,
        walk_in=invitation.walk_in,
        batch_id=invitation.batch_id,
        sent_at=invitation.sent_at,
        expires_at=invitation.expires_at,
        responded_at=invitation.responded_at,
        closed_reason=invitation.closed_reason,
        created_at=invitation.created_at,
        erased_at=person.erased_at,
        name_encrypted=person.name_encrypted,
        phone_encrypted=person.phone_encrypted,
        community=person.community,
        language=person.language,
        message_status=message.status if message is not None else None,
        message_reason=message.error_reason if message is not None else None,
        message_code=message.error_code if message is not None else None,
        message_updated_at=message.updated_at if message is not None else None,
        messages=messages_by_invitation(session, [invitation.id]).get(invitation.id, [])
        if session is not None
        else [],
        show_people=show_people,
    )


def _list_item(
    *,
    invitation_id: uuid.UUID,
    participant_id: uuid.UUID,
    status: InvitationStatus,
    walk_in: bool,
    batch_id: uuid.UUID | None,
    sent_at: datetime | None,
    expires_at: datetime | None,
    responded_at: datetime | None,
    closed_reason: str | None,
    created_at: datetime,
    erased_at: datetime | None,
    name_encrypted: str | None,
    phone_encrypted: str | None,
    community: Community | None,
    language: Language,
    message_status: MessageStatus | None,
    message_reason: str | None,
    message_code: str | None,
    message_updated_at: datetime | None,
    messages: list[ChannelDelivery],
    show_people: bool,
) -> InvitationListItem:
    name = phone = None
    if show_people and erased_at is None:
        cipher = get_cipher()
        if name_encrypted is not None:
            name = cipher.decrypt(name_encrypted)
        if phone_encrypted is not None:
            phone = mask(cipher.decrypt(phone_encrypted))
    delivery = None
    if message_status is not None:
        delivery = Delivery(
            status=ROSTER_STATUS[message_status],
            reason=message_reason,
            error_code=message_code,
            updated_at=message_updated_at,
        )
    elif status is InvitationStatus.PLANNED:
        delivery = Delivery(status="planned", reason=None, error_code=None, updated_at=None)
    return InvitationListItem(
        id=invitation_id,
        participant_id=participant_id,
        name=name,
        phone_masked=phone,
        status=status,
        walk_in=walk_in,
        community=community,
        language=language,
        batch_id=batch_id,
        delivery=delivery,
        messages=messages,
        sent_at=sent_at,
        expires_at=expires_at,
        responded_at=responded_at,
        closed_reason=closed_reason,
        created_at=created_at,
    )
