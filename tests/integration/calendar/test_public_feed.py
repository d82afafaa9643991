"""The city feed, read without a login, lists public events only and no coordinates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.integration.calendar.reader import read_ics


def _body(title: str, **overrides: Any) -> dict[str, Any]:
    start = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    body: dict[str, Any] = {
        "city": "bishkek",
        "title": {"ru": title, "en": title},
        "description": {"ru": "Приходите"},
        "activity_type": "games",
        "venue": {
            "name": "Community hall",
            "address": "Chuy av. 100",
            "latitude": 42.8765,
            "longitude": 74.6123,
        },
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 20,
    }
    body.update(overrides)
    return body


def _feed_uids(client: TestClient) -> dict[str, Any]:
    response = client.get("/calendars/bishkek.ics")  # no token
    assert response.status_code == 200
    assert "GEO" not in response.text
    assert "42.8765" not in response.text
    return {vevent.uid.value: vevent for vevent in read_ics(response.content).vevents}


def test_events_are_private_by_default_and_only_public_ones_reach_the_feed(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    private = client.post("/v1/events", json=_body("Closed circle"), headers=admin_headers)
    public = client.post(
        "/v1/events", json=_body("Open games", visibility="public"), headers=admin_headers
    )
    assert private.status_code == public.status_code == 201, private.text
    hidden, shown = private.json(), public.json()

    assert hidden["visibility"] == "private"
    assert hidden["public_feed"]["listed"] is False
    assert shown["visibility"] == "public"
    assert shown["public_feed"] == {
        "listed": True,
        "path": "/calendars/bishkek.ics",
        "publishes": [
            "title (Russian, else English)",
            "description (Russian, else English)",
            "start and end time",
            "venue name and address",
            "status (confirmed or cancelled)",
        ],
    }
    feed = _feed_uids(client)
    assert f"{shown['id']}@birge.kg" in feed
    assert f"{hidden['id']}@birge.kg" not in feed
    entry = feed[f"{shown['id']}@birge.kg"]
    assert entry.location.value == "Community hall, Chuy av. 100"
    assert "geo" not in entry.contents

    # Made private again, it leaves the feed; made public, the other one joins it.
    url = f"/v1/events/{shown['id']}"
    patched = client.patch(url, json={"visibility": "private"}, headers=admin_headers)
    assert patched.status_code == 200, patched.text
    assert patched.json()["public_feed"]["listed"] is False
    opened = client.patch(
        f"/v1/events/{hidden['id']}", json={"visibility": "public"}, headers=admin_headers
    )
    assert opened.json()["public_feed"]["listed"] is True
    feed = _feed_uids(client)
    assert f"{shown['id']}@birge.kg" not in feed
    assert f"{hidden['id']}@birge.kg" in feed
    # A change of visibility tells no participant anything: the sequence stays.
    assert patched.json()["sequence"] == shown["sequence"]


def test_an_unknown_visibility_is_a_422_naming_the_field(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        "/v1/events", json=_body("Games", visibility="everyone"), headers=admin_headers
    )
    assert response.status_code == 422
    assert "visibility" in [error["field"] for error in response.json()["errors"]]
