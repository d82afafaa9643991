"""Extreme dates and line breaks in one-line fields are a 422 naming the field, never a 500."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import unique_phone

EXTREME = "9999-12-31T23:59:59-12:00"
ANCIENT = "0001-01-01T00:00:00+14:00"


def _event_body(**overrides: Any) -> dict[str, Any]:
    start = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    body: dict[str, Any] = {
        "city": "osh",
        "title": {"ru": "Футбол", "en": "Football"},
        "activity_type": "sport",
        "venue": {"name": "Stadium", "address": "Lenin st. 1"},
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 20,
    }
    body.update(overrides)
    return body


def _participant_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Aida",
        "phone": unique_phone(),
        "language": "ky",
        "city": "osh",
        "community": "host",
        "consent": {
            "method": "paper_form",
            "text_version": "2026-01",
            "given_at": "2026-11-20T10:00:00+06:00",
        },
    }
    body.update(overrides)
    return body


def _cursor(moment: str) -> str:
    raw = json.dumps([moment, str(uuid.uuid4())]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]], response.text


def _count(client: TestClient, headers: dict[str, str], url: str) -> int:
    """Rows the API lists (the tests run on a fresh database with far fewer than 100)."""
    response = client.get(url, params={"limit": 100}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return len(response.json()["items"])


def _new_event(client: TestClient, headers: dict[str, str]) -> str:
    created = client.post("/v1/events", json=_event_body(), headers=headers)
    assert created.status_code == 201, created.text
    event_id: str = created.json()["id"]
    return event_id


@pytest.mark.parametrize("moment", [EXTREME, ANCIENT])
def test_extreme_dates_are_refused_in_every_place_that_takes_one(
    client: TestClient, admin_headers: dict[str, str], moment: str
) -> None:
    event_id = _new_event(client, admin_headers)
    events = _count(client, admin_headers, "/v1/events")
    participants = _count(client, admin_headers, "/v1/participants")

    # 1. An event's end on creation.
    _refused(
        client.post("/v1/events", json=_event_body(ends_at=moment), headers=admin_headers),
        "ends_at",
    )
    # 2. An event's end changed.
    _refused(
        client.patch(f"/v1/events/{event_id}", json={"ends_at": moment}, headers=admin_headers),
        "ends_at",
    )
    # 3. The events list's `from` (and `to`).
    for name in ("from", "to"):
        _refused(
            client.get("/v1/events", params={name: moment}, headers=admin_headers),
            f"query.{name}",
        )
    # 4. Cursors of every list: one forged at the end of the calendar.
    for url in ("/v1/events", "/v1/audit", "/v1/participants", "/v1/users"):
        _refused(
            client.get(url, params={"cursor": _cursor(moment)}, headers=admin_headers), "cursor"
        )
    # 5. The audit's `from` (and `to`).
    for name in ("from", "to"):
        _refused(
            client.get("/v1/audit", params={name: moment}, headers=admin_headers),
            f"query.{name}",
        )
    # 6. When consent was given, on creation and on a change.
    consent = {"method": "paper_form", "text_version": "2026-01", "given_at": moment}
    _refused(
        client.post(
            "/v1/participants", json=_participant_body(consent=consent), headers=admin_headers
        ),
        "consent.given_at",
    )
    created = client.post("/v1/participants", json=_participant_body(), headers=admin_headers)
    assert created.status_code == 201, created.text
    _refused(
        client.patch(
            f"/v1/participants/{created.json()['id']}",
            json={"consent": consent},
            headers=admin_headers,
        ),
        "consent.given_at",
    )

    # Nothing half-written: only the participant made on purpose above is new.
    assert _count(client, admin_headers, "/v1/events") == events
    assert _count(client, admin_headers, "/v1/participants") == participants + 1


def test_a_date_inside_the_bounds_still_passes(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    far = client.get(
        "/v1/events", params={"from": "2199-12-31T23:00:00+06:00"}, headers=admin_headers
    )
    assert far.status_code == 200, far.text
    assert far.json()["items"] == []


@pytest.mark.parametrize("breaking", ["\r\n", "\n", "\r", "\t", "\x00", "\x1b", "\u2028"])
def test_control_characters_in_one_line_fields_are_refused(
    client: TestClient, admin_headers: dict[str, str], breaking: str
) -> None:
    event_id = _new_event(client, admin_headers)
    events = _count(client, admin_headers, "/v1/events")
    participants = _count(client, admin_headers, "/v1/participants")
    title = f"Football{breaking}Bcc: everyone@example.org"
    cases: list[tuple[dict[str, Any], str]] = [
        (_event_body(title={"ru": title}), "title.ru"),
        (
            _event_body(venue={"name": f"Stadium{breaking}B", "address": "Lenin st. 1"}),
            "venue.name",
        ),
        (_event_body(venue={"name": "Stadium", "address": f"Lenin{breaking}1"}), "venue.address"),
    ]
    for body, field in cases:
        _refused(client.post("/v1/events", json=body, headers=admin_headers), field)
    _refused(
        client.patch(
            f"/v1/events/{event_id}", json={"title": {"en": title}}, headers=admin_headers
        ),
        "title.en",
    )
    _refused(
        client.post(
            "/v1/participants",
            json=_participant_body(name=f"Aida{breaking}Asanova"),
            headers=admin_headers,
        ),
        "name",
    )
    assert _count(client, admin_headers, "/v1/events") == events
    assert _count(client, admin_headers, "/v1/participants") == participants
    title_now = client.get(f"/v1/events/{event_id}", headers=admin_headers).json()["title"]
    assert title_now == {"ru": "Футбол", "en": "Football"}


def test_descriptions_keep_their_line_breaks(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = _event_body(description={"en": "Bring trainers.\nWater is provided."})
    response = client.post("/v1/events", json=body, headers=admin_headers)
    assert response.status_code == 201, response.text
    assert response.json()["description"]["en"] == "Bring trainers.\nWater is provided."
