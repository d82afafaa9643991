"""Free-text survey comments: coordinators and admins read them per event, viewers never;
one can be hidden; reads and hides are audited; retention still purges them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import AuditEntry, Event, SurveyResponse
from birge_shared.pseudonyms import pseudonym
from birge_workers.retention import purge_expired
from tests.factories import make_event, make_participant

TEXTS = ("The team games were great", "Aibek from my street was rude to me", "More tea please")


@pytest.fixture
def commented(db: Session) -> tuple[Event, list[SurveyResponse]]:
    """A Bishkek event with three comments, an answer without one, and an Osh event."""
    event = make_event(db, city="bishkek")
    cipher = get_cipher()
    responses = []
    for day, text in enumerate((*TEXTS, None)):
        person = make_participant(db, city="bishkek")
        response = SurveyResponse(
            event_id=event.id,
            pseudonym=pseudonym(person.id),
            kind="post",
            community=person.community,
            rating=4,
            comment_encrypted=cipher.encrypt(text) if text else None,
            channel="page",
            answered_at=datetime(2026, 11, 20 + day, tzinfo=UTC),
        )
        db.add(response)
        responses.append(response)
    db.commit()  # committed, so a refused request's rollback keeps them
    return event, responses


def _texts(client: TestClient, event: Event, headers: dict[str, str]) -> list[str]:
    response = client.get(f"/v1/events/{event.id}/comments", headers=headers)
    assert response.status_code == 200, response.text
    return [item["text"] for item in response.json()["items"]]


def test_coordinators_and_admins_read_an_events_comments_oldest_first(
    client: TestClient,
    db: Session,
    commented: tuple[Event, list[SurveyResponse]],
    bishkek_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    event, _ = commented
    body = client.get(f"/v1/events/{event.id}/comments", headers=bishkek_headers).json()
    assert [item["text"] for item in body["items"]] == list(TEXTS)
    assert [item["answered_on"] for item in body["items"]] == [
        "2026-11-20",
        "2026-11-21",
        "2026-11-22",
    ]
    assert body["hidden"] == 0
    assert set(body["items"][0]) == {"id", "text", "answered_on"}  # nothing about the writer
    assert _texts(client, event, admin_headers) == list(TEXTS)
    reads = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "survey_comment.read", AuditEntry.object_id == str(event.id)
        )
    ).all()
    assert [entry.details for entry in reads] == [{"shown": 3}, {"shown": 3}]
    assert all(text not in str(entry.details) for entry in reads for text in TEXTS)


def test_viewers_are_refused_and_another_citys_event_is_not_found(
    client: TestClient,
    commented: tuple[Event, list[SurveyResponse]],
    viewer_headers: dict[str, str],
    osh_headers: dict[str, str],
) -> None:
    event, responses = commented
    comment = responses[1].id
    assert client.get(f"/v1/events/{event.id}/comments", headers=viewer_headers).status_code == 403
    hide = f"/v1/events/{event.id}/comments/{comment}/hide"
    assert client.post(hide, headers=viewer_headers).status_code == 403
    other_city = client.get(f"/v1/events/{event.id}/comments", headers=osh_headers)
    assert other_city.status_code == 404
    assert other_city.headers["content-type"].startswith("application/problem+json")
    assert client.post(hide, headers=osh_headers).status_code == 404
    assert client.get(f"/v1/events/{event.id}/comments").status_code == 401


def test_a_hidden_comment_is_shown_to_nobody_and_the_hide_is_audited_once(
    client: TestClient,
    db: Session,
    commented: tuple[Event, list[SurveyResponse]],
    bishkek_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    event, responses = commented
    naming = responses[1]
    hide = f"/v1/events/{event.id}/comments/{naming.id}/hide"
    assert client.post(hide, headers=bishkek_headers).status_code == 204
    assert client.post(hide, headers=bishkek_headers).status_code == 204  # once is enough
    for headers in (bishkek_headers, admin_headers):
        body = client.get(f"/v1/events/{event.id}/comments", headers=headers).json()
        assert [item["text"] for item in body["items"]] == [TEXTS[0], TEXTS[2]]
        assert body["hidden"] == 1
    db.refresh(naming)
    assert naming.comment_hidden_at is not None
    assert naming.comment_hidden_by_id is not None
    hides = db.scalars(select(AuditEntry).where(AuditEntry.action == "survey_comment.hide")).all()
    assert [(entry.object_id, entry.details) for entry in hides] == [
        (str(naming.id), {"event_id": str(event.id)})
    ]


def test_only_a_comment_of_this_event_can_be_hidden(
    client: TestClient,
    db: Session,
    commented: tuple[Event, list[SurveyResponse]],
    bishkek_headers: dict[str, str],
) -> None:
    event, responses = commented
    other = make_event(db, city="bishkek")
    db.commit()
    wrong_event = f"/v1/events/{other.id}/comments/{responses[0].id}/hide"
    assert client.post(wrong_event, headers=bishkek_headers).status_code == 404
    without_text = f"/v1/events/{event.id}/comments/{responses[3].id}/hide"
    assert client.post(without_text, headers=bishkek_headers).status_code == 404
    not_an_id = client.post(f"/v1/events/{event.id}/comments/nope/hide", headers=bishkek_headers)
    assert not_an_id.status_code == 422
    db.refresh(responses[0])
    assert responses[0].comment_hidden_at is None


def test_retention_purges_comments_hidden_or_not(
    client: TestClient,
    db: Session,
    commented: tuple[Event, list[SurveyResponse]],
    bishkek_headers: dict[str, str],
) -> None:
    event, responses = commented
    hide = f"/v1/events/{event.id}/comments/{responses[1].id}/hide"
    assert client.post(hide, headers=bishkek_headers).status_code == 204
    result = purge_expired(
        session=db,
        now=datetime(2026, 11, 22, tzinfo=UTC) + timedelta(days=30),
        retention_days=30,
        review_after_days=365,
    )
    assert result.survey_comments >= 2
    for response in responses[:2]:
        db.refresh(response)
        assert response.comment_encrypted is None
    db.refresh(responses[2])
    assert responses[2].comment_encrypted is not None  # answered on the cut-off day: kept
    body = client.get(f"/v1/events/{event.id}/comments", headers=bishkek_headers).json()
    assert [item["text"] for item in body["items"]] == [TEXTS[2]]
    assert body["hidden"] == 0  # nothing left to hide
