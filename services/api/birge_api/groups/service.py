"""An event's groups: split the people who are there, read the groups, move a person by hand.

Who is split: the people checked in (attended) once the event has begun; before it, the people
who confirmed (and anyone already checked in). History for the novelty term is who shared a
group with whom at other events of the past year that began before this one.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, aliased

from birge_api.deps import Actor
from birge_api.events.service import get_event
from birge_api.groups.split import Group, Person, SplitError, band_shortfall, pair_key, split
from birge_api.problems import Problem, invalid, not_found
from birge_shared import audit, buddies, contacts
from birge_shared.balance import in_band
from birge_shared.formats import activity_format
from birge_shared.models import (
    ActivityFormat,
    Community,
    Event,
    EventGroup,
    EventStatus,
    GroupMember,
    Invitation,
    InvitationStatus,
    Language,
    Participant,
    utcnow,
)

#: How far back earlier meetings count for the novelty term.
HISTORY = timedelta(days=365)
MAX_GROUPS = 200


@dataclass(frozen=True)
class GroupView:
    number: int
    language: Language
    members: list[Participant]

    @property
    def host(self) -> int:
        return sum(1 for p in self.members if p.community is Community.HOST)

    @property
    def migrant(self) -> int:
        return sum(1 for p in self.members if p.community is Community.MIGRANT)

    @property
    def unspecified(self) -> int:
        return len(self.members) - self.host - self.migrant

    def in_band(self, min_share: float) -> bool:
        return in_band(self.host, self.migrant, min_share)

    def shortfall(self, min_share: float) -> float:
        return float(band_shortfall(self.host, self.migrant, min_share))


@dataclass(frozen=True)
class EventGroups:
    event: Event
    groups: list[GroupView]
    #: Stable codes of what the coordinator should look at before using these groups.
    warnings: list[str]

    @property
    def format(self) -> ActivityFormat:
        return activity_format(self.event.activity_type)


def split_event(
    *,
    session: Session,
    actor: Actor,
    event_id: uuid.UUID,
    size: int | None,
    count: int | None,
    now: datetime | None = None,
) -> EventGroups:
    """Split the event's people into groups, replacing any groups it had. The caller commits."""
    moment = now or utcnow()
    event = get_event(session=session, actor=actor, event_id=event_id, lock=True)
    if event.status is EventStatus.CANCELLED:
        raise Problem(status=409, type_="event-cancelled", title="The event was cancelled")
    people = _pool(session, event, moment)
    ids = [person.id for person in people]
    try:
        groups = split(
            [Person(p.id, p.community, p.language) for p in people],
            groups=count,
            size=size,
            min_share=event.min_share,
            met=met_before(session=session, event=event, participant_ids=ids),
            buddies=buddies.active_pairs(session, ids),
        )
    except SplitError as error:
        raise Problem(
            status=409 if error.code == "nobody-to-split" else 422,
            type_=error.code,
            title=str(error),
            errors=[{"field": "count" if count else "size", "detail": str(error)}],
        ) from None
    _store(session, event, groups)
    contacts.record_event(session, event)
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="event.groups_split",
        object_type="event",
        object_id=event.id,
        details={"people": len(people), "groups": len(groups), "size": size, "count": count},
    )
    session.flush()
    return read_groups(session=session, actor=actor, event_id=event.id)


def _pool(session: Session, event: Event, now: datetime) -> list[Participant]:
    statuses = [InvitationStatus.ATTENDED]
    if now < event.starts_at:
        statuses.append(InvitationStatus.ACCEPTED)
    return list(
        session.scalars(
            select(Participant)
            .join(Invitation, Invitation.participant_id == Participant.id)
            .where(
                Invitation.event_id == event.id,
                Invitation.status.in_(statuses),
                Participant.erased_at.is_(None),
            )
            .order_by(Participant.id)
        )
    )


def met_before(
    *, session: Session, event: Event, participant_ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
    """How often each pair of these people shared a group at earlier events of the past year."""
    if len(participant_ids) < 2:
        return {}
    mine, theirs = aliased(GroupMember), aliased(GroupMember)
    rows = session.execute(
        select(mine.participant_id, theirs.participant_id)
        .join(
            theirs,
            (theirs.group_id == mine.group_id) & (theirs.participant_id > mine.participant_id),
        )
        .join(Event, Event.id == mine.event_id)
        .where(
            mine.participant_id.in_(participant_ids),
            theirs.participant_id.in_(participant_ids),
            mine.event_id != event.id,
            Event.starts_at < event.starts_at,
            Event.starts_at >= event.starts_at - HISTORY,
        )
    ).all()
    return dict(Counter(pair_key(a, b) for a, b in rows))


def _store(session: Session, event: Event, groups: Iterable[Group]) -> None:
    session.execute(delete(GroupMember).where(GroupMember.event_id == event.id))
    session.execute(delete(EventGroup).where(EventGroup.event_id == event.id))
    session.flush()
    for number, group in enumerate(groups, start=1):
        row = EventGroup(event_id=event.id, number=number, language=group.language, source="split")
        session.add(row)
        session.flush()
        session.add_all(
            GroupMember(event_id=event.id, participant_id=member, group_id=row.id)
            for member in group.members
        )
    session.flush()


def read_groups(*, session: Session, actor: Actor, event_id: uuid.UUID) -> EventGroups:
    event = get_event(session=session, actor=actor, event_id=event_id)
    rows = list(
        session.scalars(
            select(EventGroup).where(EventGroup.event_id == event.id).order_by(EventGroup.number)
        )
    )
    members: dict[uuid.UUID, list[Participant]] = defaultdict(list)
    for group_id, participant in session.execute(
        select(GroupMember.group_id, Participant)
        .join(Participant, Participant.id == GroupMember.participant_id)
        .where(GroupMember.event_id == event.id)
        .order_by(Participant.id)
    ).all():
        members[group_id].append(participant)
    groups = [GroupView(row.number, row.language, members[row.id]) for row in rows]
    return EventGroups(event=event, groups=groups, warnings=warnings(event, groups))


def propose_buddies(
    *, session: Session, result: EventGroups
) -> list[tuple[int, Participant, Participant]]:
    """Buddy pairs to propose: in each group, its hosts and migrants without a buddy, paired
    in the order of their ids (the same language, since the group shares one)."""
    everyone = [p.id for group in result.groups for p in group.members]
    paired = buddies.partners(session, everyone)
    proposals: list[tuple[int, Participant, Participant]] = []
    for group in result.groups:
        free = [p for p in group.members if p.id not in paired and p.erased_at is None]
        hosts = [p for p in free if p.community is Community.HOST and p.language is group.language]
        migrants = [
            p for p in free if p.community is Community.MIGRANT and p.language is group.language
        ]
        proposals += [(group.number, h, m) for h, m in zip(hosts, migrants, strict=False)]
    return proposals


def warnings(event: Event, groups: Sequence[GroupView]) -> list[str]:
    """What to fix before play: opposing teams made of one community, groups off the band."""
    found: list[str] = []
    mixed_room = any(g.host for g in groups) and any(g.migrant for g in groups)
    one_sided = [g for g in groups if (g.host == 0) != (g.migrant == 0) and g.host + g.migrant >= 2]
    if (
        activity_format(event.activity_type) is ActivityFormat.COMPETITIVE
        and mixed_room
        and one_sided
    ):
        found.append("opposing-communities")
    if any(not g.in_band(event.min_share) for g in groups):
        found.append("outside-band")
    if any(p.language is not g.language for g in groups for p in g.members):
        # Only a move by hand does this: the split keeps every group to one language.
        found.append("language-mixed")
    return found


def move_member(
    *,
    session: Session,
    actor: Actor,
    event_id: uuid.UUID,
    participant_id: uuid.UUID,
    to_group: int,
) -> EventGroups:
    """Move one person to another of the event's groups, by hand; audited with ids only."""
    event = get_event(session=session, actor=actor, event_id=event_id, lock=True)
    member = session.get(GroupMember, (event.id, participant_id))
    if member is None:
        raise not_found("Group member")
    target = session.scalar(
        select(EventGroup).where(EventGroup.event_id == event.id, EventGroup.number == to_group)
    )
    if target is None:
        raise invalid("to_group", f"the event has no group {to_group}")
    source = session.get(EventGroup, member.group_id)
    if target.id != member.group_id:
        member.group_id = target.id
        target.source = "manual"
        if source is not None:
            source.source = "manual"
        audit.record(
            session=session,
            actor_id=actor.user_id,
            action="event.groups_move",
            object_type="event",
            object_id=event.id,
            details={
                "participant_id": str(participant_id),
                "from_group": source.number if source is not None else None,
                "to_group": to_group,
            },
        )
        session.flush()
        contacts.record_event(session, event)
    return read_groups(session=session, actor=actor, event_id=event.id)


def group_of(*, session: Session, participant_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """Each event's group number for one person (for their page)."""
    return dict(
        session.execute(
            select(GroupMember.event_id, EventGroup.number)
            .join(EventGroup, EventGroup.id == GroupMember.group_id)
            .where(GroupMember.participant_id == participant_id)
        ).all()
    )
