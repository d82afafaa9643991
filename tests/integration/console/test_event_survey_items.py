"""The event page's survey items: a coordinator chooses the bank's attitude items, a viewer
cannot, another city's event is a 404, and the API takes the same choice."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from birge_shared.models import Role
from tests.factories import make_event
from tests.integration.console.conftest import SignedIn


def test_a_coordinator_chooses_the_event_s_items_on_its_page(
    signed_in_english: SignedIn, db: Session
) -> None:
    event = make_event(db, city="bishkek")
    client = signed_in_english(Role.COORDINATOR, ("bishkek",))
    page = client.get(f"/console/events/{event.id}").text
    assert "Survey items" in page
    assert 'name="item" value="attitude" checked' in page
    assert 'name="item" value="thermometer">' in page
    saved = client.post(
        f"/console/events/{event.id}/survey-items",
        data={"csrf": client.csrf, "item": ["attitude", "thermometer"]},
    )
    assert saved.status_code == 303
    db.refresh(event)
    assert event.survey_items == ["attitude", "thermometer"]
    after = client.get(saved.headers["location"]).text
    assert "survey items are saved." in after
    assert 'name="item" value="thermometer" checked' in after
    refused = client.post(
        f"/console/events/{event.id}/survey-items", data={"csrf": client.csrf, "item": "rating"}
    )
    assert refused.status_code == 422
    db.refresh(event)
    assert event.survey_items == ["attitude", "thermometer"]


def test_viewers_and_other_cities_cannot_choose(signed_in_english: SignedIn, db: Session) -> None:
    event = make_event(db, city="bishkek")
    viewer = signed_in_english(Role.VIEWER, ("bishkek",))
    page = viewer.get(f"/console/events/{event.id}").text
    assert 'name="item"' not in page
    refused = viewer.post(
        f"/console/events/{event.id}/survey-items", data={"csrf": viewer.csrf, "item": "anxiety"}
    )
    assert refused.status_code == 403
    osh = signed_in_english(Role.COORDINATOR, ("osh",))
    other = osh.post(
        f"/console/events/{event.id}/survey-items", data={"csrf": osh.csrf, "item": "anxiety"}
    )
    assert other.status_code == 404
    db.refresh(event)
    assert event.survey_items is None


def test_the_api_sets_the_items(
    client: TestClient, admin_headers: dict[str, str], db: Session
) -> None:
    event = make_event(db, city="bishkek")
    url = f"/v1/events/{event.id}/survey-items"
    answer = client.put(url, json={"items": ["anxiety", "attitude"]}, headers=admin_headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["survey_items"] == ["attitude", "anxiety"]
    bad = client.put(url, json={"items": ["met_outside"]}, headers=admin_headers)
    assert bad.status_code == 422
    assert bad.json()["type"].endswith("unknown-survey-item")
    assert client.get(f"/v1/events/{event.id}", headers=admin_headers).json()["survey_items"] == [
        "attitude",
        "anxiety",
    ]
