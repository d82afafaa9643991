"""GET /v1/dashboard: upcoming events with their counts and mix, and the to-do list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from birge_shared.models import Role
from tests.conftest import UserFactory, bearer
from tests.factories import make_event
from tests.integration.dashboard_scenario import build

URL = "/v1/dashboard"


def _todo(body: dict[str, Any]) -> set[tuple[str, str | None, int]]:
    return {(item["kind"], item["event_id"], item["count"]) for item in body["todo"]}


def test_a_coordinator_sees_the_counts_and_the_to_do_list_of_their_city(
    client: TestClient, db: Session, make_user: UserFactory
) -> None:
    scenario = build(db)
    db.commit()
    answer = client.get(URL, headers=bearer(make_user(Role.COORDINATOR, ("osh",))))
    assert answer.status_code == 200, answer.text
    body = answer.json()

    upcoming = {item["id"]: item for item in body["upcoming"]}
    assert list(upcoming) == [
        str(scenario.tonight.id),
        str(scenario.near.id),
        str(scenario.later.id),
    ]
    near = upcoming[str(scenario.near.id)]
    assert near["counts"] == {
        "invited": 4,
        "confirmed": 2,
        "declined": 1,
        "waitlisted": 1,
        "checked_in": 0,
        "confirmed_host": 2,
        "confirmed_migrant": 0,
    }
    assert near["in_band"] is False
    later = upcoming[str(scenario.later.id)]
    assert later["counts"]["confirmed"] == 4
    assert later["counts"]["checked_in"] == 1
    assert later["in_band"] is True

    near_id, later_id, tonight_id = (
        str(scenario.near.id),
        str(scenario.later.id),
        str(scenario.tonight.id),
    )
    assert _todo(body) == {
        ("failed_deliveries", near_id, 1),
        ("awaiting_approval", later_id, 1),
        ("few_confirmed", near_id, 2),
        ("few_confirmed", tonight_id, 0),
        ("outside_band", near_id, 2),
        ("short_window", tonight_id, 10),
        ("inbox", None, 1),
    }
    assert body["todo_totals"]["few_confirmed"] == 2
    assert body["horizon_days"] == 7
    kinds = [item["kind"] for item in body["todo"]]
    assert kinds[0] == "failed_deliveries"
    assert kinds[-1] == "inbox"


def test_another_citys_events_stay_out_and_an_admin_sees_both(
    client: TestClient, db: Session, make_user: UserFactory
) -> None:
    scenario = build(db)
    db.commit()
    bishkek = client.get(URL, headers=bearer(make_user(Role.COORDINATOR, ("bishkek",)))).json()
    assert [item["id"] for item in bishkek["upcoming"]] == [str(scenario.bishkek.id)]
    assert all(item["event_id"] != str(scenario.near.id) for item in bishkek["todo"])
    assert "inbox" not in {item["kind"] for item in bishkek["todo"]}

    admin = client.get(URL, headers=bearer(make_user(Role.ADMIN))).json()
    assert {str(scenario.bishkek.id), str(scenario.near.id)} <= {
        item["id"] for item in admin["upcoming"]
    }


def test_a_viewer_gets_the_figures_but_not_the_inbox(
    client: TestClient, db: Session, viewer_headers: dict[str, str]
) -> None:
    build(db)
    db.commit()
    answer = client.get(URL, headers=viewer_headers)
    assert answer.status_code == 200
    body = answer.json()
    assert body["upcoming"]
    assert "inbox" not in {item["kind"] for item in body["todo"]}
    assert "Aida" not in answer.text


def test_the_dashboard_needs_a_token(client: TestClient) -> None:
    assert client.get(URL).status_code == 401


def test_each_kind_lists_at_most_ten_events_and_counts_the_rest(
    client: TestClient, db: Session, make_user: UserFactory
) -> None:
    for hours in range(12):
        make_event(db, starts_in=timedelta(days=1, hours=hours))
    db.commit()
    body = client.get(URL, headers=bearer(make_user(Role.COORDINATOR, ("osh",)))).json()
    few = [item for item in body["todo"] if item["kind"] == "few_confirmed"]
    assert len(few) == 10
    assert body["todo_totals"]["few_confirmed"] == 12
