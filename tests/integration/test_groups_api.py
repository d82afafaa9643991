"""An event's groups through the API: split, read, move by hand, who may, and what is refused."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.models import (
    AuditEntry,
    Community,
    Event,
    EventGroup,
    GroupMember,
    InvitationStatus,
    Language,
    Participant,
)
from tests.factories import make_event, make_invitation, make_participant

Headers = dict[str, str]


def _room(
    db: Session,
    event: Event,
    *,
    hosts: int,
    migrants: int,
    language: Language = Language.RU,
    status: InvitationStatus = InvitationStatus.ACCEPTED,
) -> list[Participant]:
    people = [
        make_participant(db, community=community, language=language)
        for community in [Community.HOST] * hosts + [Community.MIGRANT] * migrants
    ]
    for person in people:
        make_invitation(db, event=event, participant=person, status=status)
    return people


def test_confirmed_people_are_split_by_language_inside_the_band_and_read_back(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=30, min_share=0.4)
    _room(db, event, hosts=6, migrants=6, language=Language.RU)
    _room(db, event, hosts=2, migrants=2, language=Language.KY)
    declined = make_participant(db)
    make_invitation(db, event=event, participant=declined, status=InvitationStatus.DECLINED)
    db.commit()

    response = client.post(f"/v1/events/{event.id}/groups", json={"size": 4}, headers=osh_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["format"] == "competitive"  # football
    assert [g["language"] for g in body["groups"]] == ["ky", "ru", "ru", "ru"]
    assert all(g["in_band"] and g["host"] == g["migrant"] == 2 for g in body["groups"])
    members = [m["participant_id"] for g in body["groups"] for m in g["members"]]
    assert len(members) == 16
    assert str(declined.id) not in members
    assert body["warnings"] == []

    again = client.post(f"/v1/events/{event.id}/groups", json={"size": 4}, headers=osh_headers)
    assert again.json()["groups"] == body["groups"]  # the same input, the same groups
    assert client.get(f"/v1/events/{event.id}/groups", headers=osh_headers).json() == body
    db.expire_all()
    assert db.scalar(select(EventGroup).where(EventGroup.event_id == event.id).limit(1))
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.object_id == str(event.id))
    ).all()
    assert actions.count("event.groups_split") == 2


def test_once_the_event_has_begun_only_the_checked_in_people_are_split(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, starts_in=timedelta(minutes=-10))
    there = _room(db, event, hosts=2, migrants=2, status=InvitationStatus.ATTENDED)
    _room(db, event, hosts=2, migrants=2, status=InvitationStatus.ACCEPTED)
    db.commit()
    response = client.post(f"/v1/events/{event.id}/groups", json={"count": 1}, headers=osh_headers)
    members = {m["participant_id"] for m in response.json()["groups"][0]["members"]}
    assert members == {str(p.id) for p in there}


def test_a_move_by_hand_is_audited_and_a_one_community_team_is_warned_about(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db)
    _room(db, event, hosts=2, migrants=2)
    db.commit()
    body = client.post(
        f"/v1/events/{event.id}/groups", json={"count": 2}, headers=osh_headers
    ).json()
    first, second = body["groups"]
    host = next(m for m in first["members"] if m["community"] == "host")["participant_id"]
    other_migrant = next(m for m in second["members"] if m["community"] == "migrant")
    client.post(
        f"/v1/events/{event.id}/groups/moves",
        json={"participant_id": host, "to_group": 2},
        headers=osh_headers,
    )
    moved = client.post(
        f"/v1/events/{event.id}/groups/moves",
        json={"participant_id": other_migrant["participant_id"], "to_group": 1},
        headers=osh_headers,
    )
    assert moved.status_code == 200, moved.text
    result = moved.json()
    # Group 1 now holds both migrants, group 2 both hosts: opponents by community.
    assert {m["community"] for m in result["groups"][0]["members"]} == {"migrant"}
    assert "opposing-communities" in result["warnings"]
    assert "outside-band" in result["warnings"]
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "event.groups_move")).first()
    assert entry is not None
    assert entry.details["to_group"] == 2
    assert set(entry.details) == {"participant_id", "from_group", "to_group"}

    nowhere = client.post(
        f"/v1/events/{event.id}/groups/moves",
        json={"participant_id": host, "to_group": 9},
        headers=osh_headers,
    )
    assert nowhere.status_code == 422
    assert nowhere.headers["content-type"].startswith("application/problem+json")


def test_bad_requests_change_nothing_and_viewers_and_other_cities_are_refused(
    client: TestClient,
    osh_headers: Headers,
    bishkek_headers: Headers,
    viewer_headers: Headers,
    db: Session,
) -> None:
    event = make_event(db)
    db.commit()
    url = f"/v1/events/{event.id}/groups"
    assert client.post(url, json={"size": 4}, headers=osh_headers).status_code == 409  # nobody
    _room(db, event, hosts=1, migrants=1, language=Language.KY)
    _room(db, event, hosts=1, migrants=1, language=Language.EN)
    db.commit()
    assert client.post(url, json={"size": 4, "count": 2}, headers=osh_headers).status_code == 422
    too_few = client.post(url, json={"count": 1}, headers=osh_headers)
    assert too_few.status_code == 422
    assert too_few.json()["type"].endswith("too-few-groups")
    assert db.scalar(select(GroupMember).where(GroupMember.event_id == event.id)) is None
    assert client.post(url, json={"size": 4}, headers=viewer_headers).status_code == 403
    assert client.get(url, headers=viewer_headers).status_code == 403
    assert client.post(url, json={"size": 4}, headers=bishkek_headers).status_code == 404
    assert client.get(url, headers=bishkek_headers).status_code == 404


def test_people_who_shared_a_group_before_are_spread_apart(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    earlier = make_event(db, starts_in=timedelta(days=-20))
    event = make_event(db)
    people = _room(db, earlier, hosts=2, migrants=2, status=InvitationStatus.ATTENDED)
    for person in people:
        make_invitation(db, event=event, participant=person, status=InvitationStatus.ACCEPTED)
    db.commit()
    before = client.post(
        f"/v1/events/{earlier.id}/groups", json={"count": 2}, headers=osh_headers
    ).json()
    pairs_before = {frozenset(m["participant_id"] for m in g["members"]) for g in before["groups"]}
    now = client.post(f"/v1/events/{event.id}/groups", json={"count": 2}, headers=osh_headers)
    pairs_now = {frozenset(m["participant_id"] for m in g["members"]) for g in now.json()["groups"]}
    assert all(g["in_band"] for g in now.json()["groups"])
    assert not pairs_before & pairs_now
