"""Buddies: a host-community member and a migrant paired for a series of events.

Friendship grows with repeated meeting (Davies et al. 2011), so an active pair is invited
together (when one is in an invitation proposal the other is added if eligible), kept in one
group by the split, and each gets a short nudge before an event both are coming to. The rules
live here so the API (proposals, groups, pairing) and the sender (whether a nudge is still
wanted) share one definition.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, object_session

from birge_shared.balance import Proposal
from birge_shared.bulk import among
from birge_shared.models import (
    BuddyPair,
    Event,
    Invitation,
    InvitationStatus,
    MessagePurpose,
    utcnow,
)
from birge_shared.outbound.plan import plan_one

#: The purpose of the nudge SMS (its texts are in `birge_shared.sms.templates`).
BUDDY_NUDGE = MessagePurpose.BUDDY_NUDGE
#: How long before the start the nudge goes out (or at once, when the event is nearer).
NUDGE_BEFORE = timedelta(days=1)
#: Invitations still on their way to the event: a nudge is planned for these.
COMING = (InvitationStatus.PLANNED, InvitationStatus.SENT, InvitationStatus.ACCEPTED)


def partners(session: Session, participant_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Each of these people's active buddy, both ways round."""
    ids = list(participant_ids)
    if not ids:
        return {}
    found: dict[uuid.UUID, uuid.UUID] = {}
    for pair in session.scalars(
        select(BuddyPair).where(
            BuddyPair.ended_at.is_(None),
            or_(among(session, BuddyPair.host_id, ids), among(session, BuddyPair.migrant_id, ids)),
        )
    ):
        found[pair.host_id] = pair.migrant_id
        found[pair.migrant_id] = pair.host_id
    return found


def active_pairs(
    session: Session, participant_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """The active pairs with both people among these, each pair once."""
    here = set(participant_ids)
    found = partners(session, here)
    return sorted(
        {(a, b) for a, b in found.items() if a in here and b in here and str(a) < str(b)},
        key=str,
    )


def keep_together(
    proposal: Proposal, partner_of: dict[uuid.UUID, uuid.UUID], *, seats: int
) -> Proposal:
    """Buddies split between invite and waitlist: both invited if a seat is free, else both wait.

    A pair is one host and one migrant, so adding both moves the mix towards the middle of the
    band; adding one alone never happens.
    """
    invite = list(proposal.invite)
    waitlist = list(proposal.waitlist)
    for person in list(invite):
        partner = partner_of.get(person)
        if partner is None or partner not in waitlist or person not in invite:
            continue
        if len(invite) < seats:
            waitlist.remove(partner)
            invite.append(partner)
        else:
            invite.remove(person)
            waitlist.insert(0, person)
    return Proposal(invite=invite, waitlist=waitlist)


def plan_nudges(session: Session, event: Event) -> int:
    """Plan a nudge for each buddy whose buddy is also invited to this event; returns how many.

    Planned once per invitation (the dedupe key); whether it still goes is decided when it is
    due (`nudge_wanted`): both must have accepted by then.
    """
    # Ids only: a batch of thousands is read here, and only pairs among them get a nudge.
    rows = session.execute(
        select(Invitation.participant_id, Invitation.id).where(
            Invitation.event_id == event.id, Invitation.status.in_(COMING)
        )
    )
    invitations: dict[uuid.UUID, uuid.UUID] = {row[0]: row[1] for row in rows}
    buddy = partners(session, invitations)
    send_at = max(utcnow(), event.starts_at - NUDGE_BEFORE)
    planned = 0
    for person, invitation_id in sorted(invitations.items(), key=lambda item: str(item[0])):
        if buddy.get(person) in invitations:
            made = plan_one(
                session=session,
                purpose=BUDDY_NUDGE,
                participant_id=person,
                invitation_id=invitation_id,
                # On the person's first messenger: Telegram once they linked the bot.
                channel=None,
                not_before=send_at,
            )
            planned += made is not None
    return planned


def nudge_wanted(invitation: Invitation) -> bool:
    """Send a nudge only while the pair is active and both have accepted the event."""
    session = object_session(invitation)
    if session is None or invitation.status is not InvitationStatus.ACCEPTED:
        return False
    partner = partners(session, [invitation.participant_id]).get(invitation.participant_id)
    if partner is None:
        return False
    status = session.scalar(
        select(Invitation.status).where(
            Invitation.event_id == invitation.event_id, Invitation.participant_id == partner
        )
    )
    return status is InvitationStatus.ACCEPTED
