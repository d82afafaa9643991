"""The differencing attacks on the reports, through the API, and what they learn now: nothing."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from birge_shared.models import (
    ActivityType,
    Community,
    Event,
    InvitationStatus,
    SurveyResponse,
)
from tests.factories import make_event, make_invitation, make_participant

S = InvitationStatus
DAY = {"city": "bishkek", "from": "2031-04-02", "to": "2031-04-02"}


def _event(db: Session, activity_type: ActivityType, hour: int) -> Event:
    event = make_event(db, city="bishkek", capacity=20)
    event.starts_at = datetime(2031, 4, 2, hour, 0, tzinfo=UTC)
    event.ends_at = datetime(2031, 4, 2, hour + 2, 0, tzinfo=UTC)
    event.activity_type = activity_type
    return event


def _attendee(
    db: Session, event: Event, community: Community, *, rating: int, talk: bool, key: str
) -> None:
    participant = make_participant(db, community=community, city="bishkek")
    make_invitation(db, event=event, participant=participant, status=S.ATTENDED)
    for kind, attitude in (("pre", 3), ("post", 4 if talk else 2)):
        db.add(
            SurveyResponse(
                event_id=event.id,
                pseudonym=key,
                kind=kind,
                community=community,
                attitude=attitude,
                rating=rating if kind == "post" else None,
                cross_group_talk=talk if kind == "post" else None,
                channel="page",
            )
        )


@pytest.fixture
def day(db: Session) -> tuple[Event, Event]:
    """Five host players at a games evening; one migrant at a cooking class the same day."""
    games = _event(db, ActivityType.GAMES, 12)
    for number in range(5):
        _attendee(db, games, Community.HOST, rating=4, talk=True, key=f"games-{number}")
    cooking = _event(db, ActivityType.COOKING, 6)
    _attendee(db, cooking, Community.MIGRANT, rating=1, talk=False, key="the-one")
    db.flush()
    return games, cooking


def _get(client: TestClient, path: str, headers: dict[str, str], **params: str) -> Any:
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("role", ["viewer_headers", "bishkek_headers", "admin_headers"])
def test_the_day_minus_its_games_event_reveals_nobody(
    client: TestClient, request: pytest.FixtureRequest, day: tuple[Event, Event], role: str
) -> None:
    headers: dict[str, str] = request.getfixturevalue(role)
    everything = _get(client, "/v1/reports/summary", headers, **DAY)
    games = _get(client, "/v1/reports/summary", headers, **DAY, activity_type="games")
    migrants = _get(client, "/v1/reports/summary", headers, **DAY, community="migrant")

    # Before, the day had n = 6 and the games evening n = 5: the difference was one person's
    # rating and cross-group answer. The cooking class's cell of one is in neither now.
    assert everything["survey"] == games["survey"]
    assert everything["survey"]["mean_rating"] == {"value": 4.0, "n": 5, "suppressed": False}
    assert everything["survey"]["cross_group_talk_share"]["value"] == 1.0
    assert everything["survey"]["attitude_change"]["n"] == 5
    assert all(figure["suppressed"] for figure in migrants["survey"].values())


def test_the_event_with_one_attendee_shows_a_viewer_neither_count_nor_mix(
    client: TestClient,
    viewer_headers: dict[str, str],
    bishkek_headers: dict[str, str],
    day: tuple[Event, Event],
) -> None:
    _, cooking = day
    report = _get(client, f"/v1/reports/events/{cooking.id}", viewer_headers)

    # Before: `attended: 1, migrant_share: 1.0`, which says the one person is a migrant.
    assert report["invitations"] == {
        "invited": None,
        "accepted": None,
        "declined": None,
        "attended": None,
        "no_show": None,
        "withheld": True,
    }
    assert report["mix"]["suppressed"] is True
    assert (report["mix"]["host_share"], report["mix"]["migrant_share"]) == (None, None)
    assert report["mix"]["held"] is None
    assert all(figure["suppressed"] for figure in report["survey"].values())
    # The day's summary and the export do not give it back either.
    summary = _get(client, "/v1/reports/summary", viewer_headers, **DAY)
    assert summary["invitations"]["attended"] == 5
    assert summary["invitations"]["withheld"] is True
    assert summary["mix"]["events_withheld"] == 1
    exported = client.get("/v1/reports/export.csv", params=DAY, headers=viewer_headers)
    rows = {
        row["event_id"]: row
        for row in csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")))
    }
    assert rows[str(cooking.id)]["attended"] == ""
    assert rows[str(cooking.id)]["migrant_share"] == ""
    assert rows[str(cooking.id)]["counts_withheld"] == "true"
    # The city's coordinator reads the invitation list anyway: their counts are whole.
    mine = _get(client, f"/v1/reports/events/{cooking.id}", bishkek_headers)
    assert mine["invitations"]["attended"] == 1
    assert mine["invitations"]["withheld"] is False
    # Survey answers are nobody's to read one by one: suppressed for the coordinator too.
    assert mine["survey"]["mean_rating"]["suppressed"] is True
