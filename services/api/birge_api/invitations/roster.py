"""What a coordinator does to one event's roster: withdraw an invitation, move a waiting person
up, and read the waitlist in the order freed seats go to it and the live counts per community.

Seats follow the shared rules (`birge_shared.invitations`): a withdrawn seat is refilled from
the waitlist exactly as a decline's is, and a person moved up needs a free seat that keeps
the mix inside the band.
"""

from __future__ import annotations

import uuid
from collections import Counter

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.events.service import get_event
from birge_api.invitations import service
from birge_api.invitations.delivery import current_messenger
from birge_api.invitations.schemas import (
    CommunityCounts,
    EventCounts,
    InvitationListItem,
    PersonSummary,
)
from birge_api.invitations.service import roster_item
from birge_api.problems import Problem, not_found
from birge_shared import audit
from birge_shared.balance import Candidate, in_band
from birge_shared.crypto import get_cipher
from birge_shared.invitations import (
    HOLDING,
    PromotionRefusedError,
    candidates_for,
    is_eligible,
    promote,
    refill,
)
from birge_shared.models import (
    Community,
    Event,
    Invitation,
    InvitationStatus,
    Message,
    MessageDirection,
    MessageStatus,
    Participant,
    Role,
    utcnow,
)
from birge_shared.phones import mask
from birge_shared.settings import Settings

#: Invitations a coordinator may withdraw: still waiting for an answer or a seat, or accepted.
WITHDRAWABLE = (*HOLDING, InvitationStatus.WAITLISTED)
WITHDRAWN_REASON = "withdrawn by a coordinator"

_CONFIRMED = (InvitationStatus.ACCEPTED, InvitationStatus.ATTENDED, InvitationStatus.NO_SHOW)
_COMMUNITY_NAMES: dict[Community | None, str] = {
    Community.HOST: "host",
    Community.MIGRANT: "migrant",
    None: "unspecified",
}


def require_open(event: Event) -> None:
    service.require_open(event, consequence="its roster can no longer change")


def _locked_invitation(session: Session, event: Event, invitation_id: uuid.UUID) -> Invitation:
    invitation = session.scalar(
        select(Invitation)
        .where(Invitation.id == invitation_id, Invitation.event_id == event.id)
        .with_for_update(of=Invitation)
    )
    if invitation is None:
        raise not_found("Invitation")
    return invitation


def _item(session: Session, actor: Actor, invitation: Invitation) -> InvitationListItem:
    message = session.scalar(
        select(Message).where(
            Message.invitation_id == invitation.id,
            Message.purpose == "invitation",
            current_messenger(),
        )
    )
    return roster_item(
        invitation,
        invitation.participant,
        message,
        show_people=actor.role is not Role.VIEWER,
        session=session,
    )


def withdraw(
    *,
    session: Session,
    actor: Actor,
    event_id: uuid.UUID,
    invitation_id: uuid.UUID,
    reason: str | None,
    settings: Settings,
) -> InvitationListItem:
    """Close one open invitation as `withdrawn`, skip its pending messages, refill its seat.

    An invitation already closed (declined, expired, withdrawn, attended...) is a 409, so a
    second click changes nothing.
    """
    event = get_event(session=session, actor=actor, event_id=event_id, lock=True)
    require_open(event)
    invitation = _locked_invitation(session, event, invitation_id)
    if invitation.status not in WITHDRAWABLE:
        raise Problem(
            status=409,
            type_="invitation-not-open",
            title=f"The invitation is {invitation.status.value}: it cannot be withdrawn",
        )
    now = utcnow()
    held = invitation.status in HOLDING
    previous = invitation.status
    closed_reason = f"{WITHDRAWN_REASON}: {reason}" if reason else WITHDRAWN_REASON
    invitation.status = InvitationStatus.WITHDRAWN
    invitation.closed_reason = closed_reason[:300]
    invitation.updated_at = now
    # Only `planned` messages can be called back; one handed to the provider is on its way.
    skipped = session.execute(
        update(Message)
        .where(
            Message.invitation_id == invitation.id,
            Message.direction == MessageDirection.OUTBOUND,
            Message.status == MessageStatus.PLANNED,
        )
        .values(
            status=MessageStatus.SKIPPED,
            error_reason=WITHDRAWN_REASON,
            not_before=None,
            updated_at=now,
        )
        .execution_options(synchronize_session="fetch")
        .returning(Message.id)
    ).all()
    session.flush()
    refilled = (
        refill(session=session, event=event, over_invite=settings.over_invite_factor)
        if held
        else None
    )
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="invitation.withdraw",
        object_type="invitation",
        object_id=invitation.id,
        details={
            "event_id": str(event.id),
            "previous": previous.value,
            "messages_skipped": len(skipped),
            "refilled": len(refilled.invited) if refilled else 0,
        },
    )
    return _item(session, actor, invitation)


def move_up(
    *,
    session: Session,
    actor: Actor,
    event_id: uuid.UUID,
    invitation_id: uuid.UUID,
    settings: Settings,
) -> InvitationListItem:
    """Invite a waiting person now, ahead of the waitlist's order, if a seat keeps the band."""
    event = get_event(session=session, actor=actor, event_id=event_id, lock=True)
    require_open(event)
    invitation = _locked_invitation(session, event, invitation_id)
    try:
        promote(
            session=session,
            event=event,
            invitation=invitation,
            over_invite=settings.over_invite_factor,
        )
    except PromotionRefusedError as refused:
        raise Problem(
            status=409,
            type_="cannot-move-up",
            title="This person cannot be invited now",
            detail=str(refused),
        ) from None
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="invitation.move_up",
        object_type="invitation",
        object_id=invitation.id,
        details={"event_id": str(event.id)},
    )
    session.flush()
    return _item(session, actor, invitation)


def waitlist(*, session: Session, actor: Actor, event_id: uuid.UUID) -> list[InvitationListItem]:
    """The waiting people in the order a freed seat reaches them (invited least first).

    The mix band may let a later person take a seat first; people who can no longer be
    invited (opted out, erased, no consent) come last.
    """
    event = get_event(session=session, actor=actor, event_id=event_id)
    rows = session.execute(
        select(Invitation, Participant)
        .join(Participant, Invitation.participant_id == Participant.id)
        .where(Invitation.event_id == event.id, Invitation.status == InvitationStatus.WAITLISTED)
        .order_by(Invitation.created_at, Invitation.id)
    ).all()
    eligible = [person for _, person in rows if is_eligible(person)]
    order = {
        candidate.id: position
        for position, candidate in enumerate(
            sorted(candidates_for(session, eligible, except_event=event.id), key=Candidate.priority)
        )
    }
    ranked = sorted(rows, key=lambda row: order.get(row[1].id, len(order)))
    show_people = actor.role is not Role.VIEWER
    # A waiting place has no invitation SMS yet: none to show.
    return [
        roster_item(invitation, person, None, show_people=show_people)
        for invitation, person in ranked
    ]


def counts(*, session: Session, event_id: uuid.UUID, actor: Actor) -> EventCounts:
    """Counts only, no people: what every role, viewers too, may read of an event."""
    event = get_event(session=session, actor=actor, event_id=event_id)
    rows = session.execute(
        select(Participant.community, Invitation.status, func.count())
        .select_from(Invitation)
        .join(Participant, Invitation.participant_id == Participant.id)
        .where(Invitation.event_id == event.id)
        .group_by(Participant.community, Invitation.status)
    )
    tally: Counter[tuple[Community | None, InvitationStatus]] = Counter()
    for community, status, count in rows:
        tally[(community, status)] += count
    communities = []
    for community, name in _COMMUNITY_NAMES.items():

        def of(*statuses: InvitationStatus, of_community: Community | None = community) -> int:
            return sum(tally[(of_community, status)] for status in statuses)

        communities.append(
            CommunityCounts(
                community=name,
                awaiting=of(InvitationStatus.PLANNED, InvitationStatus.SENT),
                confirmed=of(*_CONFIRMED),
                checked_in=of(InvitationStatus.ATTENDED),
                declined=of(InvitationStatus.DECLINED),
                waitlisted=of(InvitationStatus.WAITLISTED),
            )
        )
    host, migrant = communities[0].confirmed, communities[1].confirmed
    return EventCounts(
        capacity=event.capacity,
        min_share=event.min_share,
        communities=communities,
        confirmed=sum(row.confirmed for row in communities),
        host_share=host / (host + migrant) if host + migrant else None,
        in_band=in_band(host, migrant, event.min_share),
    )


def people(
    *, session: Session, actor: Actor, event_id: uuid.UUID, participant_ids: list[uuid.UUID]
) -> dict[uuid.UUID, PersonSummary]:
    """Names and masked phones of these people of the event's city, for a coordinator choosing
    whom to invite; other cities' and erased people are left out. Viewers get nobody."""
    event = get_event(session=session, actor=actor, event_id=event_id)
    if actor.role is Role.VIEWER or not participant_ids:
        return {}
    cipher = get_cipher()
    found: dict[uuid.UUID, PersonSummary] = {}
    for person in session.scalars(
        select(Participant).where(
            Participant.id.in_(list(dict.fromkeys(participant_ids))),
            Participant.city_code == event.city_code,
            Participant.erased_at.is_(None),
        )
    ):
        found[person.id] = PersonSummary(
            id=person.id,
            name=cipher.decrypt(person.name_encrypted) if person.name_encrypted else None,
            phone_masked=mask(cipher.decrypt(person.phone_encrypted))
            if person.phone_encrypted
            else None,
            community=person.community,
            language=person.language,
        )
    return found
