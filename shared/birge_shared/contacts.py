"""The contact ledger: who shared a group with whom at an event both attended.

Recorded whenever an event's groups or its attendance change (a split, a move by hand, a
check-in, attendance marked in bulk): every pair of attended people in one group that is not
yet in the ledger for that event is added, and the city's rollup for the event's month is
updated in the same transaction. A pair once recorded stays for that event (they did meet)
until erasure or retention removes it; the rollup is never decremented, so erasing a person or
purging old pairs leaves every report figure unchanged.

Rollup figures per city and month (the event's month in the city's time zone):
- `people`: people with at least one recorded group contact;
- `reached_k`: people whose distinct cross-group contacts (a host-community member with a
  migrant) reached k, for k in `DISTINCT_STEPS` — `reached_1` is "at least one";
- `repeated_pairs`: cross-group pairs whose second meeting (at any event in the city) fell in
  the month;
- `buddy_pairs_met_three`: active buddy pairs whose third meeting in a group fell in the month.
Figures are counted from the pairs the ledger holds when a pair is recorded; a person erased
earlier is no longer among them, so a month's figures can only grow.
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from birge_shared import buddies
from birge_shared.models import (
    BuddyPair,
    City,
    Community,
    ContactPair,
    ContactRollup,
    Event,
    GroupMember,
    Invitation,
    InvitationStatus,
    Participant,
)
from birge_shared.upsert import insert_ignoring_conflict

#: The distinct cross-group contacts per person that the distribution counts people reaching.
DISTINCT_STEPS = (1, 2, 3, 5, 10)

Pair = tuple[uuid.UUID, uuid.UUID]


def ordered(a: uuid.UUID, b: uuid.UUID) -> Pair:
    """A pair in the ledger's order (as text), the same order the split's history uses."""
    return (a, b) if str(a) < str(b) else (b, a)


def event_month(event: Event, city: City) -> str:
    return event.starts_at.astimezone(ZoneInfo(city.timezone)).strftime("%Y-%m")


def record_event(session: Session, event: Event) -> int:
    """Add the event's new same-group pairs of attended people; returns how many were added."""
    rows = session.execute(
        select(GroupMember.group_id, GroupMember.participant_id, Participant.community)
        .join(Participant, Participant.id == GroupMember.participant_id)
        .join(
            Invitation,
            (Invitation.participant_id == GroupMember.participant_id)
            & (Invitation.event_id == GroupMember.event_id),
        )
        .where(
            GroupMember.event_id == event.id,
            Invitation.status == InvitationStatus.ATTENDED,
            Participant.erased_at.is_(None),
        )
    ).all()
    groups: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    community: dict[uuid.UUID, Community | None] = {}
    for group_id, participant_id, person_community in rows:
        groups[group_id].append(participant_id)
        community[participant_id] = person_community
    candidates = {
        ordered(a, b)
        for members in groups.values()
        for a, b in itertools.combinations(sorted(members, key=str), 2)
    }
    if not candidates:
        return 0
    known = set(
        session.execute(
            select(ContactPair.participant_a, ContactPair.participant_b).where(
                ContactPair.event_id == event.id
            )
        ).all()
    )
    new = sorted((pair for pair in candidates if pair not in known), key=str)
    if not new:
        return 0
    city = session.get(City, event.city_code)
    assert city is not None  # the event's foreign key
    month = event_month(event, city)
    rollup = _rollup(session, city.code, month)
    people = {person for pair in new for person in pair}
    tally = _Tally.load(session, city.code, month, people, new)
    for a, b in new:
        cross = {community[a], community[b]} == {Community.HOST, Community.MIGRANT}
        tally.add(rollup, a, b, cross=cross)
        session.add(
            ContactPair(
                event_id=event.id,
                participant_a=a,
                participant_b=b,
                city_code=city.code,
                month=month,
                cross_group=cross,
                met_at=event.starts_at,
            )
        )
    session.flush()
    return len(new)


def _rollup(session: Session, city_code: str, month: str) -> ContactRollup:
    """The month's rollup row, created at zero if new, locked until the transaction ends."""
    counters = ("people", "repeated_pairs", "buddy_pairs_met_three")
    # Two first recordings of a month at once: the losing insert does nothing, and both then
    # lock the one row.
    insert_ignoring_conflict(
        session,
        ContactRollup,
        {
            "city_code": city_code,
            "month": month,
            **dict.fromkeys((*counters, *(f"reached_{k}" for k in DISTINCT_STEPS)), 0),
        },
    )
    rollup = session.scalar(
        select(ContactRollup)
        .where(ContactRollup.city_code == city_code, ContactRollup.month == month)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert rollup is not None  # inserted above or by the transaction we waited for
    return rollup


class _Tally:
    """What the ledger already holds about these people, updated pair by pair."""

    def __init__(
        self,
        in_month: set[uuid.UUID],
        cross_partners: dict[uuid.UUID, set[uuid.UUID]],
        meetings: dict[Pair, int],
        buddies: set[Pair],
    ) -> None:
        self.in_month = in_month
        self.cross_partners = cross_partners
        self.meetings = meetings
        self.buddies = buddies

    @classmethod
    def load(
        cls, session: Session, city_code: str, month: str, people: set[uuid.UUID], new: list[Pair]
    ) -> _Tally:
        ids = list(people)
        month_rows = session.execute(
            select(
                ContactPair.participant_a, ContactPair.participant_b, ContactPair.cross_group
            ).where(
                ContactPair.city_code == city_code,
                ContactPair.month == month,
                or_(ContactPair.participant_a.in_(ids), ContactPair.participant_b.in_(ids)),
            )
        ).all()
        in_month: set[uuid.UUID] = set()
        cross_partners: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        for a, b, cross in month_rows:
            in_month.update((a, b))
            if cross:
                cross_partners[a].add(b)
                cross_partners[b].add(a)
        meetings: dict[Pair, int] = defaultdict(int)
        wanted = set(new)
        for a, b, times in session.execute(
            select(ContactPair.participant_a, ContactPair.participant_b, func.count())
            .where(
                ContactPair.city_code == city_code,
                ContactPair.cross_group.is_(True),
                ContactPair.participant_a.in_(ids),
                ContactPair.participant_b.in_(ids),
            )
            .group_by(ContactPair.participant_a, ContactPair.participant_b)
        ).all():
            if (a, b) in wanted:
                meetings[(a, b)] = times
        partner_of = buddies.partners(session, people)
        pairs = {ordered(a, b) for a, b in partner_of.items()}
        return cls(in_month, cross_partners, meetings, pairs)

    def add(self, rollup: ContactRollup, a: uuid.UUID, b: uuid.UUID, *, cross: bool) -> None:
        for person in (a, b):
            if person not in self.in_month:
                self.in_month.add(person)
                rollup.people += 1
        if not cross:
            return
        for person, partner in ((a, b), (b, a)):
            partners = self.cross_partners.setdefault(person, set())
            if partner not in partners:
                partners.add(partner)
                if len(partners) in DISTINCT_STEPS:
                    field = f"reached_{len(partners)}"
                    setattr(rollup, field, getattr(rollup, field) + 1)
        self.meetings[(a, b)] = self.meetings.get((a, b), 0) + 1
        if self.meetings[(a, b)] == 2:  # the second meeting makes it repeated
            rollup.repeated_pairs += 1
        if self.meetings[(a, b)] == 3 and (a, b) in self.buddies:
            rollup.buddy_pairs_met_three += 1


def forget(session: Session, participant_ids: Iterable[uuid.UUID]) -> int:
    """Erasure: the people's ledger pairs, group places and buddy pairs go; rollups stay."""
    ids = list(participant_ids)
    connection = session.connection()  # bulk deletes, counted; no row is loaded
    removed = connection.execute(
        delete(ContactPair).where(
            or_(ContactPair.participant_a.in_(ids), ContactPair.participant_b.in_(ids))
        )
    ).rowcount
    connection.execute(delete(GroupMember).where(GroupMember.participant_id.in_(ids)))
    connection.execute(
        delete(BuddyPair).where(or_(BuddyPair.host_id.in_(ids), BuddyPair.migrant_id.in_(ids)))
    )
    return removed or 0


def purge_before(session: Session, cutoff: datetime) -> int:
    """Retention: pairs from events before the cutoff go; the rollups stay as they are."""
    return (
        session.connection()
        .execute(delete(ContactPair).where(ContactPair.met_at < cutoff))
        .rowcount
    )
