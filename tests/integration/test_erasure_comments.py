"""Erasure takes a person's free-text survey comments too; the numeric answers stay."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import SurveyResponse
from birge_shared.pseudonyms import pseudonym
from tests.factories import make_event, make_participant


def test_erasure_clears_the_persons_comments_and_keeps_their_answers(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    event = make_event(db)
    person, other = make_participant(db), make_participant(db)
    for who in (person, other):
        db.add(
            SurveyResponse(
                event_id=event.id,
                pseudonym=pseudonym(who.id),
                kind="post",
                community=who.community,
                attitude=4,
                rating=5,
                cross_group_talk=True,
                comment_encrypted=get_cipher().encrypt("My neighbour Bakyt came too"),
                channel="page",
            )
        )
    db.commit()

    assert client.delete(f"/v1/participants/{person.id}", headers=admin_headers).status_code == 204

    answers = {
        row.pseudonym: row
        for row in db.scalars(select(SurveyResponse).where(SurveyResponse.event_id == event.id))
    }
    erased, kept = answers[pseudonym(person.id)], answers[pseudonym(other.id)]
    assert erased.comment_encrypted is None
    assert (erased.attitude, erased.rating, erased.cross_group_talk) == (4, 5, True)
    assert kept.comment_encrypted is not None
