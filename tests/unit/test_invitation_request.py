"""The shape of an invitation request and its idempotency fingerprint."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from birge_api.invitations.idempotency import check_replay, fingerprint
from birge_api.invitations.schemas import Criteria, InvitationRequest
from birge_api.invitations.selection import check_request
from birge_api.problems import Problem
from birge_shared.models import InvitationBatch
from birge_shared.settings import Settings

EVENT = uuid.UUID("6f1f0c84-34c1-4b8e-9d0c-6a3f3e0b1a01")
SETTINGS = Settings(max_recipients_per_request=3)


def _request(body: dict[str, Any]) -> InvitationRequest:
    return InvitationRequest.model_validate(body)


def test_the_fingerprint_ignores_how_the_same_request_is_written() -> None:
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    plain = fingerprint(EVENT, _request({"participant_ids": ids}))
    spelled_out = fingerprint(EVENT, _request({"criteria": None, "participant_ids": ids}))
    assert plain == spelled_out
    assert len(plain) == 64


def test_the_fingerprint_changes_with_the_event_and_the_body() -> None:
    body = _request({"criteria": {"languages": ["ky"], "max": 10}})
    assert fingerprint(EVENT, body) != fingerprint(uuid.uuid4(), body)
    assert fingerprint(EVENT, body) != fingerprint(
        EVENT, _request({"criteria": {"languages": ["ky"], "max": 11}})
    )


def test_a_replay_with_another_fingerprint_is_refused() -> None:
    batch = InvitationBatch(event_id=EVENT, request_fingerprint="a" * 64)
    check_replay(batch, "a" * 64)
    with pytest.raises(Problem) as raised:
        check_replay(batch, "b" * 64)
    assert (raised.value.status, raised.value.type_) == (422, "idempotency-key-reused")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "participant_ids"),
        ({"participant_ids": [str(uuid.uuid4())], "criteria": {}}, "criteria"),
        ({"participant_ids": [str(uuid.uuid4()) for _ in range(4)]}, "participant_ids"),
        ({"criteria": {"max": 4}}, "criteria.max"),
    ],
)
def test_check_request_names_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(Problem) as raised:
        check_request(_request(body), SETTINGS)
    assert raised.value.status == 422
    assert field in {error["field"] for error in raised.value.errors or []}


@pytest.mark.parametrize(
    "body",
    [
        {"participant_ids": [str(uuid.uuid4()) for _ in range(3)]},
        {"criteria": {}},
        {"criteria": {"max": 3, "communities": ["host", None], "languages": ["ru", "en"]}},
    ],
)
def test_check_request_lets_good_requests_through(body: dict[str, Any]) -> None:
    check_request(_request(body), SETTINGS)


def test_criteria_refuse_unknown_fields_and_values() -> None:
    with pytest.raises(ValidationError):
        Criteria.model_validate({"city": "bishkek"})
    with pytest.raises(ValidationError):
        Criteria.model_validate({"languages": ["de"]})
    assert Criteria.model_validate({"communities": [None]}).communities == [None]
