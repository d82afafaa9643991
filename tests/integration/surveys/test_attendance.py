"""Attendance: the coordinator marks it in bulk; participants check in with the event's code."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.attendance.codes import ALPHABET, code_matches, new_checkin_code, normalise_code
from birge_api.participant_page.i18n import DONE, Done
from birge_api.participant_page.service import csrf_token
from birge_shared.i18n import gettext_for
from birge_shared.models import (
    AuditEntry,
    Event,
    EventStatus,
    Invitation,
    InvitationStatus,
    Language,
    utcnow,
)
from birge_shared.settings import get_settings
from tests.factories import make_event, make_invitation, make_participant
from tests.integration.test_events import event_body

RU = Language.RU
# The check-in form's heading (and button) on a Russian page.
_CHECKIN_HEADING = "Отметиться"


def _event_with(
    db: Session,
    statuses: list[InvitationStatus],
    *,
    starts_in: timedelta = -timedelta(hours=1),
    city: str = "osh",
) -> tuple[Event, list[Invitation]]:
    event = make_event(db, starts_in=starts_in, city=city)
    event.checkin_code = "K7MX3P"
    invitations = [
        make_invitation(db, event=event, participant=make_participant(db, city=city), status=s)
        for s in statuses
    ]
    # Committed (to the test's savepoint): a refused request rolls back what it was given.
    db.commit()
    return event, invitations


def _mark(
    client: TestClient, event: Event, headers: dict[str, str], **body: list[uuid.UUID]
) -> Response:
    return client.post(
        f"/v1/events/{event.id}/attendance",
        json={key: [str(value) for value in values] for key, values in body.items()},
        headers=headers,
    )


# ----------------------------------------------------------------------------- the code


def test_codes_are_six_unambiguous_characters() -> None:
    codes = {new_checkin_code() for _ in range(200)}
    assert len(codes) > 190
    for code in codes:
        assert len(code) == 6
        assert set(code) <= set(ALPHABET)
    assert not set("0O1IL2Z5S6G8B") & set(ALPHABET)


@pytest.mark.parametrize("typed", ["K7MX3P", "k7mx3p", " k7m-x3p ", "К7МХ3Р", "k7 mx 3p"])
def test_what_people_type_is_forgiven(typed: str) -> None:
    assert code_matches(typed, "K7MX3P")


@pytest.mark.parametrize("typed", ["", "K7MX3", "K7MX3PP", "K7MX3R"])
def test_a_different_code_does_not_match(typed: str) -> None:
    assert not code_matches(typed, "K7MX3P")
    assert normalise_code("k7-mx") == "K7MX"


def test_a_new_event_gets_a_code_its_coordinators_see_and_viewers_do_not(
    client: TestClient, bishkek_headers: dict[str, str], viewer_headers: dict[str, str]
) -> None:
    created = client.post("/v1/events", json=event_body(city="bishkek"), headers=bishkek_headers)
    assert created.status_code == 201, created.text
    event = created.json()
    assert len(event["checkin_code"]) == 6
    assert set(event["checkin_code"]) <= set(ALPHABET)
    assert (event["reminder_offsets"], event["survey_delay_minutes"]) == ([1440, 120], 60)
    seen = client.get(f"/v1/events/{event['id']}", headers=bishkek_headers).json()
    assert seen["checkin_code"] == event["checkin_code"]
    viewed = client.get(f"/v1/events/{event['id']}", headers=viewer_headers).json()
    assert viewed["checkin_code"] is None
    listed = client.get("/v1/events", headers=viewer_headers).json()["items"]
    assert all(item["checkin_code"] is None for item in listed)


# ----------------------------------------------------------------------------- timings


def test_reminder_offsets_and_the_survey_delay_are_set_and_changed(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = event_body(reminder_offsets=[60, 2880], survey_delay_minutes=30)
    created = client.post("/v1/events", json=body, headers=admin_headers)
    assert created.status_code == 201, created.text
    event = created.json()
    assert (event["reminder_offsets"], event["survey_delay_minutes"]) == ([2880, 60], 30)

    changed = client.patch(
        f"/v1/events/{event['id']}",
        json={"reminder_offsets": [], "survey_delay_minutes": 0},
        headers=admin_headers,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["reminder_offsets"], changed.json()["survey_delay_minutes"]) == ([], 0)
    # Timings notify nobody: the calendar SEQUENCE stays.
    assert changed.json()["sequence"] == event["sequence"]


@pytest.mark.parametrize(
    "fields",
    [
        {"reminder_offsets": [1]},
        {"reminder_offsets": [120, 120]},
        {"reminder_offsets": [60, 120, 180, 240, 300, 360]},
        {"reminder_offsets": [14 * 24 * 60 + 1]},
        {"reminder_offsets": ["soon"]},
        {"reminder_offsets": None},
        {"survey_delay_minutes": -1},
        {"survey_delay_minutes": 7 * 24 * 60 + 1},
        {"survey_delay_minutes": None},
    ],
)
def test_timings_out_of_bounds_are_refused(
    client: TestClient, admin_headers: dict[str, str], fields: dict[str, Any]
) -> None:
    created = client.post("/v1/events", json=event_body(**fields), headers=admin_headers)
    assert created.status_code == 422, created.text
    assert created.json()["errors"][0]["field"].startswith(next(iter(fields)))
    event = client.post("/v1/events", json=event_body(), headers=admin_headers).json()
    patched = client.patch(f"/v1/events/{event['id']}", json=fields, headers=admin_headers)
    assert patched.status_code == 422, patched.text


# ----------------------------------------------------------------------------- bulk marking


def test_a_coordinator_marks_attendance_in_bulk_and_corrects_it(
    client: TestClient, db: Session, osh_headers: dict[str, str]
) -> None:
    event, (a, b, c) = _event_with(db, [InvitationStatus.ACCEPTED] * 3)
    response = _mark(
        client,
        event,
        osh_headers,
        attended=[a.participant_id, b.participant_id],
        no_show=[c.participant_id],
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "event_id": str(event.id),
        "changed": 3,
        "attended": 2,
        "no_show": 1,
        "unmarked": 0,
    }
    for invitation, status in ((a, "attended"), (b, "attended"), (c, "no_show")):
        db.refresh(invitation)
        assert invitation.status.value == status

    corrected = _mark(client, event, osh_headers, attended=[c.participant_id, a.participant_id])
    assert corrected.json()["changed"] == 1
    assert (corrected.json()["attended"], corrected.json()["no_show"]) == (3, 0)

    entries = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "event.attendance", AuditEntry.object_id == str(event.id))
        .order_by(AuditEntry.at)
    ).all()
    assert [entry.details for entry in entries] == [
        {"attended": 2, "no_show": 1, "changed": 3},
        {"attended": 2, "no_show": 0, "changed": 1},
    ]


def test_ids_without_an_accepted_invitation_are_listed_and_nothing_changes(
    client: TestClient, db: Session, osh_headers: dict[str, str]
) -> None:
    event, (accepted, declined) = _event_with(
        db, [InvitationStatus.ACCEPTED, InvitationStatus.DECLINED]
    )
    stranger = uuid.uuid4()
    response = _mark(
        client,
        event,
        osh_headers,
        attended=[accepted.participant_id, declined.participant_id],
        no_show=[stranger],
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("/not-accepted")
    assert sorted(problem["participant_ids"]) == sorted(
        [str(declined.participant_id), str(stranger)]
    )
    assert {error["field"] for error in problem["errors"]} == {"attended", "no_show"}
    db.refresh(accepted)
    assert accepted.status is InvitationStatus.ACCEPTED


def test_marking_is_refused_outside_the_callers_cities_roles_and_times(
    client: TestClient,
    db: Session,
    osh_headers: dict[str, str],
    viewer_headers: dict[str, str],
    bishkek_headers: dict[str, str],
) -> None:
    event, (invitation,) = _event_with(db, [InvitationStatus.ACCEPTED], city="bishkek")
    ids = {"attended": [invitation.participant_id]}
    assert _mark(client, event, osh_headers, **ids).status_code == 404
    assert _mark(client, event, viewer_headers, **ids).status_code == 403
    both = _mark(client, event, bishkek_headers, attended=ids["attended"], no_show=ids["attended"])
    assert both.status_code == 422

    upcoming, (later,) = _event_with(
        db, [InvitationStatus.ACCEPTED], starts_in=timedelta(hours=2), city="bishkek"
    )
    early = _mark(client, upcoming, bishkek_headers, attended=[later.participant_id])
    assert early.status_code == 409
    assert early.json()["type"].endswith("/event-not-started")

    upcoming.status = EventStatus.CANCELLED
    db.flush()
    cancelled = _mark(client, upcoming, bishkek_headers, attended=[later.participant_id])
    assert cancelled.status_code == 409
    assert cancelled.json()["type"].endswith("/event-cancelled")


# ----------------------------------------------------------------------------- check-in


def _status(db: Session, invitation: Invitation) -> InvitationStatus:
    db.refresh(invitation)
    return invitation.status


def _check_in(client: TestClient, invitation: Invitation, code: str, **extra: str) -> Response:
    csrf = csrf_token(
        secret_key=get_settings().secret_key.get_secret_value(), invitation_token=invitation.token
    )
    return client.post(
        f"/p/{invitation.token}/checkin",
        data={"code": code, "csrf": csrf, "lang": "ru", **extra},
        follow_redirects=False,
    )


def test_a_participant_checks_in_with_the_code_during_the_event(
    client: TestClient, db: Session
) -> None:
    _, (invitation,) = _event_with(db, [InvitationStatus.ACCEPTED], starts_in=timedelta(minutes=20))
    page = client.get(f"/p/{invitation.token}").text
    assert _CHECKIN_HEADING in page
    assert f'action="/p/{invitation.token}/checkin"' in page

    wrong = _check_in(client, invitation, "AAAAAA")
    assert wrong.status_code == 400
    assert "Проверьте код у организаторов и попробуйте ещё раз." in wrong.text
    assert _status(db, invitation) is InvitationStatus.ACCEPTED

    # Typed on a Russian keyboard, in lower case, with a space.
    done = _check_in(client, invitation, "к7мх 3р")
    assert done.status_code == 303
    assert done.headers["location"] == f"/p/{invitation.token}?lang=ru&done=checked_in"
    assert _status(db, invitation) is InvitationStatus.ATTENDED
    assert invitation.checked_in_at is not None
    page = client.get(done.headers["location"]).text
    assert gettext_for(RU, DONE[Done.CHECKED_IN]) in page
    assert _CHECKIN_HEADING not in page
    assert _check_in(client, invitation, "K7MX3P").status_code == 303  # again: harmless


def test_five_wrong_codes_an_hour_and_no_more_tries(client: TestClient, db: Session) -> None:
    _, (invitation,) = _event_with(db, [InvitationStatus.ACCEPTED], starts_in=-timedelta(hours=1))
    event = invitation.event
    event.ends_at = utcnow() + timedelta(hours=3)
    db.flush()
    with time_machine.travel(utcnow(), tick=True) as clock:
        for _ in range(5):
            assert _check_in(client, invitation, "AAAAAA").status_code == 400
        refused = _check_in(client, invitation, "K7MX3P")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "3600"
        assert "Слишком много неверных кодов." in refused.text
        # A forged form is refused before any code is tried, and is not counted.
        assert _check_in(client, invitation, "K7MX3P", csrf="forged").status_code == 403

        clock.shift(timedelta(hours=1, seconds=1))
        assert _check_in(client, invitation, "K7MX3P").status_code == 303
    db.refresh(invitation)
    assert invitation.status is InvitationStatus.ATTENDED
    refusals = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "invitation.checkin_refused",
            AuditEntry.object_id == str(invitation.id),
        )
    ).all()
    assert len(refusals) == 5
    assert all(entry.details == {} for entry in refusals)  # nothing of what was typed


def test_check_in_opens_half_an_hour_before_the_start_and_closes_at_the_end(
    client: TestClient, db: Session
) -> None:
    _, (early,) = _event_with(db, [InvitationStatus.ACCEPTED], starts_in=timedelta(hours=2))
    assert _CHECKIN_HEADING not in client.get(f"/p/{early.token}").text
    closed = _check_in(client, early, "K7MX3P")
    assert closed.status_code == 409
    assert "Отметиться можно за 30 минут до начала встречи и до её окончания." in closed.text

    _, (over,) = _event_with(db, [InvitationStatus.ACCEPTED], starts_in=-timedelta(hours=3))
    assert _check_in(client, over, "K7MX3P").status_code == 409

    _, (declined,) = _event_with(db, [InvitationStatus.DECLINED], starts_in=timedelta(minutes=5))
    assert _check_in(client, declined, "K7MX3P").status_code == 409
    db.refresh(declined)
    assert declined.status is InvitationStatus.DECLINED
