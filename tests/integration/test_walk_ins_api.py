"""Walk-ins: someone who came without an invitation is marked attended, and counted so."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared.models import Event, Invitation, InvitationStatus, Participant
from tests.factories import make_event, make_invitation, make_participant, unique_phone

Headers = dict[str, str]


def _url(event: Event) -> str:
    return f"/v1/events/{event.id}/attendance/walk-ins"


def _new_person(city: str = "osh") -> dict[str, Any]:
    return {
        "name": "Нурлан Абдыкеримов",
        "phone": unique_phone(),
        "language": "ky",
        "city": city,
        "community": "host",
        "consent": {
            "method": "paper_form",
            "text_version": "2026-11",
            "given_at": "2026-11-20T10:00:00+06:00",
        },
    }


def _started(db: Session) -> Event:
    # Marking opens 30 minutes before the start.
    event = make_event(db, starts_in=timedelta(minutes=10))
    db.commit()
    return event


def test_a_person_registered_on_the_spot_is_an_attended_walk_in(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = _started(db)
    make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.ATTENDED
    )
    db.commit()

    response = client.post(_url(event), json={"participant": _new_person()}, headers=osh_headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "attended"
    assert body["walk_in"] is True
    assert body["registered"] is True
    person = db.get(Participant, body["participant_id"])
    assert person is not None
    assert person.city_code == "osh"
    roster = client.get(f"/v1/events/{event.id}/invitations", headers=osh_headers).json()
    (walk_in,) = [item for item in roster["items"] if item["walk_in"]]
    assert walk_in["name"] == "Нурлан Абдыкеримов"
    assert walk_in["status"] == "attended"
    report = client.get(f"/v1/reports/events/{event.id}", headers=osh_headers)
    assert report.status_code == 200, report.text
    assert report.json()["invitations"]["attended"] == 2


def test_a_registered_person_without_an_invitation_is_marked_and_counted(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = _started(db)
    person = make_participant(db)
    declined = make_participant(db)
    invitation = make_invitation(
        db, event=event, participant=declined, status=InvitationStatus.DECLINED
    )
    db.commit()

    first = client.post(_url(event), json={"participant_id": str(person.id)}, headers=osh_headers)
    came_anyway = client.post(
        _url(event), json={"participant_id": str(declined.id)}, headers=osh_headers
    )

    assert first.status_code == 201, first.text
    assert first.json()["registered"] is False
    stored = db.scalar(
        select(Invitation).where(
            Invitation.event_id == event.id, Invitation.participant_id == person.id
        )
    )
    assert stored is not None
    assert (stored.status, stored.walk_in) == (InvitationStatus.ATTENDED, True)
    assert stored.checked_in_at is not None
    assert came_anyway.status_code == 201, came_anyway.text
    assert came_anyway.json()["invitation_id"] == str(invitation.id)
    db.refresh(invitation)
    assert (invitation.status, invitation.walk_in) == (InvitationStatus.ATTENDED, True)
    report = client.get(f"/v1/reports/events/{event.id}", headers=osh_headers).json()
    assert report["invitations"]["attended"] == 2


def test_walk_ins_keep_to_the_rules_and_write_nothing_when_refused(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = _started(db)
    accepted = make_participant(db)
    make_invitation(db, event=event, participant=accepted, status=InvitationStatus.ACCEPTED)
    elsewhere = make_participant(db, city="bishkek")
    later = make_event(db, starts_in=timedelta(days=2))
    bishkek_event = make_event(db, city="bishkek", starts_in=timedelta(minutes=10))
    db.commit()
    people = db.scalar(select(func.count()).select_from(Participant))

    said_yes = client.post(
        _url(event), json={"participant_id": str(accepted.id)}, headers=osh_headers
    )
    other_city = client.post(
        _url(event), json={"participant_id": str(elsewhere.id)}, headers=osh_headers
    )
    wrong_city = client.post(
        _url(event), json={"participant": _new_person("bishkek")}, headers=osh_headers
    )
    another_citys_event = client.post(
        _url(bishkek_event), json={"participant_id": str(elsewhere.id)}, headers=osh_headers
    )
    too_early = client.post(_url(later), json={"participant": _new_person()}, headers=osh_headers)
    both = client.post(
        _url(event),
        json={"participant_id": str(accepted.id), "participant": _new_person()},
        headers=osh_headers,
    )

    assert said_yes.status_code == 409
    assert said_yes.json()["type"].endswith("/invited-not-walk-in")
    assert other_city.status_code == 404  # a person of a city the coordinator cannot see
    assert wrong_city.status_code == 422
    assert wrong_city.json()["errors"][0]["field"] == "participant.city"
    assert another_citys_event.status_code == 404
    assert too_early.status_code == 409
    assert too_early.json()["type"].endswith("/event-not-started")
    assert both.status_code == 422
    assert db.scalar(select(func.count()).select_from(Participant)) == people
    assert not db.scalars(select(Invitation).where(Invitation.walk_in.is_(True))).all()


def test_a_registered_person_found_by_phone_is_a_walk_in_and_an_unknown_number_is_422(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = _started(db)
    number = unique_phone()
    person = make_participant(db, phone=number)
    make_participant(db, city="bishkek", phone=unique_phone())
    db.commit()

    response = client.post(_url(event), json={"phone": number}, headers=osh_headers)
    unknown = client.post(_url(event), json={"phone": unique_phone()}, headers=osh_headers)

    assert response.status_code == 201, response.text
    assert response.json()["participant_id"] == str(person.id)
    assert response.json()["registered"] is False
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "phone"


def test_taking_a_walk_ins_mark_back_undoes_the_walk_in(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = _started(db)
    declined = make_participant(db)
    make_invitation(db, event=event, participant=declined, status=InvitationStatus.DECLINED)
    db.commit()
    new = client.post(_url(event), json={"participant": _new_person()}, headers=osh_headers)
    came_anyway = client.post(
        _url(event), json={"participant_id": str(declined.id)}, headers=osh_headers
    )
    assert (new.status_code, came_anyway.status_code) == (201, 201)
    registered = new.json()["participant_id"]

    undone = client.post(
        f"/v1/events/{event.id}/attendance",
        json={"unmarked": [registered, str(declined.id)]},
        headers=osh_headers,
    )

    assert undone.status_code == 200, undone.text
    assert undone.json()["changed"] == 2
    invitations = {
        str(invitation.participant_id): invitation
        for invitation in db.scalars(select(Invitation).where(Invitation.event_id == event.id))
    }
    assert registered not in invitations  # the walk-in's own invitation is gone …
    assert db.get(Participant, new.json()["participant_id"]) is not None  # … the person stays
    before = invitations[str(declined.id)]
    db.refresh(before)
    assert (before.status, before.walk_in, before.checked_in_at) == (
        InvitationStatus.DECLINED,
        False,
        None,
    )
