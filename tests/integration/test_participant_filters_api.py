"""Saved participant filters through /v1/participant-filters: city-scoped, audited, paged,
read-only for viewers, and never holding a typed name or number."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.models import AuditEntry, Role, SavedFilter
from tests.conftest import UserFactory, bearer

URL = "/v1/participant-filters"


def _name() -> str:
    return f"Filter {uuid.uuid4().hex[:8]}"


def _create(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": _name(),
        "city": "osh",
        "criteria": {"language": "ky", "not_invited_within_days": 30},
    }
    body.update(overrides)
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _audit(db: Session, object_id: str) -> list[str]:
    query = (
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "saved_filter", AuditEntry.object_id == object_id)
        .order_by(AuditEntry.at)
    )
    return list(db.scalars(query))


def test_a_coordinator_saves_reads_renames_and_deletes_a_filter(
    client: TestClient, osh_headers: dict[str, str], db: Session
) -> None:
    response = client.post(
        URL,
        json={"name": "  Kyrgyz speakers  ", "city": "OSH", "criteria": {"language": "ky"}},
        headers=osh_headers,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"] == f"{URL}/{created['id']}"
    assert created["name"] == "Kyrgyz speakers"
    assert created["city"] == "osh"
    assert created["criteria"]["language"] == "ky"
    assert created["created_by_id"] is not None
    assert db.get(SavedFilter, uuid.UUID(created["id"])).criteria == {"language": "ky"}  # type: ignore[union-attr]

    got = client.get(f"{URL}/{created['id']}", headers=osh_headers)
    assert got.status_code == 200
    assert got.json() == created

    renamed = client.patch(
        f"{URL}/{created['id']}",
        json={"name": "Kyrgyz, not invited lately", "criteria": {"not_invited_within_days": 90}},
        headers=osh_headers,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Kyrgyz, not invited lately"
    assert renamed.json()["criteria"]["not_invited_within_days"] == 90
    assert renamed.json()["criteria"]["language"] is None

    deleted = client.delete(f"{URL}/{created['id']}", headers=osh_headers)
    assert deleted.status_code == 204
    assert client.get(f"{URL}/{created['id']}", headers=osh_headers).status_code == 404
    assert _audit(db, created["id"]) == [
        "saved_filter.create",
        "saved_filter.update",
        "saved_filter.delete",
    ]


def test_another_citys_filter_is_not_found_and_cannot_be_created(
    client: TestClient,
    osh_headers: dict[str, str],
    bishkek_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    osh = _create(client, osh_headers)
    path = f"{URL}/{osh['id']}"
    assert client.get(path, headers=bishkek_headers).status_code == 404
    assert client.patch(path, json={"name": "x"}, headers=bishkek_headers).status_code == 404
    assert client.delete(path, headers=bishkek_headers).status_code == 404
    listed = client.get(URL, params={"limit": 100}, headers=bishkek_headers).json()
    assert osh["id"] not in {item["id"] for item in listed["items"]}
    refused = client.post(URL, json={"name": _name(), "city": "osh"}, headers=bishkek_headers)
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/city-not-assigned")
    # An administrator sees every city.
    assert client.get(path, headers=admin_headers).status_code == 200


def test_viewers_list_filters_but_change_nothing(
    client: TestClient, osh_headers: dict[str, str], viewer_headers: dict[str, str]
) -> None:
    created = _create(client, osh_headers)
    path = f"{URL}/{created['id']}"
    assert client.get(path, headers=viewer_headers).status_code == 200
    listed = client.get(URL, params={"city": "osh", "limit": 100}, headers=viewer_headers)
    assert created["id"] in {item["id"] for item in listed.json()["items"]}
    for response in (
        client.post(URL, json={"name": _name(), "city": "osh"}, headers=viewer_headers),
        client.patch(path, json={"name": "changed"}, headers=viewer_headers),
        client.delete(path, headers=viewer_headers),
    ):
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")
    assert client.get(path, headers=osh_headers).json()["name"] == created["name"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "city": "osh"}, "name"),
        ({"name": "two\nlines", "city": "osh"}, "name"),
        ({"name": "x" * 81, "city": "osh"}, "name"),
        ({"name": "ok", "city": "atlantis"}, "city"),
        ({"name": "ok", "city": "osh", "criteria": {"name": "Айгүл"}}, "criteria.name"),
        ({"name": "ok", "city": "osh", "criteria": {"phone": "0555123456"}}, "criteria.phone"),
        ({"name": "ok", "city": "osh", "criteria": {"language": "fr"}}, "criteria.language"),
        (
            {"name": "ok", "city": "osh", "criteria": {"not_invited_within_days": 0}},
            "criteria.not_invited_within_days",
        ),
        (
            {
                "name": "ok",
                "city": "osh",
                "criteria": {"invited_within_days": 30, "not_invited_within_days": 30},
            },
            "criteria",
        ),
    ],
)
def test_bad_input_is_a_problem_and_nothing_is_saved(
    client: TestClient,
    osh_headers: dict[str, str],
    db: Session,
    body: dict[str, Any],
    field: str,
) -> None:
    before = db.scalar(select(SavedFilter.id).where(SavedFilter.name == body["name"]))
    response = client.post(URL, json=body, headers=osh_headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = [error["field"] for error in response.json()["errors"]]
    assert any(name.startswith(field) for name in fields), fields
    assert "Айгүл" not in response.text
    assert db.scalar(select(SavedFilter.id).where(SavedFilter.name == body["name"])) == before


def test_a_name_is_unique_within_its_city_only(
    client: TestClient,
    osh_headers: dict[str, str],
    bishkek_headers: dict[str, str],
) -> None:
    name = _name()
    first = _create(client, osh_headers, name=name)
    again = client.post(URL, json={"name": name, "city": "osh"}, headers=osh_headers)
    assert again.status_code == 409
    assert again.json()["type"].endswith("/filter-name-taken")
    assert (
        client.post(
            URL, json={"name": name, "city": "bishkek"}, headers=bishkek_headers
        ).status_code
        == 201
    )
    other = _create(client, osh_headers)
    renamed = client.patch(f"{URL}/{other['id']}", json={"name": name}, headers=osh_headers)
    assert renamed.status_code == 409
    nulled = client.patch(f"{URL}/{first['id']}", json={"name": None}, headers=osh_headers)
    assert nulled.status_code == 422


def test_the_list_comes_a_page_at_a_time(client: TestClient, make_user: UserFactory) -> None:
    headers = bearer(make_user(Role.COORDINATOR, ("osh",)))
    made = [_create(client, headers)["id"] for _ in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, "city": "osh"}
        if cursor:
            params["cursor"] = cursor
        page = client.get(URL, params=params, headers=headers).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [item for item in seen if item in made] == made
    assert len(seen) == len(set(seen))
    forged = client.get(URL, params={"cursor": "bm90IGEgY3Vyc29y"}, headers=headers)
    assert forged.status_code == 422
