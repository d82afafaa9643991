"""What participants read is true: the cancel reason, a changed event, the real deadline, and
an invitation text that always carries its link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.participant_page.i18n import ANSWER_BY_HINT, CHANGE_HINT, format_moment
from birge_shared.i18n import gettext_for
from birge_shared.models import (
    EventStatus,
    Invitation,
    InvitationStatus,
    Language,
    MessageTemplate,
    utcnow,
)
from tests.factories import make_event, make_invitation, make_participant

Headers = dict[str, str]


def _invitation(
    db: Session,
    *,
    language: Language = Language.RU,
    status: InvitationStatus = InvitationStatus.SENT,
) -> Invitation:
    event = make_event(db)
    person = make_participant(db, language=language)
    return make_invitation(db, event=event, participant=person, status=status)


def test_a_cancel_reason_is_stored_returned_and_shown_on_the_page(
    client: TestClient, db: Session, admin_headers: Headers
) -> None:
    invitation = _invitation(db)
    db.commit()

    response = client.post(
        f"/v1/events/{invitation.event_id}/cancel",
        json={"reason": "  Стадион закрыт на ремонт  "},
        headers=admin_headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancel_reason"] == "Стадион закрыт на ремонт"
    db.refresh(invitation.event)
    assert invitation.event.cancel_reason == "Стадион закрыт на ремонт"
    # The invitation is withdrawn by the worker; the page of a cancelled event still shows.
    html = client.get(f"/p/{invitation.token}").text
    assert "Встреча отменена" in html
    assert "Причина: Стадион закрыт на ремонт" in html
    assert gettext_for(Language.RU, "Add to calendar") not in html
    assert gettext_for(Language.RU, "I'll come") not in html


def test_a_cancel_without_a_body_still_works_and_the_page_gives_no_reason(
    client: TestClient, db: Session, admin_headers: Headers
) -> None:
    invitation = _invitation(db, language=Language.EN)
    db.commit()

    response = client.post(f"/v1/events/{invitation.event_id}/cancel", headers=admin_headers)

    assert response.status_code == 200, response.text
    assert response.json()["cancel_reason"] is None
    html = client.get(f"/p/{invitation.token}").text
    assert "This event has been cancelled" in html
    assert "Reason:" not in html


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "x" * 201},
        {"reason": "   "},
        {"reason": "line one\nline two"},
        {"reason": "rain", "notify": False},
        {"reason": 5},
    ],
)
def test_a_bad_cancel_body_is_a_422_problem_and_cancels_nothing(
    client: TestClient, db: Session, admin_headers: Headers, body: dict[str, object]
) -> None:
    event = make_event(db)
    db.commit()

    response = client.post(f"/v1/events/{event.id}/cancel", json=body, headers=admin_headers)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/validation-error")
    db.refresh(event)
    assert (event.status, event.cancel_reason) == (EventStatus.SCHEDULED, None)


@pytest.mark.parametrize("language", list(Language))
def test_a_changed_event_shows_as_changed(
    client: TestClient, db: Session, language: Language
) -> None:
    invitation = _invitation(db, language=language)
    heading = gettext_for(language, "This event has changed")
    body = gettext_for(
        language,
        "Its time or place has changed since it was announced. The details below are up to date.",
    )
    assert heading not in client.get(f"/p/{invitation.token}").text

    invitation.event.sequence = 1  # what a change of time or place does
    db.commit()

    html = client.get(f"/p/{invitation.token}").text
    assert heading in html
    assert body in html


def test_an_unanswered_invitation_names_its_real_deadline(client: TestClient, db: Session) -> None:
    invitation = _invitation(db)
    deadline = (utcnow() + timedelta(hours=5)).replace(second=0, microsecond=0)
    invitation.expires_at = deadline
    db.commit()

    html = client.get(f"/p/{invitation.token}").text

    when = format_moment(deadline, "Asia/Bishkek", Language.RU)
    assert gettext_for(Language.RU, ANSWER_BY_HINT) % {"deadline": when} in html
    # The date reads in the nominative ("четверг, 3 декабря"), so no preposition may govern it.
    assert f"Срок ответа: {when}." in html
    assert f'<p class="hint">{gettext_for(Language.RU, CHANGE_HINT)}</p>' not in html


@pytest.mark.parametrize("status", [InvitationStatus.ACCEPTED, InvitationStatus.DECLINED])
def test_an_answered_invitation_can_be_changed_until_the_start(
    client: TestClient, db: Session, status: InvitationStatus
) -> None:
    invitation = _invitation(db, status=status)
    invitation.expires_at = utcnow() + timedelta(hours=5)
    db.commit()

    html = client.get(f"/p/{invitation.token}").text

    assert f'<p class="hint">{gettext_for(Language.RU, CHANGE_HINT)}</p>' in html
    assert "Срок ответа" not in html


@pytest.mark.parametrize("language", ["ky", "ru", "en"])
def test_an_invitation_text_without_its_link_is_refused(
    client: TestClient, db: Session, admin_headers: Headers, language: str
) -> None:
    response = client.put(
        f"/v1/message-templates/invitation/{language}",
        json={"body": "Birge: {title}, {date} {time}, {venue}. Reply YES or NO."},
        headers=admin_headers,
    )

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/invalid-template")
    assert "{link}" in str(problem)
    assert list(db.scalars(select(MessageTemplate))) == []
    # Other texts need no link.
    fine = client.put(
        f"/v1/message-templates/accepted/{language}",
        json={"body": "Birge: thank you! {title}, {date}."},
        headers=admin_headers,
    )
    assert fine.status_code == 200, fine.text
