"""The paged list of event reports: newest first, each report the event's own, city-scoped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from birge_shared.models import Community, InvitationStatus
from tests.integration.reports.simulation import Simulation, simulate

S = InvitationStatus
URL = "/v1/reports/events"
FIRST = datetime(2031, 3, 10, 9, 0, tzinfo=UTC)
# Small enough to simulate quickly; the migrant cell of three is withheld from viewers.
SMALL: list[tuple[InvitationStatus, Community | None, int]] = [
    (S.ATTENDED, Community.HOST, 6),
    (S.ATTENDED, Community.MIGRANT, 3),
    (S.DECLINED, Community.HOST, 5),
]


@pytest.fixture
def rooms(db: Session) -> list[Simulation]:
    """Four Bishkek events a day apart, oldest first, and one Osh event among them."""
    bishkek = [
        simulate(db, starts_at=FIRST + timedelta(days=day), plan=SMALL, seed=300 + day)
        for day in range(4)
    ]
    simulate(db, city="osh", starts_at=FIRST + timedelta(days=1, hours=3), plan=SMALL, seed=399)
    db.flush()
    return bishkek


def _pages(client: TestClient, headers: dict[str, str], **params: Any) -> list[list[Any]]:
    pages: list[list[Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(URL, params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_pages_hold_every_event_once_newest_first(
    client: TestClient, bishkek_headers: dict[str, str], rooms: list[Simulation]
) -> None:
    pages = _pages(client, bishkek_headers, limit=3)
    assert [len(page) for page in pages] == [3, 1]
    ids = [item["event_id"] for page in pages for item in page]
    # Another city's event is never listed to a coordinator of Bishkek.
    assert ids == [str(room.event.id) for room in reversed(rooms)]


def test_each_item_is_the_events_own_report_for_every_role(
    *,
    client: TestClient,
    admin_headers: dict[str, str],
    viewer_headers: dict[str, str],
    rooms: list[Simulation],
) -> None:
    for headers in (admin_headers, viewer_headers):
        items = [item for page in _pages(client, headers, limit=2, city="bishkek") for item in page]
        assert len(items) == len(rooms)
        for item in items:
            own = client.get(f"{URL}/{item['event_id']}", headers=headers).json()
            assert item == own
    # The viewer's copy withholds the migrant cell of three, exactly as the event report does.
    viewer = _pages(client, viewer_headers, limit=1, city="bishkek")[0][0]
    assert viewer["invitations"]["withheld"] is True
    assert viewer["mix"]["suppressed"] is True


def test_filters_apply_to_the_pages(
    client: TestClient, admin_headers: dict[str, str], rooms: list[Simulation]
) -> None:
    osh = _pages(client, admin_headers, city="osh")
    assert [len(page) for page in osh] == [1]
    period = _pages(client, admin_headers, limit=1, **{"from": "2031-03-11", "to": "2031-03-12"})
    ids = {item["event_id"] for page in period for item in page}
    assert {str(rooms[1].event.id), str(rooms[2].event.id)} <= ids
    assert str(rooms[0].event.id) not in ids
    assert str(rooms[3].event.id) not in ids


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": "0"}, "query.limit"),
        ({"limit": "101"}, "query.limit"),
        ({"city": "almaty"}, "city"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    client: TestClient, viewer_headers: dict[str, str], params: dict[str, str], field: str
) -> None:
    response = client.get(URL, params=params, headers=viewer_headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]


def test_no_token_is_401(client: TestClient) -> None:
    assert client.get(URL).status_code == 401
