"""What happens to seats when people answer: shared by the participant page (API) and SMS
replies, expiries and failed deliveries (workers).

Every change of seats locks the event row first, so two answers for the same event are applied
one after the other and the mix band is checked against the real count.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared.balance import (
    Candidate,
    Held,
    in_band,
    next_from_waitlist,
    seat_limit,
    why_seat_is_open,
)
from birge_shared.budget import release
from birge_shared.bulk import among
from birge_shared.models import (
    BatchKind,
    Community,
    Event,
    EventStatus,
    Invitation,
    InvitationStatus,
    MessagePurpose,
    Participant,
    utcnow,
)
from birge_shared.outbound.choice import latest_choice
from birge_shared.outbound.plan import plan_invitations
from birge_shared.settings import Settings, get_settings

#: Invitations that hold a seat: the confirmed set if everyone still to answer says yes.
HOLDING = (InvitationStatus.PLANNED, InvitationStatus.SENT, InvitationStatus.ACCEPTED)
#: However the deadline falls, an invitation does not expire in the minute it was sent.
SHORTEST_LIFE = timedelta(minutes=1)
#: Invitations a participant can still answer or change their answer to.
ANSWERABLE = (
    InvitationStatus.SENT,
    InvitationStatus.ACCEPTED,
    InvitationStatus.DECLINED,
    InvitationStatus.EXPIRED,
)


class Answer(enum.StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"


class RsvpClosedError(Exception):
    """The invitation can no longer be answered (event over, cancelled, or never sent)."""


@dataclass
class RsvpOutcome:
    invitation: Invitation
    previous: InvitationStatus
    changed: bool
    refill: RefillResult | None = None


@dataclass
class RefillResult:
    invited: list[Invitation] = field(default_factory=list)
    open_seats: int = 0
    #: Why seats stay open although people are waiting (for the coordinator), or None.
    reason: str | None = None


def lock_event(session: Session, event_id: uuid.UUID) -> Event:
    event = session.scalar(select(Event).where(Event.id == event_id).with_for_update(of=Event))
    if event is None:
        raise LookupError("event not found")
    return event


def is_eligible(participant: Participant) -> bool:
    """May this person be sent an invitation at all?"""
    return (
        participant.erased_at is None
        and participant.opted_out_at is None
        and participant.consent_given_at is not None
    )


def held_seats(session: Session, event_id: uuid.UUID) -> Held:
    rows = session.execute(
        select(Participant.community, func.count())
        .join(Invitation, Invitation.participant_id == Participant.id)
        .where(Invitation.event_id == event_id, Invitation.status.in_(HOLDING))
        .group_by(Participant.community)
    )
    counts: dict[Community | None, int] = {community: count for community, count in rows}  # noqa: C416 - rows are Row objects, not pairs to mypy
    return Held(
        host=counts.get(Community.HOST, 0),
        migrant=counts.get(Community.MIGRANT, 0),
        other=counts.get(None, 0),
    )


def invitation_history(
    session: Session, participant_ids: Iterable[uuid.UUID], *, except_event: uuid.UUID | None = None
) -> dict[uuid.UUID, tuple[int, datetime | None]]:
    """How often and how recently each person was really invited (waitlist places don't count)."""
    ids = list(participant_ids)
    if not ids:
        return {}
    query = (
        select(Invitation.participant_id, func.count(), func.max(Invitation.created_at))
        .where(
            among(session, Invitation.participant_id, ids),
            Invitation.status != InvitationStatus.WAITLISTED,
        )
        .group_by(Invitation.participant_id)
    )
    if except_event is not None:
        query = query.where(Invitation.event_id != except_event)
    return {row[0]: (row[1], row[2]) for row in session.execute(query)}


def candidates_for(
    session: Session, participants: Sequence[Participant], *, except_event: uuid.UUID | None = None
) -> list[Candidate]:
    history = invitation_history(session, [p.id for p in participants], except_event=except_event)
    return [
        Candidate(
            id=p.id,
            community=p.community,
            times_invited=history.get(p.id, (0, None))[0],
            last_invited_at=history.get(p.id, (0, None))[1],
        )
        for p in participants
    ]


def refill(*, session: Session, event: Event, over_invite: float = 1.0) -> RefillResult:
    """Give freed seats to waiting people who keep the mix inside the band.

    The caller holds the event lock (see `lock_event`). Refill only marks the chosen
    invitations planned; `plan_invitations`, the fan-out's own path, plans their messages, and
    they are queued through the outbox in the caller's transaction as one `refill` batch that
    counts against the city's daily SMS budget and waits for approval past it.
    """
    result = RefillResult()
    now = utcnow()
    if event.status is not EventStatus.SCHEDULED or event.starts_at <= now:
        return result
    too_late = promotion_closed(starts_at=event.starts_at, now=now, settings=get_settings())
    seats = seat_limit(event.capacity, over_invite)
    held = held_seats(session, event.id)
    waiting = list(
        session.execute(
            select(Invitation, Participant)
            .join(Participant, Invitation.participant_id == Participant.id)
            .where(
                Invitation.event_id == event.id,
                Invitation.status == InvitationStatus.WAITLISTED,
            )
        )
    )
    eligible = [(inv, person) for inv, person in waiting if is_eligible(person)]
    by_participant = {person.id: inv for inv, person in eligible}
    pool = candidates_for(session, [person for _, person in eligible], except_event=event.id)

    while (
        too_late is None
        and (chosen := next_from_waitlist(held, pool, seats=seats, min_share=event.min_share))
        is not None
    ):
        pool.remove(chosen)
        invitation = by_participant[chosen.id]
        invitation.status = InvitationStatus.PLANNED
        held = held.plus(chosen.community)
        result.invited.append(invitation)
    session.flush()
    # The seats are marked; their messages come from the one planning path, as a fan-out's
    # do, counted against the city's SMS budget like a batch and held for approval past it.
    # On the channels of the event's latest batch, as its coordinator chose them.
    choice = latest_choice(session, event.id)
    release(
        session=session,
        event=event,
        kind=BatchKind.REFILL,
        purpose=MessagePurpose.INVITATION,
        planned=plan_invitations(
            session=session,
            invitation_ids=[invitation.id for invitation in result.invited],
            channels=choice,
        ),
        channels=choice,
    )
    result.open_seats = max(0, seats - held.total)
    if result.open_seats and pool and too_late is not None:
        result.reason = too_late
    elif result.open_seats and pool:
        result.reason = why_seat_is_open(held, pool, min_share=event.min_share)
    elif result.open_seats:
        result.reason = "the waitlist is empty"
    return result


class PromotionRefusedError(Exception):
    """A waiting person cannot be invited now; the message says why, for the coordinator."""


def promote(*, session: Session, event: Event, invitation: Invitation, over_invite: float) -> None:
    """Invite one waiting person ahead of the waitlist's order, as a coordinator chose.

    The same seat rules as `refill`: a free seat under the limit, the held set inside the mix
    band afterwards, and enough time left to answer. The invitation SMS (and e-mail) is
    released as a `refill` batch, so it counts against the city's daily SMS budget and waits
    for approval past it. The caller holds the event lock and commits.
    """
    now = utcnow()
    if invitation.status is not InvitationStatus.WAITLISTED:
        raise PromotionRefusedError(f"the invitation is {invitation.status.value}, not waitlisted")
    person = invitation.participant
    if not is_eligible(person):
        raise PromotionRefusedError("the person opted out, was erased or has no consent on record")
    too_late = promotion_closed(starts_at=event.starts_at, now=now, settings=get_settings())
    if too_late is not None:
        raise PromotionRefusedError(too_late)
    held = held_seats(session, event.id)
    if held.total >= seat_limit(event.capacity, over_invite):
        raise PromotionRefusedError("every seat is held: nobody more can be invited now")
    after = held.plus(person.community)
    if not in_band(after.host, after.migrant, event.min_share):
        raise PromotionRefusedError("inviting this person would move the mix outside the band")
    invitation.status = InvitationStatus.PLANNED
    invitation.updated_at = now
    session.flush()
    choice = latest_choice(session, event.id)
    release(
        session=session,
        event=event,
        kind=BatchKind.REFILL,
        purpose=MessagePurpose.INVITATION,
        planned=plan_invitations(session=session, invitation_ids=[invitation.id], channels=choice),
        channels=choice,
    )


def respond(
    *, session: Session, invitation_id: uuid.UUID, answer: Answer, over_invite: float = 1.0
) -> RsvpOutcome:
    """Record an answer. The same answer twice changes nothing; a decline frees the seat.

    A person who declined (or let the invitation expire) and then accepts gets the seat back
    only if one is free and their place keeps the mix inside the band; otherwise they wait.
    """
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        raise RsvpClosedError("no such invitation")
    event = lock_event(session, invitation.event_id)
    session.refresh(invitation, with_for_update=True)
    if event.status is not EventStatus.SCHEDULED or event.starts_at <= utcnow():
        raise RsvpClosedError("the event is no longer open for answers")
    previous = invitation.status
    if previous not in ANSWERABLE and previous is not InvitationStatus.PLANNED:
        raise RsvpClosedError("this invitation cannot be answered")

    target = _answer_status(session, event, invitation, answer, over_invite)
    if target is previous:
        return RsvpOutcome(invitation=invitation, previous=previous, changed=False)
    invitation.status = target
    invitation.responded_at = utcnow()
    session.flush()
    outcome = RsvpOutcome(invitation=invitation, previous=previous, changed=True)
    if previous in HOLDING and target not in HOLDING:
        outcome.refill = refill(session=session, event=event, over_invite=over_invite)
    return outcome


def _answer_status(
    session: Session, event: Event, invitation: Invitation, answer: Answer, over_invite: float
) -> InvitationStatus:
    if answer is Answer.DECLINE:
        return InvitationStatus.DECLINED
    if invitation.status in HOLDING:
        return InvitationStatus.ACCEPTED
    held = held_seats(session, event.id)
    after = held.plus(invitation.participant.community)
    seat_free = held.total < seat_limit(event.capacity, over_invite)
    if seat_free and in_band(after.host, after.migrant, event.min_share):
        return InvitationStatus.ACCEPTED
    return InvitationStatus.WAITLISTED


def close_unanswered(
    *,
    session: Session,
    invitation_id: uuid.UUID,
    status: InvitationStatus,
    reason: str,
    over_invite: float = 1.0,
) -> RefillResult | None:
    """An invitation ends without an answer (expired, or its SMS failed): free its seat."""
    if status not in (InvitationStatus.EXPIRED, InvitationStatus.FAILED):
        raise ValueError("only expiry or failure closes an invitation without an answer")
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        return None
    event = lock_event(session, invitation.event_id)
    session.refresh(invitation, with_for_update=True)
    if invitation.status not in (InvitationStatus.PLANNED, InvitationStatus.SENT):
        return None  # answered meanwhile: the answer stands
    invitation.status = status
    invitation.closed_reason = reason[:300]
    session.flush()
    return refill(session=session, event=event, over_invite=over_invite)


def answer_deadline(
    *,
    sent_at: datetime,
    starts_at: datetime,
    within: timedelta,
    before_event: timedelta,
    min_window: timedelta,
    answer_by: datetime | None = None,
) -> datetime:
    """When an invitation sent at `sent_at` expires without an answer.

    The rule is the event's own `answer_by`, or else the sooner of `within` after sending and
    `before_event` before the start. Whatever the rule says, the person gets at least
    `min_window` to answer, and the deadline never lies past the start: an invitation sent a
    few hours before a near event does not expire the moment it arrives.
    """
    rule = answer_by if answer_by is not None else min(sent_at + within, starts_at - before_event)
    return min(max(rule, sent_at + min_window), starts_at)


def deadline_for(*, event: Event, sent_at: datetime, settings: Settings) -> datetime:
    """`answer_deadline` for an invitation to `event` sent at `sent_at`, by the settings."""
    return answer_deadline(
        sent_at=sent_at,
        starts_at=event.starts_at,
        within=timedelta(hours=settings.answer_within_hours),
        before_event=timedelta(hours=settings.answer_by_hours_before_event),
        min_window=min_answer_window(settings),
        answer_by=event.answer_by,
    )


def reschedule_deadlines(*, session: Session, event: Event, settings: Settings) -> int:
    """The event's start or own deadline moved: move the deadlines of invitations still open.

    Each keeps the window it was sent with as the rule now gives it; returns how many moved.
    """
    moved = 0
    for invitation in session.scalars(
        select(Invitation).where(
            Invitation.event_id == event.id,
            Invitation.status == InvitationStatus.SENT,
            Invitation.sent_at.is_not(None),
        )
    ):
        assert invitation.sent_at is not None  # selected so
        deadline = deadline_for(event=event, sent_at=invitation.sent_at, settings=settings)
        if deadline != invitation.expires_at:
            invitation.expires_at = deadline
            moved += 1
    session.flush()
    return moved


def min_answer_window(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.min_answer_window_minutes)


def promotion_closed(*, starts_at: datetime, now: datetime, settings: Settings) -> str | None:
    """Why nobody more is invited from the waitlist now, or None while promotions go on.

    A person promoted from the waitlist must still get the minimum answer window before the
    start; closer to the start a freed seat stays open (and a late yes can still take it).
    """
    window = min_answer_window(settings)
    if starts_at - now >= window:
        return None
    return (
        f"the event starts in less than the answer window ({settings.min_answer_window_minutes}"
        " minutes): nobody more is invited from the waitlist"
    )


def expire_due(*, session: Session, now: datetime | None = None, over_invite: float = 1.0) -> int:
    """Expire sent invitations past their deadline and refill their seats; returns the count."""
    moment = now or utcnow()
    due = list(
        session.scalars(
            select(Invitation.id).where(
                Invitation.status == InvitationStatus.SENT,
                Invitation.expires_at <= moment,
                # Never in the minute it was sent, whatever its deadline says.
                Invitation.sent_at <= moment - SHORTEST_LIFE,
            )
        )
    )
    for invitation_id in due:
        close_unanswered(
            session=session,
            invitation_id=invitation_id,
            status=InvitationStatus.EXPIRED,
            reason="no answer before the deadline",
            over_invite=over_invite,
        )
    return len(due)


def latest_answerable(
    session: Session,
    participant_ids: Collection[uuid.UUID],
    *,
    now: datetime | None = None,
    statuses: Collection[InvitationStatus] = ANSWERABLE,
    exclude: uuid.UUID | None = None,
) -> Invitation | None:
    """The most recently sent invitation of an upcoming event among these participant rows.

    One number may be several rows (one per city), so the caller passes them all. With
    `statuses=(SENT,)` it is the latest invitation still waiting for an answer.
    """
    moment = now or utcnow()
    query = (
        select(Invitation)
        .join(Event, Invitation.event_id == Event.id)
        .where(
            Invitation.participant_id.in_(list(participant_ids)),
            Invitation.status.in_(list(statuses)),
            Invitation.sent_at.is_not(None),
            Event.status == EventStatus.SCHEDULED,
            Event.starts_at > moment,
        )
        .order_by(Invitation.sent_at.desc(), Invitation.id)
        .limit(1)
    )
    if exclude is not None:
        query = query.where(Invitation.id != exclude)
    return session.scalar(query)
