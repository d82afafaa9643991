from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared.models import AuditEntry, Event, OutboxEntry


def event_body(**overrides: Any) -> dict[str, Any]:
    start = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    body: dict[str, Any] = {
        "city": "osh",
        "title": {"ru": "Футбол вместе", "en": "Football together"},
        "description": {"en": "A friendly match"},
        "activity_type": "sport",
        "venue": {
            "name": "Stadium",
            "address": "Lenin st. 1",
            "latitude": 40.52,
            "longitude": 72.80,
        },
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 20,
        "mix_band": {"min_share": 0.4},
    }
    body.update(overrides)
    return body


def count_events(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Event)) or 0


def test_create_read_and_list_an_event(client: TestClient, admin_headers: dict[str, str]) -> None:
    body = event_body(starts_at="2030-12-05T15:00:00+06:00", ends_at="2030-12-05T17:00:00+06:00")
    created = client.post("/v1/events", json=body, headers=admin_headers)
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["city"] == "osh"
    assert event["status"] == "scheduled"
    assert event["sequence"] == 0
    # Stored in UTC, shown in Asia/Bishkek as well.
    assert event["starts_at"].startswith("2030-12-05T09:00:00")
    assert event["starts_at_local"].startswith("2030-12-05T15:00:00+06:00")
    assert event["mix_band"] == {"min_share": 0.4}

    fetched = client.get(f"/v1/events/{event['id']}", headers=admin_headers)
    assert fetched.json() == event

    listed = client.get("/v1/events", params={"city": "osh"}, headers=admin_headers).json()
    assert event["id"] in [item["id"] for item in listed["items"]]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"city": "almaty"}, "city"),
        (
            {"ends_at": "2030-01-01T09:00:00+06:00", "starts_at": "2030-01-01T10:00:00+06:00"},
            "ends_at",
        ),
        ({"starts_at": "2030-01-01T10:00:00"}, "starts_at"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": -3}, "capacity"),
        ({"mix_band": {"min_share": 0.6}}, "mix_band.min_share"),
        ({"mix_band": {"min_share": -0.1}}, "mix_band.min_share"),
        ({"title": {}}, "title"),
        ({"title": {"de": "Fußball"}}, "title.de"),
        ({"activity_type": "skydiving"}, "activity_type"),
        ({"venue": {"name": "x", "address": "y", "latitude": 40.5}}, "venue"),
        (
            {"starts_at": "2020-01-01T10:00:00+06:00", "ends_at": "2020-01-01T12:00:00+06:00"},
            "starts_at",
        ),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_event_input_is_a_422_problem_naming_the_field(
    client: TestClient,
    db: Session,
    admin_headers: dict[str, str],
    overrides: dict[str, Any],
    field: str,
) -> None:
    before = count_events(db)
    response = client.post("/v1/events", json=event_body(**overrides), headers=admin_headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert problem["type"].startswith("https://birge.kg/problems/")
    assert field in [error["field"] for error in problem["errors"]]
    assert count_events(db) == before


def test_malformed_json_is_a_422_problem(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = client.post(
        "/v1/events",
        content=b"{not json",
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_a_body_of_ten_megabytes_is_refused_with_413(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    before = count_events(db)
    huge = event_body(description={"en": "x" * (10 * 1024 * 1024)})
    response = client.post("/v1/events", json=huge, headers=admin_headers)
    assert response.status_code == 413
    assert response.json()["type"].endswith("/payload-too-large")
    assert count_events(db) == before


def test_a_time_change_raises_the_sequence_but_a_description_change_does_not(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    event = client.post("/v1/events", json=event_body(), headers=admin_headers).json()
    url = f"/v1/events/{event['id']}"

    typo = client.patch(url, json={"description": {"en": "A friendly game"}}, headers=admin_headers)
    assert typo.status_code == 200, typo.text
    assert typo.json()["sequence"] == 0

    later = datetime.fromisoformat(event["starts_at"]) + timedelta(hours=1)
    moved = client.patch(
        url,
        json={"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=2)).isoformat()},
        headers=admin_headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["sequence"] == 1

    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.object_id == event["id"])).all()
    assert actions.count("event.update") == 2


def test_patch_refuses_an_end_before_the_stored_start(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    event = client.post("/v1/events", json=event_body(), headers=admin_headers).json()
    early_end = datetime.fromisoformat(event["starts_at"]) - timedelta(hours=1)
    response = client.patch(
        f"/v1/events/{event['id']}", json={"ends_at": early_end.isoformat()}, headers=admin_headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "ends_at"
    unchanged = client.get(f"/v1/events/{event['id']}", headers=admin_headers).json()
    assert unchanged["ends_at"] == event["ends_at"]


def test_cancel_writes_one_outbox_row_and_is_idempotent(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    event = client.post("/v1/events", json=event_body(), headers=admin_headers).json()
    first = client.post(f"/v1/events/{event['id']}/cancel", headers=admin_headers)
    second = client.post(f"/v1/events/{event['id']}/cancel", headers=admin_headers)
    assert first.status_code == second.status_code == 200
    assert first.json()["status"] == "cancelled"
    assert first.json()["sequence"] == 1
    assert second.json()["sequence"] == 1

    rows = db.scalars(select(OutboxEntry).where(OutboxEntry.task_name == "events.cancelled")).all()
    mine = [row for row in rows if row.payload == {"event_id": event["id"]}]
    assert len(mine) == 1

    patched = client.patch(f"/v1/events/{event['id']}", json={"capacity": 5}, headers=admin_headers)
    assert patched.status_code == 409
    assert patched.json()["type"].endswith("/event-not-open")


def test_coordinators_see_only_their_cities(
    client: TestClient, admin_headers: dict[str, str], bishkek_headers: dict[str, str]
) -> None:
    osh_event = client.post("/v1/events", json=event_body(), headers=admin_headers).json()
    url = f"/v1/events/{osh_event['id']}"

    assert client.get(url, headers=bishkek_headers).status_code == 404
    assert client.patch(url, json={"capacity": 3}, headers=bishkek_headers).status_code == 404
    assert client.post(f"{url}/cancel", headers=bishkek_headers).status_code == 404
    listed = client.get("/v1/events", headers=bishkek_headers).json()["items"]
    assert osh_event["id"] not in [item["id"] for item in listed]

    refused = client.post("/v1/events", json=event_body(), headers=bishkek_headers)
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/city-not-assigned")
    own = client.post("/v1/events", json=event_body(city="bishkek"), headers=bishkek_headers)
    assert own.status_code == 201


def test_viewers_read_but_cannot_write(
    client: TestClient, admin_headers: dict[str, str], viewer_headers: dict[str, str]
) -> None:
    event = client.post("/v1/events", json=event_body(), headers=admin_headers).json()
    url = f"/v1/events/{event['id']}"
    assert client.get(url, headers=viewer_headers).status_code == 200
    for response in (
        client.post("/v1/events", json=event_body(), headers=viewer_headers),
        client.patch(url, json={"capacity": 3}, headers=viewer_headers),
        client.post(f"{url}/cancel", headers=viewer_headers),
    ):
        assert response.status_code == 403
        assert response.json()["type"].endswith("/forbidden")


def test_no_token_is_401(client: TestClient) -> None:
    response = client.get("/v1/events")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/v1/events", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_listing_pages_with_a_cursor_and_caps_the_page_size(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    base = datetime(2031, 3, 1, 10, tzinfo=UTC)
    for offset in range(5):
        start = base + timedelta(days=offset)
        body = event_body(
            city="bishkek",
            starts_at=start.isoformat(),
            ends_at=(start + timedelta(hours=1)).isoformat(),
        )
        assert client.post("/v1/events", json=body, headers=admin_headers).status_code == 201
    params: dict[str, Any] = {
        "city": "bishkek",
        "from": base.isoformat(),
        "to": (base + timedelta(days=30)).isoformat(),
        "limit": 2,
    }
    seen: list[str] = []
    while True:
        page = client.get("/v1/events", params=params, headers=admin_headers).json()
        seen += [item["starts_at"] for item in page["items"]]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    assert len(seen) == 5
    assert seen == sorted(seen)

    too_big = client.get("/v1/events", params={"limit": 1000}, headers=admin_headers)
    assert too_big.status_code == 422
    assert too_big.json()["errors"][0]["field"] == "query.limit"
    bad_cursor = client.get("/v1/events", params={"cursor": "!!"}, headers=admin_headers)
    assert bad_cursor.status_code == 422


def test_a_forged_cursor_without_a_time_zone_is_a_422(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    forged = base64.urlsafe_b64encode(
        json.dumps(["2030-01-01T00:00:00", str(uuid.uuid4())]).encode()
    ).decode()
    response = client.get("/v1/events", params={"cursor": forged}, headers=admin_headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"
