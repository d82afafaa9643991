"""City codes are names people type: `OSH` and `osh` are one city, in paths, bodies and
filters alike."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import make_event, make_participant

Headers = dict[str, str]


def test_a_participant_registered_in_osh_written_in_capitals(
    client: TestClient, admin_headers: Headers
) -> None:
    response = client.post(
        "/v1/participants",
        headers=admin_headers,
        json={
            "name": "Aida",
            "phone": "0555 123 789",
            "language": "ky",
            "city": "OSH",
            "community": "host",
            "consent": {
                "method": "paper_form",
                "text_version": "2026-01",
                "given_at": "2026-11-20T10:00:00+06:00",
            },
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["city"] == "osh"


def test_list_filters_take_the_city_in_any_case(
    client: TestClient, db: Session, admin_headers: Headers
) -> None:
    event = make_event(db, city="osh")
    participant = make_participant(db, city="osh")
    make_event(db, city="bishkek")
    db.commit()

    for code in ("OSH", "Osh", " osh "):
        events = client.get("/v1/events", params={"city": code}, headers=admin_headers)
        assert events.status_code == 200, events.text
        assert {item["city"] for item in events.json()["items"]} == {"osh"}
        assert str(event.id) in {item["id"] for item in events.json()["items"]}

        people = client.get("/v1/participants", params={"city": code}, headers=admin_headers)
        assert people.status_code == 200, people.text
        assert str(participant.id) in {item["id"] for item in people.json()["items"]}

    lower = client.get("/v1/reports/summary", params={"city": "osh"}, headers=admin_headers)
    upper = client.get("/v1/reports/summary", params={"city": "OSH"}, headers=admin_headers)
    assert upper.status_code == 200, upper.text
    assert upper.json() == lower.json()


def test_a_coordinator_filtering_by_their_own_city_in_capitals_sees_it(
    client: TestClient, db: Session, osh_headers: Headers
) -> None:
    event = make_event(db, city="osh")
    db.commit()
    events = client.get("/v1/events", params={"city": "OSH"}, headers=osh_headers)
    assert events.status_code == 200
    assert str(event.id) in {item["id"] for item in events.json()["items"]}


def test_the_city_feed_answers_to_its_code_in_capitals(client: TestClient) -> None:
    lower = client.get("/calendars/osh.ics")
    upper = client.get("/calendars/OSH.ics")
    assert upper.status_code == 200
    assert upper.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VCALENDAR" in upper.text
    assert upper.headers["content-disposition"] == lower.headers["content-disposition"]
    assert client.get("/calendars/ATLANTIS.ics").status_code == 404
