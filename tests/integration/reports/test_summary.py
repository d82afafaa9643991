"""The summary over several events: filters, the community split, city scoping and access."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from birge_shared.models import ActivityType, Community, EventStatus, InvitationStatus
from tests.integration.reports.expected import expected
from tests.integration.reports.simulation import Person, Simulation, simulate

S = InvitationStatus
PERIOD = {"from": "2031-03-14", "to": "2031-03-15"}


@dataclass(frozen=True)
class Programme:
    bishkek: Simulation
    osh: Simulation


@pytest.fixture
def programme(db: Session) -> Programme:
    bishkek = simulate(db)
    osh = simulate(
        db,
        city="osh",
        starts_at=datetime(2031, 3, 15, 12, 0, tzinfo=UTC),  # 18:00 in Osh
        seed=4242,
        activity_type=ActivityType.SPORT,
        plan=[
            (S.ATTENDED, Community.HOST, 9),
            (S.ATTENDED, Community.MIGRANT, 4),
            (S.NO_SHOW, Community.MIGRANT, 3),
            (S.DECLINED, Community.HOST, 2),
            (S.EXPIRED, Community.MIGRANT, 1),
        ],
    )
    # Outside the summary: a cancelled event in the period, and an event that starts on the
    # 15th in UTC but on the 16th in Bishkek time.
    cancelled = simulate(db, seed=11, plan=[(S.WITHDRAWN, Community.HOST, 3)])
    cancelled.event.status = EventStatus.CANCELLED
    simulate(
        db, seed=12, starts_at=datetime(2031, 3, 15, 19, 30, tzinfo=UTC), plan=[(S.SENT, None, 2)]
    )
    db.flush()
    return Programme(bishkek=bishkek, osh=osh)


def _summary(client: TestClient, headers: dict[str, str], **params: str) -> Any:
    response = client.get("/v1/reports/summary", params={**PERIOD, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _check(
    summary: Any, people: list[Person], community: Community | None = None, *, protect: bool = False
) -> None:
    hand = expected(people, community, protect=protect)
    assert summary["invitations"] == {
        "invited": hand.invited,
        "accepted": hand.accepted,
        "declined": hand.declined,
        "attended": hand.attended,
        "no_show": hand.no_show,
        "withheld": hand.withheld,
    }
    survey = summary["survey"]
    assert survey["response_rate"]["value"] == pytest.approx(hand.response_rate)
    assert survey["response_rate"]["n"] == hand.respondents
    assert survey["mean_rating"]["value"] == pytest.approx(hand.mean_rating)
    assert survey["mean_rating"]["n"] == len(hand.ratings)
    assert survey["cross_group_talk_share"]["value"] == pytest.approx(hand.talk_share)
    assert survey["attitude_change"]["mean"] == pytest.approx(hand.mean_change)
    assert survey["attitude_change"]["n"] == len(hand.changes)
    # The share whose attitude rose, counted by hand over the same pairs.
    rose = sum(1 for change in hand.changes if change > 0)
    assert survey["attitude_change"]["positive_share"] == pytest.approx(rose / len(hand.changes))


def test_the_summary_adds_up_the_events_of_the_period(
    client: TestClient,
    admin_headers: dict[str, str],
    viewer_headers: dict[str, str],
    programme: Programme,
) -> None:
    summary = _summary(client, admin_headers)

    assert summary["events"] == 2
    _check(summary, programme.bishkek.people + programme.osh.people)
    # Bishkek's attendees are 15 host to 14 migrant (in band); Osh's 9 to 4 (out of 40–60 %).
    assert summary["mix"] == {
        "events_with_mix": 2,
        "events_in_band": 1,
        "events_withheld": 0,
        "host_share": pytest.approx(24 / 42),
        "migrant_share": pytest.approx(18 / 42),
    }
    # A viewer gets the same survey figures; every cell of these rooms has a status held by
    # fewer than five people, so the counts and both mixes are withheld from them.
    seen = _summary(client, viewer_headers)
    _check(seen, programme.bishkek.people + programme.osh.people, protect=True)
    assert seen["survey"] == summary["survey"]
    assert seen["invitations"]["attended"] is None
    assert seen["mix"]["events_withheld"] == 2
    assert seen["mix"]["host_share"] is None
    assert summary["filters"] == {
        "city": None,
        "from": "2031-03-14",
        "to": "2031-03-15",
        "activity_type": None,
        "community": None,
    }


@pytest.mark.parametrize("community", [Community.HOST, Community.MIGRANT])
def test_a_community_restricts_counts_and_answers_but_not_the_mix(
    client: TestClient,
    admin_headers: dict[str, str],
    programme: Programme,
    community: Community,
) -> None:
    everyone = _summary(client, admin_headers)
    summary = _summary(client, admin_headers, community=community.value)

    _check(summary, programme.bishkek.people + programme.osh.people, community)
    assert summary["mix"] == everyone["mix"]


def test_city_and_activity_filters(
    client: TestClient, admin_headers: dict[str, str], programme: Programme
) -> None:
    osh = _summary(client, admin_headers, city="osh")
    assert osh["events"] == 1
    _check(osh, programme.osh.people)
    cooking = _summary(client, admin_headers, activity_type="cooking")
    assert cooking["events"] == 1
    _check(cooking, programme.bishkek.people)
    # A single day: the 14th holds the Bishkek event only.
    day = _summary(client, admin_headers, to="2031-03-14")
    assert day["events"] == 1


def test_coordinators_see_only_their_cities(
    client: TestClient,
    bishkek_headers: dict[str, str],
    osh_headers: dict[str, str],
    programme: Programme,
) -> None:
    mine = _summary(client, bishkek_headers)
    assert mine["events"] == 1
    _check(mine, programme.bishkek.people)
    # Asking for another city adds nothing rather than failing.
    assert _summary(client, bishkek_headers, city="osh")["events"] == 0
    theirs = _summary(client, osh_headers)
    _check(theirs, programme.osh.people)


def test_event_reports_are_for_every_role_within_its_cities(
    *,
    client: TestClient,
    admin_headers: dict[str, str],
    viewer_headers: dict[str, str],
    bishkek_headers: dict[str, str],
    osh_headers: dict[str, str],
    programme: Programme,
) -> None:
    url = f"/v1/reports/events/{programme.bishkek.event.id}"
    for headers in (admin_headers, viewer_headers, bishkek_headers):
        assert client.get(url, headers=headers).status_code == 200
    other_city = client.get(url, headers=osh_headers)
    assert other_city.status_code == 404
    assert other_city.headers["content-type"] == "application/problem+json"
    unknown = client.get(f"/v1/reports/events/{uuid.uuid4()}", headers=admin_headers)
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/v1/reports/summary",
        "/v1/reports/events/7f1c2a9e-4b6d-4e8a-9c3f-2d5e6a7b8c90",
        "/v1/reports/export.csv",
        "/v1/reports/export.xlsx",
        "/v1/retention/review",
    ],
)
def test_no_token_is_401(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"city": "almaty"}, "city"),
        ({"from": "2031-03-15", "to": "2031-03-14"}, "to"),
        ({"from": "14.03.2031"}, "query.from"),
        ({"from": "0001-01-01"}, "query.from"),
        ({"to": "9999-12-31"}, "query.to"),
        ({"community": "tourist"}, "query.community"),
        ({"activity_type": "skydiving"}, "query.activity_type"),
    ],
)
@pytest.mark.parametrize(
    "path", ["/v1/reports/summary", "/v1/reports/export.csv", "/v1/reports/export.xlsx"]
)
def test_bad_filters_are_a_422_naming_the_field(
    client: TestClient,
    viewer_headers: dict[str, str],
    path: str,
    params: dict[str, str],
    field: str,
) -> None:
    response = client.get(path, params=params, headers=viewer_headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]
