"""A WhatsApp message at the messages webhook: stored as its number (so it matches the
person's phone), with the tapped button's id and the message it was under."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import ProviderCallback
from tests.integration.test_webhooks import INBOUND_URL, post_signed


def test_a_whatsapp_button_reply_is_stored_with_its_payload_and_the_message_it_answers(
    client: TestClient, db: Session
) -> None:
    params = {
        "MessageSid": "SM" + "7" * 32,
        "From": "whatsapp:+996555987650",
        "To": "whatsapp:+14155238886",
        "Body": "Приду",
        "ButtonText": "Приду",
        "ButtonPayload": "accept",
        "OriginalRepliedMessageSid": "SM" + "8" * 32,
        "ProfileName": "Айгуль",
        "WaId": "996555987650",
    }
    response = post_signed(client, INBOUND_URL, params)
    assert response.status_code == 200  # type: ignore[attr-defined]
    row = db.scalars(
        select(ProviderCallback).where(ProviderCallback.message_sid == params["MessageSid"])
    ).one()
    assert (row.kind, row.channel) == ("inbound", "whatsapp")
    assert row.from_hash == get_cipher().lookup_hash("phone", "+996555987650")
    assert get_cipher().decrypt(row.from_encrypted or "") == "+996555987650"
    assert (row.button_payload, row.replied_sid) == ("accept", "SM" + "8" * 32)
    # The profile name is personal data and not needed: nothing keeps it.
    assert "Айгуль" not in str(
        [row.from_encrypted, row.body_encrypted, row.button_payload, row.replied_sid]
    )


def test_an_sms_is_stored_without_a_channel_or_button(client: TestClient, db: Session) -> None:
    params = {"MessageSid": "SM" + "9" * 32, "From": "+996555987651", "Body": "ДА"}
    assert post_signed(client, INBOUND_URL, params).status_code == 200  # type: ignore[attr-defined]
    row = db.scalars(
        select(ProviderCallback).where(ProviderCallback.message_sid == params["MessageSid"])
    ).one()
    assert (row.channel, row.button_payload, row.replied_sid) == (None, None, None)
