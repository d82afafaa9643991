"""The groups section of the event page, the team sheet and a person's group, under TestClient."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.models import (
    ActivityType,
    AuditEntry,
    BuddyPair,
    Community,
    Event,
    GroupMember,
    InvitationStatus,
    Language,
    Participant,
    Role,
)
from tests.factories import make_event, make_invitation, make_participant
from tests.integration.console.conftest import ConsoleClient
from tests.integration.console.conftest import SignedIn as _SignedIn


@pytest.fixture
def english(signed_in: _SignedIn) -> _SignedIn:
    def _sign_in(role: Role, cities: tuple[str, ...]) -> ConsoleClient:
        client = signed_in(role, cities)
        client.headers["Accept-Language"] = "en"
        return client

    return _sign_in


def _event(db: Session) -> tuple[Event, list[Participant]]:
    event = make_event(db, city="osh", capacity=10, min_share=0.4)
    people = []
    for number, community in enumerate([Community.HOST] * 2 + [Community.MIGRANT] * 2):
        person = make_participant(
            db, name=f"Группа Человек {number}", community=community, language=Language.RU
        )
        make_invitation(db, event=event, participant=person, status=InvitationStatus.ACCEPTED)
        people.append(person)
    db.commit()
    return event, people


def test_a_coordinator_splits_moves_and_prints_and_sees_the_group_on_the_person(
    english: _SignedIn, db: Session
) -> None:
    event, people = _event(db)
    client = english(Role.COORDINATOR, ("osh",))
    page = client.get(f"/console/events/{event.id}")
    assert "Teams and tables" in page.text
    assert "No groups yet." in page.text
    assert "Competitive: teams play against each other" in page.text  # football

    split = client.post(
        f"/console/events/{event.id}/groups",
        data={"csrf": client.csrf, "by": "count", "number": "2"},
    )
    assert split.status_code == 303
    page = client.get(split.headers["location"])
    assert "The people are split into groups." in page.text
    assert page.text.count('class="group-card"') == 2
    assert page.text.count("in the band") == 2

    # Both hosts into group 2: the competitive format warns about one-community teams.
    host_in_group_1 = db.scalar(
        select(GroupMember.participant_id)
        .join(Participant, Participant.id == GroupMember.participant_id)
        .where(GroupMember.event_id == event.id, Participant.community == Community.HOST)
        .order_by(GroupMember.participant_id)
    )
    moved = client.post(
        f"/console/events/{event.id}/groups/move",
        data={"csrf": client.csrf, "participant": str(host_in_group_1), "to_group": "2"},
    )
    assert moved.status_code == 303
    client.post(
        f"/console/events/{event.id}/groups/move",
        data={"csrf": client.csrf, "participant": str(host_in_group_1), "to_group": "1"},
    )
    assert db.scalar(select(AuditEntry.id).where(AuditEntry.action == "event.groups_move").limit(1))

    sheet = client.get(f"/console/events/{event.id}/team-sheet")
    assert sheet.status_code == 200
    assert all(f"Группа Человек {n}" in sheet.text for n in range(4))
    assert sheet.text.count("<caption>") == 2

    person = client.get(f"/console/participants/{people[0].id}")
    assert "Group " in person.text.split('id="person-groups"')[1]


def test_competitive_teams_of_one_community_are_warned_about(
    english: _SignedIn, db: Session
) -> None:
    event, people = _event(db)
    client = english(Role.COORDINATOR, ("osh",))
    client.post(
        f"/console/events/{event.id}/groups",
        data={"csrf": client.csrf, "by": "count", "number": "2"},
    )
    by_community: dict[Community | None, list[Participant]] = {}
    for person in people:
        by_community.setdefault(person.community, []).append(person)
    # Both migrants into group 1 and both hosts into group 2: opponents by community.
    for person in by_community[Community.MIGRANT]:
        client.post(
            f"/console/events/{event.id}/groups/move",
            data={"csrf": client.csrf, "participant": str(person.id), "to_group": "1"},
        )
    for person in by_community[Community.HOST]:
        client.post(
            f"/console/events/{event.id}/groups/move",
            data={"csrf": client.csrf, "participant": str(person.id), "to_group": "2"},
        )
    page = client.get(f"/console/events/{event.id}")
    assert "people would meet the other community as opponents" in page.text
    # A cooking event is cooperative: the same split is off the band but not "opponents".
    event.activity_type = ActivityType.COOKING
    db.commit()
    page = client.get(f"/console/events/{event.id}")
    assert "as opponents" not in page.text
    assert "outside the mix band" in page.text


def test_viewers_get_no_groups_and_bad_numbers_change_nothing(
    english: _SignedIn, db: Session
) -> None:
    event, _people = _event(db)
    viewer = english(Role.VIEWER, ("osh",))
    assert "Teams and tables" not in viewer.get(f"/console/events/{event.id}").text
    assert viewer.get(f"/console/events/{event.id}/team-sheet").status_code == 403
    refused = viewer.post(
        f"/console/events/{event.id}/groups",
        data={"csrf": viewer.csrf, "by": "size", "number": "2"},
    )
    assert refused.status_code == 403
    client = english(Role.COORDINATOR, ("osh",))
    bad = client.post(
        f"/console/events/{event.id}/groups",
        data={"csrf": client.csrf, "by": "size", "number": "x"},
    )
    assert "Give a group size from 2 to 100" in client.get(bad.headers["location"]).text
    assert db.scalar(select(GroupMember).where(GroupMember.event_id == event.id)) is None
    other = english(Role.COORDINATOR, ("bishkek",))
    assert other.get(f"/console/events/{event.id}/team-sheet").status_code == 404


def test_a_coordinator_pairs_buddies_from_the_groups_and_on_a_persons_page(
    english: _SignedIn, db: Session
) -> None:
    event, people = _event(db)  # two hosts, two migrants, all Russian
    client = english(Role.COORDINATOR, ("osh",))
    client.post(
        f"/console/events/{event.id}/groups",
        data={"csrf": client.csrf, "by": "count", "number": "2"},
    )
    page = client.get(f"/console/events/{event.id}?propose=1")
    assert "Proposed buddy pairs" in page.text
    assert page.text.count("Pair them") == 2
    host = next(p for p in people if p.community is Community.HOST)
    groups = {m.participant_id: m.group_id for m in db.scalars(select(GroupMember))}
    migrant = next(
        p for p in people if p.community is Community.MIGRANT and groups[p.id] == groups[host.id]
    )
    paired = client.post(
        f"/console/events/{event.id}/buddies",
        data={"csrf": client.csrf, "host": str(host.id), "migrant": str(migrant.id)},
    )
    page = client.get(paired.headers["location"])
    assert "They are buddies now" in page.text
    assert page.text.count("Pair them") == 1

    person = client.get(f"/console/participants/{host.id}")
    section = person.text.split('id="buddy-heading"')[1]
    assert "Группа Человек" in section
    assert "End the pairing" in section
    pair_id = db.scalar(select(BuddyPair.id).where(BuddyPair.host_id == host.id))
    client.post(
        f"/console/participants/{host.id}/buddy/end",
        data={"csrf": client.csrf, "pair": str(pair_id)},
    )
    person = client.get(f"/console/participants/{host.id}")
    section = person.text.split('id="buddy-heading"')[1]
    assert "Pair as buddies" in section
    other_migrant = next(
        p for p in people if p.community is Community.MIGRANT and p.id != migrant.id
    )
    again = client.post(
        f"/console/participants/{host.id}/buddy",
        data={"csrf": client.csrf, "buddy": str(other_migrant.id)},
    )
    assert again.status_code == 303
    assert (
        db.scalar(
            select(BuddyPair.migrant_id).where(
                BuddyPair.host_id == host.id, BuddyPair.ended_at.is_(None)
            )
        )
        == other_migrant.id
    )
