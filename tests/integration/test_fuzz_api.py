"""Every documented operation, fuzzed from the app's own OpenAPI document.

Schemathesis draws requests that fit the schema and requests that break it, sends them with an
administrator's token to the app running on this run's database (each operation's rows are
rolled back afterwards) and checks that nothing is a 5xx and that every status code, media type,
header and body is one the document declares. The number of examples is bounded and the
generation derandomised, so CI tries the same requests every time.

Random ids only ever reach the "not found" branch, so part of the requests name rows that exist
(an event, a participant, a batch, a template, a city): the fuzzer then gets past the lookups
into the code that changes things.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from limits.storage import MemoryStorage
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from birge_api.app import create_app
from birge_api.auth.throttle import LoginThrottle, get_login_throttle
from birge_shared.models import Community, EventStatus, Language, Role
from birge_shared.settings import get_settings
from birge_shared.sms.templates import PLACEHOLDERS
from tests.conftest import UserFactory
from tests.factories import make_event, make_participant

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
CITIES = ["bishkek", "osh"]
#: Seconds one request may take. Schemathesis's default, 10, is a few hundred times what a
#: request here takes, yet a busy or paused machine has crossed it; a hang still fails.
REQUEST_TIMEOUT = 60

Seeds = Mapping[str, Sequence[Any]]


def _operations() -> list[tuple[str, str]]:
    # Collected from a throwaway app: building the document needs no database.
    paths: dict[str, dict[str, Any]] = create_app().openapi()["paths"]
    return [(method.upper(), path) for path, item in paths.items() for method in item]


OPERATIONS = _operations()


@pytest.fixture
def fuzzed_app(app: FastAPI) -> FastAPI:
    # A counter of its own: the fuzzer's failed logins must not throttle later tests' logins.
    throttle = LoginThrottle(storage=MemoryStorage(), settings=get_settings())
    app.dependency_overrides[get_login_throttle] = lambda: throttle
    return app


@pytest.fixture
def seeds(
    fuzzed_app: FastAPI, db: Session, admin_headers: dict[str, str], make_user: UserFactory
) -> dict[str, Any]:
    """Rows that exist, by the name of the path parameter or body field that refers to them."""
    staff = [make_user(Role.COORDINATOR, ("osh",)), make_user(Role.VIEWER, ("bishkek",))]
    event = make_event(db, city="osh", capacity=4)
    cancelled = make_event(db, city="bishkek")
    cancelled.status = EventStatus.CANCELLED
    people = [
        make_participant(db, community=community, city="osh", language=language)
        for community, language in itertools.product(
            (Community.HOST, Community.MIGRANT), (Language.KY, Language.RU)
        )
    ]
    db.commit()
    with TestClient(fuzzed_app) as client:
        response = client.post(
            f"/v1/events/{event.id}/invitations",
            json={"participant_ids": [str(people[0].id), str(people[1].id)]},
            headers=admin_headers,
        )
    assert response.status_code == 202, response.text
    return {
        "path": {
            "event_id": [str(event.id), str(cancelled.id)],
            "participant_id": [str(person.id) for person in people[:2]],
            "batch_id": [response.json()["id"]],
            "purpose": sorted(PLACEHOLDERS)[:3],
            "language": [language.value for language in Language],
            "city": CITIES,
            "user_id": [str(user.id) for user in staff],
        },
        "values": {
            "city": st.sampled_from(CITIES),
            "participant_ids": st.sampled_from([[str(person.id)] for person in people[2:]]),
            "phone": st.integers(0, 999_999).map(lambda number: f"+996555{number:06d}"),
            "email": st.uuids().map(lambda value: f"{value.hex[:12]}@example.org"),
            "cities": st.sampled_from([["osh"], ["bishkek", "osh"], []]),
            "venue": st.just({"name": "Ala-Too square", "address": "Chui avenue 1"}),
            # One pair that is always in order and in the future.
            "starts_at": st.just("2031-05-01T10:00:00+06:00"),
            "ends_at": st.just("2031-05-01T12:00:00+06:00"),
        },
    }


def _path_seeds(path: str, known: Seeds) -> list[dict[str, Any]]:
    names = re.findall(r"{(\w+)}", path)
    if not names or any(name not in known for name in names):
        return []
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(known[name] for name in names))
    ]


def _with_known_values(
    cases: st.SearchStrategy[Any], known: Mapping[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[Any]:
    """Valid cases where some fields name rows that exist or hold values that pass checks
    the schema cannot express (a real phone number, an end after the start)."""

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        case = draw(cases)
        for container in (case.body, case.query):
            if not isinstance(container, dict):
                continue
            for name, choices in known.items():
                if name in container and draw(st.booleans()):
                    container[name] = draw(choices)
        return case

    return build()


def _strategy(operation: Any, path: str, seeds: dict[str, Any]) -> st.SearchStrategy[Any]:
    positive, negative = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
    # Both kinds in one strategy, as Schemathesis's own runner does: an operation whose
    # parameters cannot be broken (a free-text header) still gets its valid requests.
    options = [
        _with_known_values(operation.as_strategy(generation_mode=positive), seeds["values"]),
        operation.as_strategy(generation_mode=negative),
    ]
    for parameters in _path_seeds(path, seeds["path"]):
        options.append(
            _with_known_values(
                operation.as_strategy(generation_mode=positive, path_parameters=parameters),
                seeds["values"],
            )
        )
    return st.one_of(options)


def test_every_route_is_fuzzed() -> None:
    # The participant page is HTML outside the schema; everything else must be in it.
    assert ("POST", "/v1/events") in OPERATIONS
    assert all(not path.startswith("/p/") for _, path in OPERATIONS)
    assert len(OPERATIONS) >= 25


@pytest.mark.parametrize(
    ("method", "path"), OPERATIONS, ids=[f"{method} {path}" for method, path in OPERATIONS]
)
def test_operation_honours_its_schema(
    method: str,
    path: str,
    fuzzed_app: FastAPI,
    seeds: dict[str, Any],
    admin_headers: dict[str, str],
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    operation = schema[path][method]

    @given(case=_strategy(operation, path, seeds))
    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        # The app, its rows and the token are set up once per operation on purpose.
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def check(case: Any) -> None:
        case.call_and_validate(headers=admin_headers, checks=CHECKS, timeout=REQUEST_TIMEOUT)

    check()


# What the fuzzer found, pinned down so it cannot come back unnoticed.


def test_a_nul_character_in_a_body_field_is_a_422_naming_it(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = {
        "city": "osh\x00",
        "title": {"en": "Football"},
        "activity_type": "sport",
        "venue": {"name": "Park", "address": "Chui avenue 1"},
        "starts_at": "2031-05-01T10:00:00+06:00",
        "ends_at": "2031-05-01T12:00:00+06:00",
        "capacity": 10,
    }
    response = client.post("/v1/events", json=body, headers=admin_headers)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"field": "city", "detail": "must not contain the NUL character"}
    ]


def test_a_nul_character_in_a_nested_field_query_or_path_is_a_422_naming_it(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    nested = client.post(
        "/v1/events",
        json={"venue": {"name": "Park\x00"}, "title": {"en": "x"}},
        headers=admin_headers,
    )
    query = client.get("/v1/events", params={"city": "\x00"}, headers=admin_headers)
    path = client.get("/v1/message-templates/invitation/%00", headers=admin_headers)

    assert [response.status_code for response in (nested, query, path)] == [422, 422, 422]
    assert nested.json()["errors"][0]["field"] == "venue.name"
    assert query.json()["errors"][0]["field"] == "query.city"
    assert path.json()["errors"][0]["field"] == "path.language"


def test_errors_are_documented_as_problems() -> None:
    document = create_app().openapi()
    responses = document["paths"]["/v1/events"]["post"]["responses"]

    for code in ("400", "401", "403", "413", "422"):
        assert set(responses[code]["content"]) == {"application/problem+json"}, code
        schema = responses[code]["content"]["application/problem+json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Problem"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    token = document["paths"]["/v1/auth/token"]["post"]["responses"]
    assert "Retry-After" in token["429"]["headers"]
