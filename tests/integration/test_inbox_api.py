"""The inbox: texts Birge did not understand, opt-outs and unknown numbers, by city and role.

The texts arrive as Twilio sends them: signed posts to the messages webhook, then handled by
the worker's own function, exactly as the relay would have it run.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import AuditEntry, Message, Participant, ProviderCallback, Role, utcnow
from birge_workers.callbacks.process import process_callback
from birge_workers.retention import purge_expired
from tests.conftest import UserFactory, bearer
from tests.factories import make_event, make_invitation, make_participant, unique_phone
from tests.integration.test_webhooks import INBOUND_URL, post_signed

URL = "/v1/inbox"


def _text_in(client: TestClient, db: Session, phone: str, body: str) -> None:
    """One inbound SMS through the signed webhook, then processed by the worker."""
    sid = "SM" + uuid.uuid4().hex
    params = {"MessageSid": sid, "From": phone, "To": "+15005550006", "Body": body}
    response = post_signed(client, INBOUND_URL, params)
    assert response.status_code == 200  # type: ignore[attr-defined]
    callback = db.scalars(select(ProviderCallback).where(ProviderCallback.message_sid == sid)).one()
    process_callback(session=db, callback_id=callback.id, now=utcnow())
    db.flush()


def _phone(participant: Participant) -> str:
    return get_cipher().decrypt(participant.phone_encrypted or "")


def _pages(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(100):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(URL, params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the pages never ended")


@pytest.fixture
def texts(client: TestClient, db: Session) -> dict[str, Participant]:
    """In Osh and Bishkek: a question, an opt-out, an answer, and a stranger's text."""
    start = utcnow()
    osh = make_participant(db, city="osh")
    bishkek = make_participant(db, city="bishkek")
    make_invitation(db, event=make_event(db, city="osh"), participant=osh)
    db.commit()
    with time_machine.travel(start, tick=False) as clock:
        _text_in(client, db, _phone(osh), "Can I bring my sister?")
        clock.shift(timedelta(minutes=1))
        _text_in(client, db, _phone(osh), "YES")  # understood: not in the inbox
        clock.shift(timedelta(minutes=1))
        _text_in(client, db, _phone(bishkek), "Где это находится?")
        clock.shift(timedelta(minutes=1))
        _text_in(client, db, _phone(bishkek), "Stop please")
        clock.shift(timedelta(minutes=1))
        _text_in(client, db, unique_phone(), "who is this?")
    db.commit()
    return {"osh": osh, "bishkek": bishkek}


def test_admins_see_every_text_not_understood_newest_first(
    client: TestClient, admin_headers: dict[str, str], texts: dict[str, Participant]
) -> None:
    items = _pages(client, admin_headers, limit=2)

    assert [(item["kind"], item["city"], item["text"]) for item in items] == [
        ("unmatched", None, "who is this?"),
        ("opt_out", "bishkek", "Stop please"),
        ("not_understood", "bishkek", "Где это находится?"),
        ("not_understood", "osh", "Can I bring my sister?"),
    ]
    assert items[0]["participant_id"] is None
    assert items[0]["phone_masked"] is None
    assert items[3]["participant_id"] == str(texts["osh"].id)
    assert items[3]["phone_masked"].endswith(_phone(texts["osh"])[-3:])
    assert _phone(texts["osh"]) not in str(items)


def test_a_coordinator_sees_their_cities_only_and_no_stranger(
    client: TestClient, make_user: UserFactory, texts: dict[str, Participant]
) -> None:
    osh = _pages(client, bearer(make_user(Role.COORDINATOR, ("osh",))))
    bishkek = _pages(client, bearer(make_user(Role.COORDINATOR, ("bishkek",))))
    both = _pages(client, bearer(make_user(Role.COORDINATOR, ("osh", "bishkek"))))

    assert [item["text"] for item in osh] == ["Can I bring my sister?"]
    assert [item["text"] for item in bishkek] == ["Stop please", "Где это находится?"]
    assert [item["kind"] for item in both] == ["opt_out", "not_understood", "not_understood"]


def test_viewers_are_refused(
    client: TestClient, viewer_headers: dict[str, str], texts: dict[str, Participant]
) -> None:
    response = client.get(URL, headers=viewer_headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get(URL).status_code == 401


def test_marking_handled_is_audited_once_and_filters_the_list(
    client: TestClient,
    db: Session,
    make_user: UserFactory,
    texts: dict[str, Participant],
) -> None:
    coordinator = make_user(Role.COORDINATOR, ("bishkek",))
    headers = bearer(coordinator)
    [opt_out, question] = _pages(client, headers)

    first = client.post(f"{URL}/{question['id']}/handled", headers=headers)
    again = client.post(f"{URL}/{question['id']}/handled", headers=headers)

    assert first.status_code == 200, first.text
    assert first.json()["handled_by_id"] == str(coordinator.id)
    assert again.json()["handled_at"] == first.json()["handled_at"]
    assert [item["id"] for item in _pages(client, headers, handled="false")] == [opt_out["id"]]
    assert [item["id"] for item in _pages(client, headers, handled="true")] == [question["id"]]
    entries = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "inbox.handled", AuditEntry.object_id == question["id"]
        )
    ).all()
    assert [(entry.actor_id, entry.details) for entry in entries] == [(coordinator.id, {})]


def test_another_citys_text_or_a_strangers_cannot_be_marked_by_a_coordinator(
    client: TestClient,
    make_user: UserFactory,
    admin_headers: dict[str, str],
    viewer_headers: dict[str, str],
    texts: dict[str, Participant],
) -> None:
    items = _pages(client, admin_headers)
    osh_text = next(item for item in items if item["city"] == "osh")
    stranger = next(item for item in items if item["kind"] == "unmatched")
    bishkek = bearer(make_user(Role.COORDINATOR, ("bishkek",)))

    for item in (osh_text, stranger):
        response = client.post(f"{URL}/{item['id']}/handled", headers=bishkek)
        assert response.status_code == 404
        assert response.json()["type"].endswith("/not-found")
    assert client.post(f"{URL}/{osh_text['id']}/handled", headers=viewer_headers).status_code == 403
    assert client.post(f"{URL}/{uuid.uuid4()}/handled", headers=admin_headers).status_code == 404
    assert all(item["handled_at"] is None for item in _pages(client, admin_headers))


def test_inbound_texts_stay_encrypted_and_retention_purges_them(
    client: TestClient,
    db: Session,
    admin_headers: dict[str, str],
    texts: dict[str, Participant],
) -> None:
    kept = db.scalars(select(Message).where(Message.purpose.like("reply:%"))).all()
    assert kept
    assert all("sister" not in (message.body_encrypted or "") for message in kept)

    purge_expired(
        session=db, now=utcnow() + timedelta(days=3650), retention_days=30, review_after_days=365
    )
    db.commit()
    db.expire_all()  # the purge is a bulk update: what the session holds is stale

    items = _pages(client, admin_headers)
    assert len(items) == 4
    assert all(item["text"] is None for item in items)


def test_a_bad_cursor_is_a_problem(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = client.get(URL, params={"cursor": "not-a-cursor"}, headers=admin_headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
