from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from birge_api.participants.schemas import ParticipantCreate, ParticipantUpdate, mask_email
from birge_shared.models import Community, ConsentMethod, Language


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "  Aida  ",
        "phone": "0555 123 456",
        "email": None,
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


def _fields(exc: ValidationError) -> set[str]:
    return {".".join(str(part) for part in error["loc"]) for error in exc.errors()}


def test_create_normalises_phone_email_and_codes() -> None:
    data = ParticipantCreate.model_validate(
        _body(email=" Aida.Test@Example.ORG ", language="RU", city=" Osh ", community="Migrant")
    )
    assert data.name == "Aida"
    assert data.phone == "+996555123456"
    assert data.email == "aida.test@example.org"
    assert data.language is Language.RU
    assert data.city == "osh"
    assert data.community is Community.MIGRANT
    assert data.consent.method is ConsentMethod.PAPER_FORM
    assert data.consent.given_at == datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": "0312 123456"}, "phone"),
        ({"phone": "not a number"}, "phone"),
        ({"email": "aida@"}, "email"),
        ({"language": "de"}, "language"),
        ({"community": "tourist"}, "community"),
        ({"name": "   "}, "name"),
        ({"unexpected": 1}, "unexpected"),
        (
            {"consent": {"method": "verbal", "text_version": "1", "given_at": "2026-11-20T10:00"}},
            "consent.given_at",
        ),
    ],
)
def test_bad_values_name_their_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ParticipantCreate.model_validate(_body(**overrides))
    assert _fields(caught.value) == {field}


def test_errors_do_not_repeat_the_phone_or_email() -> None:
    with pytest.raises(ValidationError) as caught:
        ParticipantCreate.model_validate(_body(phone="0312 123456", email="aida@@example.org"))
    messages = " ".join(error["msg"] for error in caught.value.errors())
    assert "123456" not in messages
    assert "example.org" not in messages


def test_update_knows_which_fields_were_sent() -> None:
    data = ParticipantUpdate.model_validate({"email": None, "language": "en"})
    assert data.model_fields_set == {"email", "language"}
    assert data.language is Language.EN


def test_email_mask_keeps_the_first_letter_and_domain() -> None:
    assert mask_email("aida@example.org") == "a***@example.org"
