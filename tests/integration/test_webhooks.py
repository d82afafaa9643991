"""Twilio webhooks: only signed requests are stored, each delivery once, and quickly."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import ImmutableMultiDict
from twilio.request_validator import RequestValidator

from birge_api.app import create_app
from birge_shared.crypto import get_cipher
from birge_shared.models import OutboxEntry, ProviderCallback
from birge_shared.settings import get_settings

STATUS_URL = "/webhooks/twilio/status"
INBOUND_URL = "/webhooks/twilio/messages"


def sign(
    path: str, params: dict[str, str], *, base: str | None = None, token: str | None = None
) -> str:
    settings = get_settings()
    validator = RequestValidator(token or settings.twilio_auth_token.get_secret_value())
    return str(validator.compute_signature((base or settings.public_base_url) + path, params))


def post_signed(client: TestClient, path: str, params: dict[str, str]) -> object:
    return client.post(path, data=params, headers={"X-Twilio-Signature": sign(path, params)})


def callbacks(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(ProviderCallback)) or 0


def status_params(sid: str = "SM" + "a" * 32, status: str = "delivered") -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "AccountSid": "AC" + "0" * 32,
        "To": "+996555123456",
        "From": "+15005550006",
        "ApiVersion": "2010-04-01",
    }


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "forged-signature",
        # A real signature, but computed for another URL.
        sign(STATUS_URL, status_params(), base="https://evil.example.org"),
        # A real signature for this URL, but with another account's token.
        sign(STATUS_URL, status_params(), token="another-token"),
    ],
)
def test_unsigned_or_wrongly_signed_callbacks_are_403_and_write_nothing(
    client: TestClient, db: Session, signature: str | None
) -> None:
    before = callbacks(db)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    response = client.post(STATUS_URL, data=status_params(), headers=headers)
    assert response.status_code == 403
    assert response.json()["type"].endswith("/bad-signature")
    assert callbacks(db) == before


def test_a_signed_status_callback_is_stored_once_and_queued_once(
    client: TestClient, db: Session
) -> None:
    params = status_params(sid="SM" + "b" * 32)
    for _ in range(3):
        response = post_signed(client, STATUS_URL, params)
        assert response.status_code == 204  # type: ignore[attr-defined]
    rows = db.scalars(
        select(ProviderCallback).where(ProviderCallback.message_sid == params["MessageSid"])
    ).all()
    assert [(row.kind, row.status) for row in rows] == [("status", "delivered")]
    queued = db.scalars(
        select(OutboxEntry).where(OutboxEntry.task_name == "callbacks.process")
    ).all()
    assert sum(row.payload == {"callback_id": rows[0].id} for row in queued) == 1


def test_a_repeated_field_is_signed_with_each_value(client: TestClient, db: Session) -> None:
    # Twilio signs every value of a repeated field; a forged one is refused, not a 500.
    body = "MessageSid=SMa&MessageSid=SMb&MessageStatus=sent"
    headers = {"content-type": "application/x-www-form-urlencoded"}
    forged = client.post(STATUS_URL, content=body, headers={**headers, "X-Twilio-Signature": "x"})
    assert forged.status_code == 403
    assert forged.headers["content-type"] == "application/problem+json"
    validator = RequestValidator(get_settings().twilio_auth_token.get_secret_value())
    fields = ImmutableMultiDict(
        [("MessageSid", "SMa"), ("MessageSid", "SMb"), ("MessageStatus", "sent")]
    )
    signature = validator.compute_signature(get_settings().public_base_url + STATUS_URL, fields)
    signed = client.post(
        STATUS_URL, content=body, headers={**headers, "X-Twilio-Signature": signature}
    )
    assert signed.status_code == 204


def test_the_signature_covers_the_query_string(client: TestClient, db: Session) -> None:
    params = status_params(sid="SM" + "c" * 32)
    path = STATUS_URL + "?attempt=1"
    good = client.post(path, data=params, headers={"X-Twilio-Signature": sign(path, params)})
    assert good.status_code == 204
    replayed = client.post(
        STATUS_URL + "?attempt=2", data=params, headers={"X-Twilio-Signature": sign(path, params)}
    )
    assert replayed.status_code == 403


def test_a_signed_callback_without_a_status_is_422(client: TestClient) -> None:
    params = {"MessageSid": "SM" + "d" * 32}
    response = post_signed(client, STATUS_URL, params)
    assert response.status_code == 422  # type: ignore[attr-defined]


def test_inbound_sms_is_stored_encrypted_and_answered_with_empty_twiml(
    client: TestClient, db: Session
) -> None:
    params = {
        "MessageSid": "SM" + "e" * 32,
        "From": "+996555987654",
        "To": "+15005550006",
        "Body": "ДА",
    }
    response = post_signed(client, INBOUND_URL, params)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.text == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'  # type: ignore[attr-defined]
    row = db.scalars(
        select(ProviderCallback).where(ProviderCallback.message_sid == params["MessageSid"])
    ).one()
    assert row.kind == "inbound"
    assert "996555987654" not in (row.from_encrypted or "")
    assert "ДА" not in (row.body_encrypted or "")
    assert row.from_hash == get_cipher().lookup_hash("phone", "+996555987654")
    assert get_cipher().decrypt(row.body_encrypted or "") == "ДА"


def test_the_same_inbound_message_delivered_concurrently_is_stored_once(
    raw_engine: object,
) -> None:
    """Several deliveries at the same moment, each in its own transaction: one row."""
    sid = "SM" + "f" * 32
    params = {"MessageSid": sid, "From": "+996555987650", "To": "+15005550006", "Body": "YES"}
    app = create_app()  # the real session dependency: each request commits on its own
    with TestClient(app) as real_client:

        def deliver(_: int) -> int:
            return int(post_signed(real_client, INBOUND_URL, params).status_code)  # type: ignore[attr-defined]

        with ThreadPoolExecutor(max_workers=5) as pool:
            statuses = list(pool.map(deliver, range(5)))
    assert statuses == [200] * 5
    with Session(raw_engine) as session:  # type: ignore[arg-type]
        rows = session.scalars(
            select(ProviderCallback).where(ProviderCallback.message_sid == sid)
        ).all()
        assert len(rows) == 1
        outbox = session.scalars(
            select(OutboxEntry).where(OutboxEntry.task_name == "callbacks.process")
        ).all()
        mine = [row for row in outbox if row.payload == {"callback_id": rows[0].id}]
        assert len(mine) == 1
        for row in mine:
            session.delete(row)
        session.delete(rows[0])
        session.commit()
