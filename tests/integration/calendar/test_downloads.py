"""Calendar downloads over HTTP: a participant's file by personal link, and the city feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.models import (
    EventStatus,
    EventVisibility,
    InvitationStatus,
    Language,
    OutboxEntry,
    utcnow,
)
from birge_shared.settings import get_settings
from birge_shared.tasks import EventChanged
from tests.factories import make_event, make_invitation, make_participant
from tests.integration.calendar.reader import read_ics


def test_a_participant_downloads_their_event(client: TestClient, db: Session) -> None:
    event = make_event(db, city="bishkek")
    person = make_participant(db, city="bishkek", language=Language.KY, email="a@example.org")
    invitation = make_invitation(db, event=event, participant=person)
    db.commit()

    response = client.get(f"/p/{invitation.token}/invite.ics")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="birge-{event.id.hex[:8]}.ics"'
    )
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert invitation.token not in response.headers["content-disposition"]
    read = read_ics(response.content)
    assert read.method == "PUBLISH"
    vevent = read.calendar.vevent
    assert vevent.uid.value == f"{event.id}@birge.kg"
    assert vevent.sequence.value == "0"
    assert vevent.summary.value == "Бирге футбол"
    assert vevent.dtstart.value == event.starts_at
    assert vevent.dtend.value == event.ends_at
    assert vevent.url.value == f"http://testserver/p/{invitation.token}"
    assert not {"attendee", "organizer"} & set(vevent.contents)
    assert b"a@example.org" not in response.content
    assert read.tzids_used == read.tzids_defined == {"Asia/Bishkek"}


def test_after_a_change_the_download_has_the_same_uid_and_a_higher_sequence(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    event = make_event(db, city="bishkek")
    invitation = make_invitation(db, event=event, participant=make_participant(db, city="bishkek"))
    db.commit()
    before = read_ics(client.get(f"/p/{invitation.token}/invite.ics").content)

    later = event.starts_at + timedelta(hours=3)
    moved = client.patch(
        f"/v1/events/{event.id}",
        json={"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=2)).isoformat()},
        headers=admin_headers,
    )
    assert moved.status_code == 200, moved.text
    after = read_ics(client.get(f"/p/{invitation.token}/invite.ics").content)

    assert after.calendar.vevent.uid.value == before.calendar.vevent.uid.value
    assert int(after.calendar.vevent.sequence.value) == 1 + int(
        before.calendar.vevent.sequence.value
    )
    assert after.calendar.vevent.dtstart.value == later


def test_a_notifying_change_writes_one_delayed_row_and_a_description_none(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    event = make_event(db, city="bishkek")
    db.commit()
    url = f"/v1/events/{event.id}"

    def change_rows() -> list[OutboxEntry]:
        return [
            row
            for row in db.scalars(
                select(OutboxEntry).where(OutboxEntry.task_name == EventChanged.task_name)
            )
            if row.payload["event_id"] == str(event.id)
        ]

    for quiet in (
        {"description": {"en": "Bring water"}},
        {"capacity": 30},
        {"activity_type": "games"},
        {"mix_band": {"min_share": 0.3}},
    ):
        assert client.patch(url, json=quiet, headers=admin_headers).status_code == 200
    assert change_rows() == []

    before = utcnow()
    renamed = client.patch(url, json={"title": {"en": "Chess"}}, headers=admin_headers)
    assert renamed.status_code == 200
    moved_venue = client.patch(
        url, json={"venue": {"name": "Park", "address": "Chuy 1"}}, headers=admin_headers
    )
    assert moved_venue.status_code == 200
    rows = change_rows()
    assert [row.payload["sequence"] for row in rows] == [1, 2]
    settle = timedelta(minutes=get_settings().change_notice_settle_minutes)
    for row in rows:
        assert row.available_at >= before + settle
        assert row.available_at <= utcnow() + settle


@pytest.mark.parametrize(
    "status",
    # Withdrawn; a failed SMS; a waiting-list place the person never heard of.
    [InvitationStatus.WITHDRAWN, InvitationStatus.FAILED, InvitationStatus.WAITLISTED],
)
def test_no_file_for_links_the_person_never_got_or_lost(
    client: TestClient, db: Session, status: InvitationStatus
) -> None:
    event = make_event(db, city="bishkek")
    invitation = make_invitation(
        db, event=event, participant=make_participant(db, city="bishkek"), status=status
    )
    db.commit()
    response = client.get(f"/p/{invitation.token}/invite.ics")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_a_waitlisted_person_who_answered_can_download(client: TestClient, db: Session) -> None:
    event = make_event(db, city="bishkek")
    invitation = make_invitation(
        db,
        event=event,
        participant=make_participant(db, city="bishkek"),
        status=InvitationStatus.WAITLISTED,
    )
    invitation.responded_at = utcnow()
    db.commit()
    assert client.get(f"/p/{invitation.token}/invite.ics").status_code == 200


@pytest.mark.parametrize("token", ["unknown-token", "x" * 65])
def test_unknown_links_are_404(client: TestClient, token: str) -> None:
    response = client.get(f"/p/{token}/invite.ics")
    assert response.status_code == 404
    assert response.json()["type"].endswith("/not-found")


def test_the_city_feed_is_public_and_holds_no_personal_data(
    client: TestClient, db: Session
) -> None:
    upcoming = make_event(db, city="bishkek", title={"ru": "Футбол", "en": "Football"})
    english_only = make_event(
        db, city="bishkek", title={"en": "Chess club"}, starts_in=timedelta(days=9)
    )
    recently_cancelled = make_event(db, city="bishkek", starts_in=timedelta(days=3))
    recently_cancelled.status = EventStatus.CANCELLED
    recently_cancelled.cancelled_at = utcnow() - timedelta(days=2)
    recently_cancelled.sequence = 1
    long_cancelled = make_event(db, city="bishkek", starts_in=timedelta(days=2))
    long_cancelled.status = EventStatus.CANCELLED
    long_cancelled.cancelled_at = utcnow() - timedelta(days=31)
    completed = make_event(db, city="bishkek", starts_in=timedelta(days=1))
    completed.status = EventStatus.COMPLETED
    in_osh = make_event(db, city="osh")
    for event in (upcoming, english_only, recently_cancelled, long_cancelled, completed, in_osh):
        event.visibility = EventVisibility.PUBLIC
    phone = "+996555987654"
    person = make_participant(
        db, city="bishkek", phone=phone, email="secret.person@example.org", name="Жыпар Асанова"
    )
    invitation = make_invitation(
        db, event=upcoming, participant=person, status=InvitationStatus.ACCEPTED
    )
    db.commit()

    response = client.get("/calendars/bishkek.ics")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "public" in response.headers["cache-control"]
    body = response.content
    read = read_ics(body)
    assert read.method == "PUBLISH"
    by_uid = {vevent.uid.value: vevent for vevent in read.vevents}
    mine = {f"{event.id}@birge.kg" for event in (upcoming, english_only, recently_cancelled)}
    others = {f"{event.id}@birge.kg" for event in (long_cancelled, completed, in_osh)}
    assert mine <= set(by_uid)
    assert not others & set(by_uid)
    assert by_uid[f"{upcoming.id}@birge.kg"].summary.value == "Футбол"
    assert by_uid[f"{english_only.id}@birge.kg"].summary.value == "Chess club"
    cancelled = by_uid[f"{recently_cancelled.id}@birge.kg"]
    assert cancelled.status.value == "CANCELLED"
    assert cancelled.sequence.value == "1"
    assert by_uid[f"{upcoming.id}@birge.kg"].dtstart.value == upcoming.starts_at
    assert read.tzids_used <= read.tzids_defined
    assert read.calendar.contents["x-wr-calname"][0].value == "Birge — Bishkek"

    text = body.decode()
    unfolded = text.replace("\r\n ", "")
    for secret in (phone, "555987654", "secret.person@example.org", "Жыпар", "Асанова"):
        assert secret not in unfolded
    assert invitation.token not in unfolded
    assert "/p/" not in unfolded
    for vevent in read.vevents:
        assert not {"attendee", "organizer", "url"} & set(vevent.contents)


def test_an_unknown_city_feed_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/calendars/atlantis.ics")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "https://birge.kg/problems/not-found"
    assert response.json()["title"] == "City not found"


def test_the_feed_needs_no_authentication_and_stays_valid_when_empty(
    client: TestClient, db: Session
) -> None:
    # Osh with only a long-past cancellation: an empty but valid calendar.
    old = make_event(db, city="osh", starts_in=timedelta(days=1))
    old.status = EventStatus.CANCELLED
    old.cancelled_at = datetime.now(UTC) - timedelta(days=40)
    old.visibility = EventVisibility.PUBLIC
    db.commit()
    response = client.get("/calendars/osh.ics")
    assert response.status_code == 200
    assert f"{old.id}@birge.kg" not in response.text
    assert read_ics(response.content).method == "PUBLISH"
