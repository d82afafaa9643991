"""Preview and send say why: nobody to invite, a band that cannot be met, a short window."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared.invitations import Answer, respond
from birge_shared.models import (
    Community,
    Event,
    Invitation,
    InvitationStatus,
    OutboxEntry,
    Participant,
    utcnow,
)
from tests.factories import make_event, make_invitation, make_participant

HOST, MIGRANT = Community.HOST, Community.MIGRANT
Headers = dict[str, str]


def _ids(people: list[Participant]) -> dict[str, list[str]]:
    return {"participant_ids": [str(person.id) for person in people]}


def _warnings(body: dict[str, Any]) -> dict[str, str]:
    warnings = body["warnings"]
    codes = [warning["code"] for warning in warnings]
    assert len(codes) == len(set(codes)), warnings
    return {warning["code"]: warning["detail"] for warning in warnings}


def _post(client: TestClient, headers: Headers, event: Event, suffix: str, body: Any) -> Any:
    return client.post(f"/v1/events/{event.id}/invitations{suffix}", json=body, headers=headers)


def test_a_hosts_only_list_is_not_silently_empty(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=12, min_share=0.4)
    hosts = [make_participant(db) for _ in range(12)]

    preview = _post(client, osh_headers, event, "/preview", _ids(hosts))
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["invite"] == []
    assert len(body["waitlist"]) == 12
    warnings = _warnings(body)
    assert set(warnings) == {"nobody", "mix_band"}
    assert warnings["mix_band"] == "band cannot be met: no migrants among 12"
    assert warnings["nobody"] == (
        "nobody can be invited now: band cannot be met: no migrants among 12; "
        "12 put on the waitlist"
    )

    sent = _post(client, osh_headers, event, "", _ids(hosts))
    assert sent.status_code == 202, sent.text
    batch = sent.json()
    assert (batch["invited"], batch["waitlisted"]) == (0, 12)
    assert _warnings(batch) == warnings
    # Nothing to send, so no fan-out is queued; the waitlist waits for migrants.
    fan_outs = db.scalars(select(OutboxEntry).where(OutboxEntry.task_name == "invitations.fan_out"))
    assert all(row.payload != {"batch_id": batch["id"]} for row in fan_outs)


def test_nobody_counts_every_reason_and_a_send_of_nobody_is_refused_with_them(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=10, min_share=0.0)
    opted_out = [make_participant(db) for _ in range(12)]
    for person in opted_out:
        person.opted_out_at = utcnow()
    no_consent = [make_participant(db) for _ in range(3)]
    for person in no_consent:
        person.consent_given_at = None
    invited = make_participant(db)
    make_invitation(db, event=event, participant=invited)
    db.flush()
    everyone = [*opted_out, *no_consent, invited]

    body = _post(client, osh_headers, event, "/preview", _ids(everyone)).json()
    assert (body["invite"], body["waitlist"]) == ([], [])
    detail = "nobody can be invited now: 12 opted out; 3 without consent; 1 already invited"
    assert _warnings(body) == {"nobody": detail}

    refused = _post(client, osh_headers, event, "", _ids(everyone))
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("/nobody-to-invite")
    assert refused.json()["detail"] == detail


def test_a_full_event_says_no_seat_is_open(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=2, min_share=0.0)
    for _ in range(2):
        make_invitation(db, event=event, participant=make_participant(db))
    waiting = [make_participant(db) for _ in range(3)]

    body = _post(client, osh_headers, event, "/preview", _ids(waiting)).json()
    assert _warnings(body) == {
        "nobody": "nobody can be invited now: no seat is open (2 of 2 held); 3 put on the waitlist"
    }


def test_a_band_that_leaves_seats_empty_says_how_many(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=10, min_share=0.4)
    people = [make_participant(db) for _ in range(8)]
    people += [make_participant(db, community=MIGRANT) for _ in range(2)]

    body = _post(client, osh_headers, event, "/preview", _ids(people)).json()
    # Two migrants allow three hosts in a 40-60 % band: five of ten seats stay empty.
    assert len(body["invite"]) == 5
    assert _warnings(body) == {
        "mix_band": "the mix band (each community at least 40 %) leaves 5 of 10 open seats "
        "empty: 8 hosts and 2 migrants among 10"
    }


def test_a_near_event_warns_of_the_short_window(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    people = [make_participant(db) for _ in range(4)]
    near = make_event(db, capacity=4, min_share=0.0, starts_in=timedelta(hours=3))
    body = _post(client, osh_headers, near, "/preview", _ids(people)).json()
    warning = _warnings(body)["short_window"]
    assert warning.startswith("the event starts in 2 h 59 min: people invited now have until ")
    assert "(the minimum window of 120 minutes)" in warning
    assert "stay open for late answers instead of going to the waitlist" in warning
    # Sending it says the same.
    sent = _post(client, osh_headers, near, "", _ids(people)).json()
    assert set(_warnings(sent)) == {"short_window"}

    very_near = make_event(db, capacity=4, min_share=0.0, starts_in=timedelta(minutes=50))
    body = _post(client, osh_headers, very_near, "/preview", _ids(people)).json()
    warning = _warnings(body)["short_window"]
    assert warning.startswith("the event starts in 49 min: people invited now can answer until ")
    assert warning.endswith("(Asia/Bishkek)), and freed seats are not offered to the waitlist")

    far = make_event(db, capacity=4, min_share=0.0, starts_in=timedelta(days=7))
    assert _post(client, osh_headers, far, "/preview", _ids(people)).json()["warnings"] == []


def test_an_event_deadline_too_close_to_leave_the_window_warns_too(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=4, min_share=0.0, starts_in=timedelta(days=2))
    event.answer_by = utcnow() + timedelta(minutes=30)
    db.flush()
    body = _post(client, osh_headers, event, "/preview", _ids([make_participant(db)])).json()
    assert "(the minimum window of 120 minutes)" in _warnings(body)["short_window"]

    event.answer_by = utcnow() + timedelta(hours=5)
    db.flush()
    body = _post(client, osh_headers, event, "/preview", _ids([make_participant(db)])).json()
    assert body["warnings"] == []


def test_seats_say_why_the_waitlist_no_longer_moves_near_the_start(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=2, min_share=0.0, starts_in=timedelta(minutes=90))
    declining = make_invitation(db, event=event, participant=make_participant(db))
    make_invitation(db, event=event, participant=make_participant(db))
    waiting = make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.WAITLISTED
    )

    outcome = respond(session=db, invitation_id=declining.id, answer=Answer.DECLINE)

    reason = (
        "the event starts in less than the answer window (120 minutes): nobody more is "
        "invited from the waitlist"
    )
    assert outcome.refill is not None
    assert outcome.refill.invited == []
    assert outcome.refill.reason == reason
    assert waiting.status is InvitationStatus.WAITLISTED
    db.commit()
    seats = client.get(f"/v1/events/{event.id}/invitations/seats", headers=osh_headers).json()
    assert (seats["open"], seats["waiting"], seats["open_reason"]) == (1, 1, reason)
    held = db.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(Invitation.event_id == event.id, Invitation.status == InvitationStatus.PLANNED)
    )
    assert held == 0
