"""At the door: find a person on one event's roster by name, and count who is inside.

Names are encrypted at rest, so the search decrypts the names of this one event's roster (at
most a few hundred people, bounded by its capacity and waitlist) and compares them in memory:
never a scan of a city, and the typed text is never stored or logged. A name matches when one
of its words, or the whole name, starts with what was typed, compared after Unicode
normalisation and case folding, so "нур" finds "Нурлан" and "ai" finds "Aibek".
"""

from __future__ import annotations

import unicodedata
import uuid
from collections import Counter
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.events.service import get_event
from birge_api.fields import ONE_LINE
from birge_api.problems import forbidden
from birge_shared.crypto import get_cipher
from birge_shared.models import Community, Invitation, InvitationStatus, Participant, Role

#: The most rows one search returns: a phone screen's worth; typing more narrows it.
MAX_FOUND = 30
#: Invitations of people who will not be at the door in any form (never sent an invitation).
_NOT_ON_ROSTER = (InvitationStatus.PLANNED,)


#: What was typed: may be empty (the roster from the top), one line, never stored or logged.
Typed = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), ONE_LINE]


class RosterSearch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: Typed = Field(default="", description="The start of a name or of one of its words.")
    limit: int = Field(default=MAX_FOUND, ge=1, le=MAX_FOUND)


class DoorRow(BaseModel):
    invitation_id: uuid.UUID
    participant_id: uuid.UUID
    name: str
    community: Community | None
    status: InvitationStatus
    walk_in: bool
    checked_in_at: datetime | None


class CommunityCount(BaseModel):
    community: Community | None
    inside: int = Field(description="Marked attended, walk-ins included")
    expected: int = Field(description="Accepted and not marked yet")


class DoorCounts(BaseModel):
    event_id: uuid.UUID
    inside: int
    expected: int
    by_community: list[CommunityCount]


def normalise_name(text: str) -> str:
    """Compatibility-normalised, case-folded, one space between words."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def name_matches(name: str, typed: str) -> bool:
    wanted = normalise_name(typed)
    if not wanted:
        return True
    normalised = normalise_name(name)
    return normalised.startswith(wanted) or any(
        word.startswith(wanted) for word in normalised.split(" ")
    )


def _require_people_reader(actor: Actor) -> None:
    if actor.role is Role.VIEWER:
        raise forbidden("Viewers read events and reports, not participants.")


def search_roster(
    *, session: Session, actor: Actor, event_id: uuid.UUID, data: RosterSearch
) -> list[DoorRow]:
    """The event's people whose name starts (or has a word starting) with the query, by name.

    An empty query lists the roster from the top. Erased people have no name and never match.
    """
    _require_people_reader(actor)
    event = get_event(session=session, actor=actor, event_id=event_id)
    cipher = get_cipher()
    rows = session.execute(
        select(Invitation, Participant)
        .join(Participant, Invitation.participant_id == Participant.id)
        .where(
            Invitation.event_id == event.id,
            Invitation.status.not_in(_NOT_ON_ROSTER),
            Participant.erased_at.is_(None),
            Participant.name_encrypted.is_not(None),
        )
    ).all()
    found: list[DoorRow] = []
    for invitation, person in rows:
        assert person.name_encrypted is not None  # the query's condition
        name = cipher.decrypt(person.name_encrypted)
        if name_matches(name, data.query):
            found.append(door_row(invitation, person, name))
    found.sort(key=lambda row: (normalise_name(row.name), str(row.invitation_id)))
    return found[: data.limit]


def door_row(invitation: Invitation, person: Participant, name: str | None = None) -> DoorRow:
    if name is None:
        encrypted = person.name_encrypted
        name = get_cipher().decrypt(encrypted) if encrypted is not None else ""
    return DoorRow(
        invitation_id=invitation.id,
        participant_id=person.id,
        name=name,
        community=person.community,
        status=invitation.status,
        walk_in=invitation.walk_in,
        checked_in_at=invitation.checked_in_at,
    )


def find_row(
    *, session: Session, actor: Actor, event_id: uuid.UUID, participant_id: uuid.UUID
) -> DoorRow | None:
    """One person's row on the event's roster (after a tap), or None without an invitation."""
    _require_people_reader(actor)
    event = get_event(session=session, actor=actor, event_id=event_id)
    row = session.execute(
        select(Invitation, Participant)
        .join(Participant, Invitation.participant_id == Participant.id)
        .where(Invitation.event_id == event.id, Invitation.participant_id == participant_id)
    ).first()
    if row is None or row[1].erased_at is not None:
        return None
    return door_row(row[0], row[1])


def door_counts(*, session: Session, actor: Actor, event_id: uuid.UUID) -> DoorCounts:
    """Who is inside and who is still expected, per community (counts only: viewers too)."""
    event = get_event(session=session, actor=actor, event_id=event_id)
    inside: Counter[Community | None] = Counter()
    expected: Counter[Community | None] = Counter()
    for status, community, count in session.execute(
        select(Invitation.status, Participant.community, func.count())
        .join(Participant, Invitation.participant_id == Participant.id)
        .where(
            Invitation.event_id == event.id,
            Invitation.status.in_((InvitationStatus.ATTENDED, InvitationStatus.ACCEPTED)),
        )
        .group_by(Invitation.status, Participant.community)
    ):
        (inside if status is InvitationStatus.ATTENDED else expected)[community] += count
    communities: list[Community | None] = [*Community]
    if inside[None] or expected[None]:
        communities.append(None)
    return DoorCounts(
        event_id=event.id,
        inside=sum(inside.values()),
        expected=sum(expected.values()),
        by_community=[
            CommunityCount(community=c, inside=inside[c], expected=expected[c]) for c in communities
        ],
    )
