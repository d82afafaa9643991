"""At the door: the roster searched by name, a check-in taken back, and the counts inside."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from birge_api.attendance.door import name_matches, normalise_name
from birge_shared.models import Community, Event, Invitation, InvitationStatus
from tests.factories import make_event, make_invitation, make_participant

Headers = dict[str, str]


def _started(db: Session) -> Event:
    event = make_event(db, starts_in=timedelta(minutes=10))
    db.commit()
    return event


def _search(client: TestClient, headers: Headers, event: Event, query: str) -> list[str]:
    response = client.post(
        f"/v1/events/{event.id}/attendance/roster-search", json={"query": query}, headers=headers
    )
    assert response.status_code == 200, response.text
    return [row["name"] for row in response.json()]


def test_names_match_by_the_start_of_any_word_in_either_script_and_any_case() -> None:
    assert name_matches("Нурлан Абдыкеримов", "нур")
    assert name_matches("Нурлан Абдыкеримов", "АБДЫ")
    assert name_matches("Aibek  Toktogulov", "aibek tok")
    assert name_matches("Ömür Ösmonov", "ÖMÜ")
    assert not name_matches("Нурлан Абдыкеримов", "лан")
    assert normalise_name("  Ａｉｂｅｋ ") == "aibek"  # full-width letters fold too


def test_the_search_finds_the_events_people_by_name_and_nobody_else(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = _started(db)
    for name, status in [
        ("Нурлан Абдыкеримов", InvitationStatus.ACCEPTED),
        ("Nurbek Osmonov", InvitationStatus.DECLINED),
        ("Айгуль Нурова", InvitationStatus.ATTENDED),
        ("Planned Only", InvitationStatus.PLANNED),
    ]:
        make_invitation(db, event=event, participant=make_participant(db, name=name), status=status)
    make_participant(db, name="Нурия Без Приглашения")  # in the city, not on the roster
    db.commit()

    assert _search(client, osh_headers, event, "нур") == ["Айгуль Нурова", "Нурлан Абдыкеримов"]
    assert _search(client, osh_headers, event, "NUR") == ["Nurbek Osmonov"]
    assert len(_search(client, osh_headers, event, "")) == 3
    assert _search(client, osh_headers, event, "planned") == []


def test_viewers_cannot_search_and_another_city_is_404(
    client: TestClient, viewer_headers: Headers, bishkek_headers: Headers, db: Session
) -> None:
    event = _started(db)
    url = f"/v1/events/{event.id}/attendance/roster-search"
    assert client.post(url, json={"query": "a"}, headers=viewer_headers).status_code == 403
    assert client.post(url, json={"query": "a"}, headers=bishkek_headers).status_code == 404


def test_a_check_in_is_taken_back_to_accepted_and_a_walk_in_of_unknown_past_is_refused(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = _started(db)
    invited = make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.ACCEPTED
    )
    walk_in = make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.ATTENDED
    )
    walk_in.walk_in = True
    db.commit()
    url = f"/v1/events/{event.id}/attendance"

    checked = client.post(
        url, json={"attended": [str(invited.participant_id)]}, headers=osh_headers
    )
    assert checked.status_code == 200, checked.text
    db.refresh(invited)
    assert invited.status is InvitationStatus.ATTENDED
    assert invited.checked_in_at is not None

    undone = client.post(url, json={"unmarked": [str(invited.participant_id)]}, headers=osh_headers)
    assert undone.status_code == 200, undone.text
    assert undone.json()["unmarked"] == 1
    db.refresh(invited)
    assert InvitationStatus(invited.status) is InvitationStatus.ACCEPTED
    assert invited.checked_in_at is None

    refused = client.post(
        url, json={"unmarked": [str(walk_in.participant_id)]}, headers=osh_headers
    )
    # No audit entry tells what this walk-in's invitation was before (undone walk-ins: see
    # test_walk_ins_api.py).
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/walk-in-not-unmarked")
    db.refresh(walk_in)
    assert walk_in.status is InvitationStatus.ATTENDED

    both = client.post(
        url,
        json={"attended": [str(invited.participant_id)], "unmarked": [str(invited.participant_id)]},
        headers=osh_headers,
    )
    assert both.status_code == 422


def test_the_counts_show_who_is_inside_and_who_is_expected_per_community(
    client: TestClient, osh_headers: Headers, viewer_headers: Headers, db: Session
) -> None:
    event = _started(db)
    for community, status in [
        (Community.HOST, InvitationStatus.ATTENDED),
        (Community.HOST, InvitationStatus.ACCEPTED),
        (Community.MIGRANT, InvitationStatus.ATTENDED),
        (Community.MIGRANT, InvitationStatus.ATTENDED),
        (Community.MIGRANT, InvitationStatus.DECLINED),
    ]:
        make_invitation(
            db, event=event, participant=make_participant(db, community=community), status=status
        )
    db.commit()

    for headers in (osh_headers, viewer_headers):
        response = client.get(f"/v1/events/{event.id}/attendance", headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["inside"], body["expected"]) == (3, 1)
        assert {
            row["community"]: (row["inside"], row["expected"]) for row in body["by_community"]
        } == {
            "host": (1, 1),
            "migrant": (2, 0),
        }
    assert db.query(Invitation).filter(Invitation.event_id == event.id).count() == 5
