"""The invitation preview counts WhatsApp messages by template category beside SMS segments:
WhatsApp for people whose first usable messenger it is and whose language has an approved
template, SMS (or the next channel) for the others. The batch's SMS budget is unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from birge_shared.models import (
    Event,
    InvitationBatch,
    Language,
    TemplateApproval,
    TemplateCategory,
)
from tests.factories import make_event, make_participant
from tests.integration.whatsapp import invitation_template as _template
from tests.integration.whatsapp import on_whatsapp as _on_whatsapp
from tests.integration.whatsapp import whatsapp_channel

pytestmark = pytest.mark.usefixtures(whatsapp_channel.__name__)

Headers = dict[str, str]


def _preview(client: TestClient, headers: Headers, event: Event, ids: list[str]) -> dict[str, Any]:
    response = client.post(
        f"/v1/events/{event.id}/invitations/preview",
        json={"participant_ids": ids},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    cost: dict[str, Any] = response.json()["cost"]
    return cost


def test_whatsapp_people_with_an_approved_template_are_counted_by_category(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=10, min_share=0)
    _template(db, Language.RU, TemplateCategory.UTILITY, TemplateApproval.APPROVED)
    _template(db, Language.KY, TemplateCategory.MARKETING, TemplateApproval.APPROVED)
    _template(db, Language.EN, TemplateCategory.UTILITY, TemplateApproval.PENDING)
    people = [
        _on_whatsapp(db, Language.RU),
        _on_whatsapp(db, Language.RU),
        _on_whatsapp(db, Language.KY),
        # WhatsApp first, but the English template is not approved: SMS instead.
        _on_whatsapp(db, Language.EN),
        # No WhatsApp opt-in: SMS.
        make_participant(db, language=Language.RU),
    ]
    db.commit()

    cost = _preview(client, osh_headers, event, [str(person.id) for person in people])

    assert cost["whatsapp"] == {"messages": 3, "utility": 2, "marketing": 1, "authentication": 0}
    assert cost["messages"] == 2
    assert cost["telegram_messages"] == 0
    texts = {(text["language"], text["people"]) for text in cost["texts"]}
    assert texts == {("en", 1), ("ru", 1)}
    assert cost["segments"] == sum(text["segments_each"] * text["people"] for text in cost["texts"])


def test_without_approved_templates_everyone_is_counted_under_sms(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=10, min_share=0)
    _template(db, Language.RU, TemplateCategory.UTILITY, TemplateApproval.PAUSED)
    people = [_on_whatsapp(db, Language.RU), make_participant(db, language=Language.RU)]
    db.commit()

    cost = _preview(client, osh_headers, event, [str(person.id) for person in people])

    assert cost["whatsapp"] == {"messages": 0, "utility": 0, "marketing": 0, "authentication": 0}
    assert cost["messages"] == 2


def test_the_batch_still_reserves_sms_segments_for_everyone(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    """The budget counts SMS segments as before: a WhatsApp message that fails for good
    falls back to SMS once, so the day's budget keeps room for it."""
    event = make_event(db, capacity=10, min_share=0)
    _template(db, Language.RU, TemplateCategory.UTILITY, TemplateApproval.APPROVED)
    whatsapp, sms = _on_whatsapp(db, Language.RU), make_participant(db, language=Language.RU)
    db.commit()
    ids = [str(whatsapp.id), str(sms.id)]
    one_sms = _preview(client, osh_headers, event, [str(sms.id)])["segments"]

    created = client.post(
        f"/v1/events/{event.id}/invitations", json={"participant_ids": ids}, headers=osh_headers
    )

    assert created.status_code in (200, 201, 202), created.text
    batch = db.get_one(InvitationBatch, created.json()["id"])
    assert batch.segments == 2 * one_sms
