"""Retention with a moving clock: old free text is purged daily, long-uninvited people are
listed for review, and both leave an audit entry with counts only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import (
    AuditEntry,
    Community,
    InvitationStatus,
    Message,
    MessageChannel,
    MessageDirection,
    Participant,
    ProviderCallback,
    Role,
    SurveyResponse,
    User,
    utcnow,
)
from birge_shared.settings import get_settings
from birge_workers.retention import purge_expired, purge_once
from tests.conftest import UserFactory, bearer
from tests.factories import make_event, make_invitation, make_participant

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
DAYS = timedelta(days=1)
REVIEW = "/v1/retention/review"


@pytest.fixture
def admin(make_user: UserFactory) -> User:
    return make_user(Role.ADMIN)


def _review(client: TestClient, admin: User, **params: str | int) -> list[dict[str, Any]]:
    """Every item of the review list as the clock stands; the token is issued at that time."""
    items: list[dict[str, Any]] = []
    while True:
        response = client.get(REVIEW, params=params, headers=bearer(admin))
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        if not page["next_cursor"]:
            return items
        params["cursor"] = page["next_cursor"]


def _message(db: Session, direction: MessageDirection, text: str) -> Message:
    message = Message(
        direction=direction,
        channel=MessageChannel.SMS,
        purpose="reply" if direction is MessageDirection.INBOUND else "invitation",
        body_encrypted=get_cipher().encrypt(text),
    )
    db.add(message)
    db.flush()
    return message


def _comment(db: Session, event_id: uuid.UUID, text: str) -> SurveyResponse:
    answer = SurveyResponse(
        event_id=event_id,
        pseudonym=uuid.uuid4().hex,
        kind="post",
        community=Community.MIGRANT,
        attitude=4,
        rating=5,
        cross_group_talk=True,
        comment_encrypted=get_cipher().encrypt(text),
        channel="page",
    )
    db.add(answer)
    db.flush()
    return answer


def _callback(db: Session, *, processed: bool) -> ProviderCallback:
    cipher = get_cipher()
    callback = ProviderCallback(
        kind="inbound",
        dedupe_key=f"inbound:{uuid.uuid4().hex}",
        message_sid=f"SM{uuid.uuid4().hex}",
        from_encrypted=cipher.encrypt("+996555000111"),
        from_hash=cipher.lookup_hash("phone", "+996555000111"),
        body_encrypted=cipher.encrypt("ДА"),
        processed_at=utcnow() if processed else None,
    )
    db.add(callback)
    db.flush()
    return callback


def test_free_text_past_retention_is_purged_once_a_day(db: Session) -> None:
    settings = get_settings()
    assert settings.retention_days == 180
    with time_machine.travel(T0, tick=False):
        event = make_event(db, city="osh")
        old_inbound = _message(db, MessageDirection.INBOUND, "ДА, приду")
        outbound = _message(db, MessageDirection.OUTBOUND, "Приглашение")
        old_comment = _comment(db, event.id, "It was great")
        old_callback = _callback(db, processed=True)
        waiting_callback = _callback(db, processed=False)
    with time_machine.travel(T0 + 100 * DAYS, tick=False):
        recent_inbound = _message(db, MessageDirection.INBOUND, "НЕТ")
        recent_comment = _comment(db, event.id, "Too short")

    # A day before the limit nothing is old enough.
    day_179 = T0 + 179 * DAYS
    with time_machine.travel(day_179, tick=False):
        early = purge_once(session=db, now=utcnow())
    assert early is not None
    assert (early.message_bodies, early.survey_comments, early.callback_texts) == (0, 0, 0)

    with time_machine.travel(T0 + 181 * DAYS, tick=False):
        result = purge_once(session=db, now=utcnow())
        # The same day's second tick (a second beat) does nothing.
        assert purge_once(session=db, now=utcnow() + timedelta(hours=1)) is None
    assert result is not None
    assert (result.message_bodies, result.survey_comments, result.callback_texts) == (1, 1, 1)

    db.expire_all()
    assert old_inbound.body_encrypted is None
    assert outbound.body_encrypted is not None  # only what people wrote is purged
    assert recent_inbound.body_encrypted is not None
    assert old_comment.comment_encrypted is None
    assert (old_comment.attitude, old_comment.rating) == (4, 5)  # the answers stay
    assert recent_comment.comment_encrypted is not None
    assert (old_callback.body_encrypted, old_callback.from_encrypted) == (None, None)
    assert old_callback.from_hash is None
    assert waiting_callback.body_encrypted is not None  # a worker still has to apply it

    entries = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "retention.purge").order_by(AuditEntry.at)
    ).all()
    assert entries[-1].details == {
        "message_bodies": 1,
        "callback_texts": 1,
        "survey_comments": 1,
        "contact_pairs": 0,
        "due_for_review": result.due_for_review,
    }
    assert entries[-1].actor_id is None


def _people(db: Session) -> dict[str, Participant]:
    """Participants registered at T0 and later, invited (or not) at different times."""
    with time_machine.travel(T0, tick=False):
        people = {
            "never invited": make_participant(db, city="osh"),
            "invited long ago": make_participant(db, city="bishkek"),
            "invited lately": make_participant(db, city="osh"),
            "erased": make_participant(db, city="osh"),
        }
        old_event = make_event(db, city="bishkek")
        make_invitation(db, event=old_event, participant=people["invited long ago"])
    people["erased"].erased_at = T0 + DAYS
    people["erased"].name_encrypted = people["erased"].phone_encrypted = None
    people["erased"].phone_hash = None
    with time_machine.travel(T0 + 400 * DAYS, tick=False):
        people["registered lately"] = make_participant(db, city="osh")
        recent_event = make_event(db, city="osh")
        make_invitation(
            db,
            event=recent_event,
            participant=people["invited lately"],
            status=InvitationStatus.DECLINED,
        )
    db.flush()
    return people


def test_people_not_invited_for_two_years_are_counted_and_listed(
    db: Session, client: TestClient, admin: User
) -> None:
    people = _people(db)
    ids = {str(participant.id): name for name, participant in people.items()}

    with time_machine.travel(T0 + 731 * DAYS, tick=False):
        result = purge_expired(session=db, now=utcnow(), retention_days=180, review_after_days=730)
        everyone = _review(client, admin, limit=100)
        osh_only = _review(client, admin, city="osh", limit=100)
    listed = {
        ids[item["participant_id"]]: item for item in everyone if item["participant_id"] in ids
    }
    assert sorted(listed) == ["invited long ago", "never invited"]
    assert listed["never invited"] == {
        "participant_id": str(people["never invited"].id),
        "city": "osh",
        "registered_on": "2026-01-05",
        "last_invited_on": None,
    }
    assert listed["invited long ago"]["last_invited_on"] == "2026-01-05"
    assert listed["invited long ago"]["city"] == "bishkek"
    assert result.due_for_review == len(everyone)
    assert [ids[item["participant_id"]] for item in osh_only if item["participant_id"] in ids] == [
        "never invited"
    ]

    # A year earlier nobody had waited two years yet.
    with time_machine.travel(T0 + 365 * DAYS, tick=False):
        early = _review(client, admin, limit=100)
    assert not [item for item in early if item["participant_id"] in ids]


def test_the_review_list_pages(db: Session, client: TestClient, admin: User) -> None:
    _people(db)
    with time_machine.travel(T0 + 731 * DAYS, tick=False):
        one_by_one = [item["participant_id"] for item in _review(client, admin, limit=1)]
        at_once = [item["participant_id"] for item in _review(client, admin, limit=100)]
    assert one_by_one == at_once
    assert len(set(one_by_one)) == len(one_by_one) >= 2


@pytest.mark.parametrize("who", ["viewer_headers", "bishkek_headers"])
def test_only_administrators_read_the_review_list(
    client: TestClient, request: pytest.FixtureRequest, who: str
) -> None:
    headers: dict[str, str] = request.getfixturevalue(who)
    response = client.get(REVIEW, headers=headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_an_unknown_city_in_the_review_list_is_a_422(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.get(REVIEW, params={"city": "almaty"}, headers=admin_headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "city"
