"""Invitations API against PostgreSQL: preview, send, watch a batch, list, refuse bad input."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared.models import (
    AuditEntry,
    Community,
    Event,
    EventStatus,
    Invitation,
    InvitationBatch,
    InvitationStatus,
    Language,
    Message,
    MessageChannel,
    MessageDirection,
    MessagePurpose,
    MessageStatus,
    MessageTemplate,
    OutboxEntry,
    Participant,
    utcnow,
)
from tests.factories import make_event, make_invitation, make_participant

HOST, MIGRANT = Community.HOST, Community.MIGRANT
Headers = dict[str, str]


def _url(event: Event, suffix: str = "") -> str:
    return f"/v1/events/{event.id}/invitations{suffix}"


def _people(db: Session, count: int, community: Community | None = HOST, **kw: Any) -> list[str]:
    return [str(make_participant(db, community=community, **kw).id) for _ in range(count)]


def _rows(db: Session) -> dict[str, int]:
    """How many rows the invitation paths could have written."""
    return {
        model.__tablename__: db.scalar(select(func.count()).select_from(model)) or 0
        for model in (Invitation, InvitationBatch, OutboxEntry, AuditEntry, Message)
    }


def _assert_problem(response: Response, status: int, type_: str, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/" + type_), body
    if field is not None:
        assert field in {error["field"] for error in body["errors"]}, body


def _preview(client: TestClient, headers: Headers, event: Event, body: Any) -> dict[str, Any]:
    response = client.post(_url(event, "/preview"), json=body, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


# ---------------------------------------------------------------- preview


def test_preview_balances_the_mix_and_writes_nothing(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=20, min_share=0.4)
    hosts = _people(db, 30, HOST)
    migrants = _people(db, 4, MIGRANT)
    before = _rows(db)

    body = _preview(client, osh_headers, event, {"criteria": {}})

    # Four migrants allow at most six hosts inside a 40-60 % band: ten seats, not twenty.
    invited_hosts = [person_id for person_id in body["invite"] if person_id in hosts]
    assert len(invited_hosts) == 6
    assert sorted(body["invite"]) == sorted(invited_hosts + migrants)
    assert sorted(body["waitlist"]) == sorted(set(hosts) - set(body["invite"]))
    assert body["mix"] == {"host": 6, "migrant": 4, "unspecified": 0, "min_share": 0.4}
    assert body["excluded"] == {"opted_out": 0, "no_consent": 0, "already_invited": 0}
    assert body["seats"] == {"limit": 20, "held": 0, "open": 20}
    assert body["cost"]["messages"] == 10
    assert _rows(db) == before


def test_preview_is_deterministic_and_prefers_people_invited_least(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=2, min_share=0)
    earlier = make_event(db, starts_in=timedelta(days=3))
    fresh = _people(db, 2)
    invited_before = _people(db, 2)
    for person_id in invited_before:
        make_invitation(
            db, event=earlier, participant=db.get_one(Participant, uuid.UUID(person_id))
        )

    request = {"participant_ids": invited_before + fresh}
    first = _preview(client, osh_headers, event, request)
    second = _preview(client, osh_headers, event, {"participant_ids": fresh + invited_before})

    assert first == second
    assert sorted(first["invite"]) == sorted(fresh)
    assert sorted(first["waitlist"]) == sorted(invited_before)


def test_criteria_max_keeps_the_people_invited_least(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=10, min_share=0)
    earlier = make_event(db, starts_in=timedelta(days=3))
    fresh = _people(db, 2)
    for person_id in _people(db, 2):
        make_invitation(
            db, event=earlier, participant=db.get_one(Participant, uuid.UUID(person_id))
        )

    body = _preview(client, osh_headers, event, {"criteria": {"max": 2}})

    assert sorted(body["invite"]) == sorted(fresh)
    assert body["waitlist"] == []


def test_criteria_filter_by_language_community_and_recent_invitations(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=10, min_share=0)
    other = make_event(db, starts_in=timedelta(days=3))
    kyrgyz_host = make_participant(db, community=HOST, language=Language.KY)
    english_migrant = make_participant(db, community=MIGRANT, language=Language.EN)
    undeclared = make_participant(db, community=None, language=Language.RU)
    recently_invited = make_participant(db, community=HOST, language=Language.RU)
    make_invitation(db, event=other, participant=recently_invited)
    only_waitlisted = make_participant(db, community=HOST, language=Language.RU)
    make_invitation(
        db, event=other, participant=only_waitlisted, status=InvitationStatus.WAITLISTED
    )
    make_participant(db, community=HOST, city="bishkek")  # another city never matches

    def chosen(criteria: dict[str, Any]) -> set[str]:
        body = _preview(client, osh_headers, event, {"criteria": criteria})
        return {*body["invite"], *body["waitlist"]}

    assert chosen({"languages": ["ky", "en"]}) == {str(kyrgyz_host.id), str(english_migrant.id)}
    assert chosen({"communities": [None]}) == {str(undeclared.id)}
    assert chosen({"communities": ["migrant", None]}) == {
        str(english_migrant.id),
        str(undeclared.id),
    }
    # A waitlist place is not an invitation: only the real one keeps a person out.
    assert chosen({"not_invited_within_days": 30}) == {
        str(kyrgyz_host.id),
        str(english_migrant.id),
        str(undeclared.id),
        str(only_waitlisted.id),
    }
    # And the other way round: only those invited lately (a saved filter's "invited" window).
    assert chosen({"invited_within_days": 30}) == {str(recently_invited.id)}


def test_preview_counts_who_cannot_be_invited(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=10, min_share=0)
    host, migrant = make_participant(db), make_participant(db, community=MIGRANT)
    opted_out = make_participant(db)
    opted_out.opted_out_at = utcnow()
    no_consent = make_participant(db)
    no_consent.consent_given_at = None
    erased = make_participant(db)
    erased.erased_at = utcnow()
    invited = make_participant(db)
    make_invitation(db, event=event, participant=invited)
    db.flush()

    named = [host, migrant, opted_out, no_consent, erased, invited]
    body = _preview(client, osh_headers, event, {"participant_ids": [str(p.id) for p in named]})

    assert sorted(body["invite"]) == sorted([str(host.id), str(migrant.id)])
    assert body["excluded"] == {"opted_out": 1, "no_consent": 2, "already_invited": 1}
    # The earlier invitation holds a seat.
    assert body["seats"] == {"limit": 10, "held": 1, "open": 9}

    by_criteria = _preview(client, osh_headers, event, {"criteria": {}})
    # Erased people are anonymous stubs: criteria do not find them at all.
    assert by_criteria["excluded"] == {"opted_out": 1, "no_consent": 1, "already_invited": 1}


def test_cost_equals_a_hand_count_of_each_language(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=10, min_share=0)
    event.starts_at = datetime(2030, 12, 5, 9, 0, tzinfo=UTC)  # 15:00 in Bishkek
    event.ends_at = event.starts_at + timedelta(hours=2)
    db.flush()
    russian = make_participant(db, language=Language.RU)
    english = make_participant(db, language=Language.EN)
    link = "http://testserver/p/" + "x" * 43
    english_text = (
        f"Birge: you're invited to Football together! 5 Dec, 15:00, Stadium. Reply: {link}"
    )
    russian_text = (
        f"Birge: приглашаем на «Футбол вместе»! 5 декабря, 15:00, Stadium. Ответить: {link}"
    )
    # English fits GSM-7: one segment up to 160 characters. Cyrillic is UCS-2: 67 per part.
    assert len(english_text) <= 160
    english_segments = 1
    russian_segments = math.ceil(len(russian_text) / 67)
    assert russian_segments == 3

    body = _preview(
        client, osh_headers, event, {"participant_ids": [str(russian.id), str(english.id)]}
    )

    segments = english_segments + russian_segments
    cost = body["cost"]
    assert {key: cost[key] for key in ("messages", "segments", "estimated_price")} == {
        "messages": 2,
        "segments": segments,
        "estimated_price": {"amount": str(Decimal("0.0450") * segments), "currency": "USD"},
    }
    assert [(text["language"], text["segments_each"]) for text in cost["texts"]] == [
        ("en", english_segments),
        ("ru", russian_segments),
    ]
    assert body["cost"]["estimated_price"]["amount"] == "0.1800"


def test_cost_uses_the_administrators_text(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=10, min_share=0)
    english = make_participant(db, language=Language.EN)
    db.add(
        MessageTemplate(
            purpose="invitation", language=Language.EN, body="Birge: {title} " + "a" * 150
        )
    )
    db.flush()

    body = _preview(client, osh_headers, event, {"participant_ids": [str(english.id)]})

    assert body["cost"]["segments"] == 2  # 172 GSM-7 characters: two parts of 153


# ---------------------------------------------------------------- send


def test_send_creates_the_invitations_one_batch_and_one_outbox_row(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=5, min_share=0.4)
    hosts, migrants = _people(db, 6, HOST), _people(db, 2, MIGRANT)
    request = {"participant_ids": hosts + migrants}
    preview = _preview(client, osh_headers, event, request)
    before = _rows(db)

    response = client.post(_url(event), json=request, headers=osh_headers)

    assert response.status_code == 202, response.text
    batch = response.json()
    assert batch["event_id"] == str(event.id)
    assert (batch["invited"], batch["waitlisted"]) == (5, 3)
    assert batch["counts"] == {
        "planned": 5,
        "sent": 0,
        "delivered": 0,
        "failed": 0,
        "skipped": 0,
        "accepted": 0,
        "declined": 0,
        "waitlisted": 3,
        "expired": 0,
        "withdrawn": 0,
    }
    location = response.headers["location"]
    assert location == _url(event, f"/batches/{batch['id']}")

    invitations = list(db.scalars(select(Invitation).where(Invitation.event_id == event.id)))
    planned = {str(i.participant_id) for i in invitations if i.status is InvitationStatus.PLANNED}
    waiting = {
        str(i.participant_id) for i in invitations if i.status is InvitationStatus.WAITLISTED
    }
    assert planned == set(preview["invite"])
    assert waiting == set(preview["waitlist"])
    assert {str(i.batch_id) for i in invitations} == {batch["id"]}
    assert all(i.sent_at is None for i in invitations)
    tokens = {i.token for i in invitations}
    assert len(tokens) == 8
    assert all(len(token) == 43 for token in tokens)

    after = _rows(db)
    assert after["invitation"] - before["invitation"] == 8
    assert after["invitation_batch"] - before["invitation_batch"] == 1
    assert after["outbox"] - before["outbox"] == 1
    assert after["message"] == before["message"]  # the fan-out plans the messages
    outbox = db.scalars(select(OutboxEntry).order_by(OutboxEntry.id.desc())).first()
    assert outbox is not None
    assert outbox.task_name == "invitations.fan_out"
    assert outbox.payload == {"batch_id": batch["id"]}
    audit = db.scalars(select(AuditEntry).where(AuditEntry.object_id == batch["id"])).one()
    assert audit.action == "invitations.create"
    assert audit.details["invited"] == 5
    assert audit.details["waitlisted"] == 3

    read = client.get(location, headers=osh_headers)
    assert read.status_code == 200
    # A week away, five of eight invited inside the band: nothing to warn about.
    assert batch.pop("warnings") == []
    assert read.json() == batch


def test_a_second_batch_sees_the_seats_the_first_holds(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=2, min_share=0)
    first = client.post(_url(event), json={"participant_ids": _people(db, 2)}, headers=osh_headers)
    assert first.status_code == 202
    outbox_before = _rows(db)["outbox"]

    second = client.post(_url(event), json={"participant_ids": _people(db, 2)}, headers=osh_headers)

    assert second.status_code == 202, second.text
    assert (second.json()["invited"], second.json()["waitlisted"]) == (0, 2)
    # Nobody to message now: no fan-out is queued for a batch of waitlist places.
    assert _rows(db)["outbox"] == outbox_before


def _message(db: Session, invitation: Invitation, status: MessageStatus) -> None:
    db.add(
        Message(
            direction=MessageDirection.OUTBOUND,
            channel=MessageChannel.SMS,
            purpose=MessagePurpose.INVITATION,
            dedupe_key=f"invitation:{invitation.id}:sms:invitation:0",
            invitation_id=invitation.id,
            participant_id=invitation.participant_id,
            status=status,
        )
    )


def test_batch_counts_follow_deliveries_and_answers(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=6, min_share=0)
    response = client.post(
        _url(event), json={"participant_ids": _people(db, 8)}, headers=osh_headers
    )
    batch_id = response.json()["id"]
    invited = list(
        db.scalars(
            select(Invitation)
            .where(Invitation.batch_id == batch_id, Invitation.status == InvitationStatus.PLANNED)
            .order_by(Invitation.id)
        )
    )
    outcomes = [
        (MessageStatus.DELIVERED, InvitationStatus.ACCEPTED),
        (MessageStatus.SENT, InvitationStatus.SENT),
        (MessageStatus.QUEUED, InvitationStatus.DECLINED),
        (MessageStatus.FAILED, InvitationStatus.FAILED),
        (MessageStatus.UNDELIVERED, InvitationStatus.FAILED),
    ]
    for invitation, (message_status, invitation_status) in zip(invited, outcomes, strict=False):
        _message(db, invitation, message_status)
        invitation.status = invitation_status
    db.flush()

    counts = client.get(_url(event, f"/batches/{batch_id}"), headers=osh_headers).json()["counts"]

    assert counts == {
        "planned": 1,  # the sixth invitation, not yet handed to the fan-out
        "sent": 2,
        "delivered": 1,
        "failed": 2,
        "skipped": 0,
        "accepted": 1,
        "declined": 1,
        "waitlisted": 2,
        "expired": 0,
        "withdrawn": 0,
    }


def test_a_batch_of_another_event_is_not_found(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event, other = make_event(db, min_share=0), make_event(db, min_share=0)
    batch_id = client.post(
        _url(event), json={"participant_ids": _people(db, 1)}, headers=osh_headers
    ).json()["id"]

    _assert_problem(
        client.get(_url(other, f"/batches/{batch_id}"), headers=osh_headers), 404, "not-found"
    )
    _assert_problem(
        client.get(_url(event, f"/batches/{uuid.uuid4()}"), headers=osh_headers), 404, "not-found"
    )


def test_nobody_to_invite_is_refused_and_creates_nothing(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db)
    person = make_participant(db)
    person.opted_out_at = utcnow()
    db.flush()
    before = _rows(db)

    response = client.post(
        _url(event), json={"participant_ids": [str(person.id)]}, headers=osh_headers
    )

    _assert_problem(response, 422, "nobody-to-invite", "participant_ids")
    assert _rows(db) == before


# ---------------------------------------------------------------- list


def test_list_pages_and_filters_by_status_without_the_full_phone(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=3, min_share=0)
    phone = "+996700123456"
    people = [*_people(db, 4), str(make_participant(db, phone=phone).id)]
    client.post(_url(event), json={"participant_ids": people}, headers=osh_headers)

    first = client.get(_url(event), params={"limit": 3}, headers=osh_headers)
    assert first.status_code == 200
    page = first.json()
    rest = client.get(
        _url(event), params={"limit": 3, "cursor": page["next_cursor"]}, headers=osh_headers
    ).json()
    waiting = client.get(_url(event), params={"status": "waitlisted"}, headers=osh_headers)

    listed = page["items"] + rest["items"]
    assert rest["next_cursor"] is None
    assert sorted(item["participant_id"] for item in listed) == sorted(people)
    assert {item["status"] for item in waiting.json()["items"]} == {"waitlisted"}
    assert len(waiting.json()["items"]) == 2
    item = listed[0]
    assert set(item) == {
        "id",
        "participant_id",
        "name",
        "phone_masked",
        "status",
        "walk_in",
        "delivery",
        "messages",
        "community",
        "language",
        "batch_id",
        "sent_at",
        "expires_at",
        "responded_at",
        "closed_reason",
        "created_at",
    }
    assert item["community"] == "host"
    assert item["language"] == "ru"
    assert phone not in first.text + waiting.text
    _assert_problem(
        client.get(_url(event), params={"status": "maybe"}, headers=osh_headers),
        422,
        "validation-error",
    )


# ---------------------------------------------------------------- who may


def test_another_citys_event_is_not_found(
    client: TestClient, bishkek_headers: Headers, db: Session
) -> None:
    event = make_event(db, city="osh")
    request = {"participant_ids": _people(db, 1)}
    db.commit()  # an error response rolls back what the test did not commit
    for response in (
        client.post(_url(event, "/preview"), json=request, headers=bishkek_headers),
        client.post(_url(event), json=request, headers=bishkek_headers),
        client.get(_url(event), headers=bishkek_headers),
        client.get(_url(event, f"/batches/{uuid.uuid4()}"), headers=bishkek_headers),
    ):
        _assert_problem(response, 404, "not-found")


def test_viewers_may_not_preview_send_or_list(
    client: TestClient, viewer_headers: Headers, db: Session
) -> None:
    event = make_event(db)
    request = {"participant_ids": _people(db, 1)}
    db.commit()  # an error response rolls back what the test did not commit
    for response in (
        client.post(_url(event, "/preview"), json=request, headers=viewer_headers),
        client.post(_url(event), json=request, headers=viewer_headers),
        client.get(_url(event), headers=viewer_headers),
        client.get(_url(event, f"/batches/{uuid.uuid4()}"), headers=viewer_headers),
    ):
        _assert_problem(response, 403, "forbidden")
    assert client.get(_url(event)).status_code == 401


def test_admins_work_in_every_city(client: TestClient, admin_headers: Headers, db: Session) -> None:
    event = make_event(db, city="bishkek", min_share=0)
    request = {"participant_ids": _people(db, 1, city="bishkek")}
    assert client.post(_url(event), json=request, headers=admin_headers).status_code == 202


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "case",
    [
        ({}, "participant_ids"),
        ({"participant_ids": None, "criteria": None}, "criteria"),
        ({"participant_ids": [str(uuid.uuid4())], "criteria": {}}, "participant_ids"),
        ({"participant_ids": []}, "participant_ids"),
        ({"participant_ids": ["not-an-id"]}, "participant_ids.0"),
        ({"criteria": {"languages": ["de"]}}, "criteria.languages.0"),
        ({"criteria": {"languages": []}}, "criteria.languages"),
        ({"criteria": {"communities": ["tourist"]}}, "criteria.communities.0"),
        ({"criteria": {"not_invited_within_days": 0}}, "criteria.not_invited_within_days"),
        ({"criteria": {"invited_within_days": 3651}}, "criteria.invited_within_days"),
        ({"criteria": {"max": 0}}, "criteria.max"),
        ({"criteria": {"max": 501}}, "criteria.max"),
        ({"criteria": {"city": "bishkek"}}, "criteria.city"),
        ({"participant_ids": [str(uuid.uuid4()) for _ in range(501)]}, "participant_ids"),
        ({"everyone": True}, "everyone"),
    ],
)
@pytest.mark.parametrize("path", ["/preview", ""])
def test_bad_bodies_are_422_naming_the_field_and_change_nothing(
    client: TestClient,
    osh_headers: Headers,
    db: Session,
    case: tuple[dict[str, Any], str],
    path: str,
) -> None:
    body, field = case
    event = make_event(db)
    before = _rows(db)

    response = client.post(_url(event, path), json=body, headers=osh_headers)

    _assert_problem(response, 422, "validation-error", field)
    assert _rows(db) == before


@pytest.mark.parametrize("path", ["/preview", ""])
def test_unknown_and_other_city_participants_are_422(
    client: TestClient, osh_headers: Headers, db: Session, path: str
) -> None:
    event = make_event(db, city="osh")
    here = _people(db, 1)
    elsewhere = _people(db, 1, city="bishkek")
    db.commit()  # an error response rolls back what the test did not commit
    before = _rows(db)

    for ids in ([*here, str(uuid.uuid4())], [*here, *elsewhere]):
        response = client.post(
            _url(event, path), json={"participant_ids": ids}, headers=osh_headers
        )
        _assert_problem(response, 422, "unknown-participants", "participant_ids")
        assert here[0] not in response.text  # only the wrong ids are named
    assert _rows(db) == before


@pytest.mark.parametrize("path", ["/preview", ""])
def test_closed_events_take_no_invitations(
    client: TestClient, osh_headers: Headers, db: Session, path: str
) -> None:
    cancelled = make_event(db)
    cancelled.status = EventStatus.CANCELLED
    started = make_event(db, starts_in=timedelta(hours=-1))
    db.flush()
    request = {"participant_ids": _people(db, 1)}
    db.commit()  # an error response rolls back what the test did not commit
    before = _rows(db)

    for event in (cancelled, started):
        response = client.post(_url(event, path), json=request, headers=osh_headers)
        _assert_problem(response, 409, "event-not-open")
    _assert_problem(
        client.post(
            f"/v1/events/{uuid.uuid4()}/invitations{path}", json=request, headers=osh_headers
        ),
        404,
        "not-found",
    )
    assert _rows(db) == before
