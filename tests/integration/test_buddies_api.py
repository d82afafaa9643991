"""Buddies: pairing rules, kept in one group, invited together, nudged, counted in the report,
and gone with an erased person."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared import buddies
from birge_shared.models import (
    AuditEntry,
    BuddyPair,
    Community,
    ContactRollup,
    Event,
    Invitation,
    InvitationStatus,
    Language,
    Message,
    Participant,
)
from tests.factories import make_event, make_invitation, make_participant

Headers = dict[str, str]


def _pair(client: TestClient, headers: Headers, host: Participant, migrant: Participant) -> int:
    response = client.post(
        "/v1/buddies",
        json={"host_id": str(host.id), "migrant_id": str(migrant.id)},
        headers=headers,
    )
    return response.status_code


def test_pairing_takes_a_host_and_a_migrant_of_one_city_and_language_once(
    client: TestClient,
    osh_headers: Headers,
    bishkek_headers: Headers,
    viewer_headers: Headers,
    db: Session,
) -> None:
    host = make_participant(db, community=Community.HOST, language=Language.KY)
    migrant = make_participant(db, community=Community.MIGRANT, language=Language.KY)
    other_host = make_participant(db, community=Community.HOST, language=Language.KY)
    english = make_participant(db, community=Community.MIGRANT, language=Language.EN)
    db.commit()
    assert _pair(client, viewer_headers, host, migrant) == 403
    assert _pair(client, bishkek_headers, host, migrant) == 404
    assert _pair(client, osh_headers, host, other_host) == 422  # two hosts
    assert _pair(client, osh_headers, other_host, english) == 422  # no shared language
    assert _pair(client, osh_headers, host, migrant) == 201
    assert _pair(client, osh_headers, other_host, migrant) == 409  # the migrant has a buddy

    listed = client.get(
        "/v1/buddies", params={"participant_id": str(host.id)}, headers=osh_headers
    ).json()
    assert [row["migrant_id"] for row in listed] == [str(migrant.id)]
    ended = client.post(f"/v1/buddies/{listed[0]['id']}/end", headers=osh_headers)
    assert ended.json()["active"] is False
    assert _pair(client, osh_headers, other_host, migrant) == 201  # free again
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "buddy_pair"))
    assert sorted(actions) == ["buddy.end", "buddy.pair", "buddy.pair"]


def _room(db: Session, event: Event, status: InvitationStatus) -> list[Participant]:
    people = [
        make_participant(db, community=community, language=Language.RU)
        for community in [Community.HOST] * 4 + [Community.MIGRANT] * 4
    ]
    for person in people:
        make_invitation(db, event=event, participant=person, status=status)
    return people


def test_buddies_share_a_group_and_the_split_proposes_pairs_for_the_rest(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db)
    people = _room(db, event, InvitationStatus.ACCEPTED)
    db.commit()
    for host, migrant in [(people[0], people[4]), (people[1], people[5])]:
        assert _pair(client, osh_headers, host, migrant) == 201
    client.post(f"/v1/events/{event.id}/groups", json={"count": 4}, headers=osh_headers)
    body = client.get(
        f"/v1/events/{event.id}/groups", params={"propose_buddies": "true"}, headers=osh_headers
    ).json()
    group_of = {m["participant_id"]: g["number"] for g in body["groups"] for m in g["members"]}
    assert group_of[str(people[0].id)] == group_of[str(people[4].id)]
    assert group_of[str(people[1].id)] == group_of[str(people[5].id)]
    proposed = body["proposed_buddies"]
    assert proposed
    paired = {str(p.id) for p in people[:2] + people[4:6]}
    for item in proposed:
        assert item["host_id"] not in paired
        assert item["migrant_id"] not in paired
        assert group_of[item["host_id"]] == group_of[item["migrant_id"]] == item["group"]


def test_a_buddy_is_invited_with_the_other_and_both_get_a_nudge_the_day_before(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    host = make_participant(db, community=Community.HOST, language=Language.RU)
    migrant = make_participant(db, community=Community.MIGRANT, language=Language.RU)
    event = make_event(db, capacity=10)
    db.commit()
    assert _pair(client, osh_headers, host, migrant) == 201
    invited = client.post(
        f"/v1/events/{event.id}/invitations",
        json={"participant_ids": [str(host.id)]},
        headers=osh_headers,
    )
    assert invited.status_code == 202, invited.text
    statuses = dict(
        db.execute(
            select(Invitation.participant_id, Invitation.status).where(
                Invitation.event_id == event.id
            )
        ).all()
    )
    assert statuses == {host.id: InvitationStatus.PLANNED, migrant.id: InvitationStatus.PLANNED}
    nudges = db.scalars(select(Message).where(Message.purpose == buddies.BUDDY_NUDGE)).all()
    assert {m.participant_id for m in nudges} == {host.id, migrant.id}
    assert all(m.not_before == event.starts_at - buddies.NUDGE_BEFORE for m in nudges)

    # Sent only if both accepted by then.
    invitation = db.scalar(select(Invitation).where(Invitation.participant_id == host.id))
    assert invitation is not None
    invitation.status = InvitationStatus.ACCEPTED
    db.flush()
    assert not buddies.nudge_wanted(invitation)
    other = db.scalar(select(Invitation).where(Invitation.participant_id == migrant.id))
    assert other is not None
    other.status = InvitationStatus.ACCEPTED
    db.flush()
    assert buddies.nudge_wanted(invitation)


def test_the_report_counts_buddy_pairs_who_met_three_times_and_erasure_ends_the_pair(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    people = [
        make_participant(db, community=community, language=Language.RU)
        for community in [Community.HOST] * 5 + [Community.MIGRANT] * 5
    ]
    db.commit()
    for host, migrant in zip(people[:5], people[5:], strict=True):
        assert _pair(client, osh_headers, host, migrant) == 201
    for _ in range(3):
        event = make_event(db, starts_in=timedelta(days=-1))
        for person in people:
            make_invitation(db, event=event, participant=person, status=InvitationStatus.ATTENDED)
        db.commit()
        client.post(f"/v1/events/{event.id}/groups", json={"count": 2}, headers=osh_headers)
    rows = client.get("/v1/reports/contacts", headers=osh_headers).json()["months"]
    assert sum(row["buddy_pairs_met_three"] or 0 for row in rows) == 5
    rollups = db.scalars(select(ContactRollup)).all()
    assert sum(r.buddy_pairs_met_three for r in rollups) == 5

    assert client.delete(f"/v1/participants/{people[0].id}", headers=osh_headers).status_code == 204
    assert db.scalar(select(BuddyPair).where(BuddyPair.host_id == people[0].id)) is None
    assert client.get("/v1/reports/contacts", headers=osh_headers).json()["months"] == rows
