"""One phone registered in Osh and in Bishkek: two participant rows, one person, one number.

Replies from that number answer the latest question asked of either row; STOP opts out both
rows at once; a text not understood is listed for the city whose question was latest only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.models import (
    Event,
    Invitation,
    InvitationStatus,
    Message,
    MessageDirection,
    MessagePurpose,
    Participant,
    Role,
    utcnow,
)
from birge_shared.outbound.plan import plan_one
from birge_workers.callbacks.process import CallbackOutcome
from tests.conftest import UserFactory, bearer
from tests.factories import make_event, make_invitation, make_participant, unique_phone
from tests.integration.callbacks.conftest import (
    inbound_callback,
    outbound,
    process,
    queued_for_sending,
)
from tests.integration.surveys.conftest import handed_over
from tests.integration.test_inbox_api import URL as INBOX
from tests.integration.test_inbox_api import _pages, _text_in


@dataclass
class OnePerson:
    """The same phone number registered in both cities, invited in Osh, then in Bishkek."""

    phone: str
    osh: Participant
    bishkek: Participant
    in_osh: Invitation
    in_bishkek: Invitation

    @property
    def rows(self) -> tuple[Participant, Participant]:
        return self.osh, self.bishkek


def _registered_twice(db: Session, *, capacity: int = 10, min_share: float = 0.4) -> OnePerson:
    phone = unique_phone()
    osh = make_participant(db, city="osh", phone=phone)
    bishkek = make_participant(db, city="bishkek", phone=phone)
    assert osh.phone_hash == bishkek.phone_hash
    osh_event = make_event(db, city="osh", capacity=capacity, min_share=min_share)
    bishkek_event = make_event(db, city="bishkek", capacity=capacity, min_share=min_share)
    in_osh = make_invitation(db, event=osh_event, participant=osh)
    in_osh.sent_at = utcnow() - timedelta(hours=3)
    in_bishkek = make_invitation(db, event=bishkek_event, participant=bishkek)
    in_bishkek.sent_at = utcnow() - timedelta(hours=1)
    db.flush()
    return OnePerson(phone, osh, bishkek, in_osh, in_bishkek)


def _text(db: Session, person: OnePerson, text: str) -> list[Message]:
    """Send `text` from the shared phone; return the SMS planned in answer, to either row."""
    before = {message.id for row in person.rows for message in outbound(db, row)}
    assert process(db, inbound_callback(db, person.phone, text)) is CallbackOutcome.PROCESSED
    for row in person.rows:
        db.refresh(row)
    planned = [message for row in person.rows for message in outbound(db, row)]
    return sorted(
        (message for message in planned if message.id not in before),
        key=lambda message: (message.created_at, message.id),
    )


def _remind(db: Session, invitation: Invitation, at: datetime) -> None:
    """A reminder of this invitation, handed to the provider at `at`."""
    reminder_id = plan_one(
        session=db,
        purpose=MessagePurpose.REMINDER,
        participant_id=invitation.participant_id,
        invitation_id=invitation.id,
        version="test",
    )
    reminder = db.get(Message, reminder_id)
    assert reminder is not None
    handed_over(db, reminder, at)


def _inbound(db: Session, person: OnePerson) -> list[Message]:
    return list(
        db.scalars(
            select(Message)
            .where(
                Message.participant_id.in_([row.id for row in person.rows]),
                Message.direction == MessageDirection.INBOUND,
            )
            .order_by(Message.created_at)
        )
    )


def test_a_yes_answers_the_latest_city_and_a_reminder_makes_the_other_the_question(
    db: Session,
) -> None:
    with time_machine.travel(utcnow(), tick=True) as clock:
        person = _registered_twice(db)

        answers = _text(db, person, "ДА")

        db.refresh(person.in_osh)
        db.refresh(person.in_bishkek)
        assert (person.in_osh.status, person.in_bishkek.status) == (
            InvitationStatus.SENT,
            InvitationStatus.ACCEPTED,
        )
        assert [(m.purpose, m.participant_id, m.invitation_id) for m in answers] == [
            ("accepted", person.bishkek.id, person.in_bishkek.id),
            ("invitation_waiting", person.osh.id, person.in_osh.id),
            ("survey_question_attitude", person.bishkek.id, person.in_bishkek.id),
        ]

        # The Osh event's reminder goes out an hour later: it is now the latest question.
        clock.shift(timedelta(hours=1))
        _remind(db, person.in_osh, utcnow())
        clock.shift(timedelta(minutes=5))

        answers = _text(db, person, "НЕТ")

    db.refresh(person.in_osh)
    db.refresh(person.in_bishkek)
    assert (person.in_osh.status, person.in_bishkek.status) == (
        InvitationStatus.DECLINED,
        InvitationStatus.ACCEPTED,
    )
    assert [(m.purpose, m.participant_id, m.invitation_id) for m in answers] == [
        ("declined", person.osh.id, person.in_osh.id),
    ]
    assert [(m.purpose, m.participant_id, m.invitation_id) for m in _inbound(db, person)] == [
        ("reply:accept", person.bishkek.id, person.in_bishkek.id),
        ("reply:decline", person.osh.id, person.in_osh.id),
    ]


def test_stop_opts_out_both_rows_and_gives_both_seats_to_the_waitlists(db: Session) -> None:
    person = _registered_twice(db, capacity=1, min_share=0.0)
    # Both kinds of held seat: an invitation still waiting in Osh, an accepted one in Bishkek.
    person.in_bishkek.status = InvitationStatus.ACCEPTED
    db.flush()
    waiting: dict[str, tuple[Participant, Invitation]] = {}
    for city, invitation in (("osh", person.in_osh), ("bishkek", person.in_bishkek)):
        event = db.get(Event, invitation.event_id)
        assert event is not None
        other = make_participant(db, city=city)
        waiting[city] = (
            other,
            make_invitation(db, event=event, participant=other, status=InvitationStatus.WAITLISTED),
        )

    answers = _text(db, person, "STOP")

    assert person.osh.opted_out_at is not None
    assert person.bishkek.opted_out_at is not None
    for invitation in (person.in_osh, person.in_bishkek):
        db.refresh(invitation)
        assert invitation.status is InvitationStatus.WITHDRAWN
    for city, (other, invitation) in waiting.items():
        db.refresh(invitation)
        assert invitation.status is InvitationStatus.PLANNED, city
        [invited] = outbound(db, other)
        assert (invited.purpose, invited.invitation_id) == ("invitation", invitation.id)
    # One confirmation for the number, to the row the latest question was asked of.
    [confirmation] = answers
    assert (confirmation.purpose, confirmation.participant_id, confirmation.invitation_id) == (
        "opted_out",
        person.bishkek.id,
        None,
    )
    assert queued_for_sending(db, confirmation) == 1
    assert [m.purpose for m in _inbound(db, person)] == ["reply:stop"]
    # A second STOP from the number gets nothing.
    assert _text(db, person, "СТОП") == []


def test_a_text_not_understood_goes_to_the_inbox_of_the_city_asked_last(
    client: TestClient,
    db: Session,
    make_user: UserFactory,
    admin_headers: dict[str, str],
) -> None:
    person = _registered_twice(db)
    db.commit()
    question = "Can I bring my sister?"
    _text_in(client, db, person.phone, question)
    db.commit()
    osh = bearer(make_user(Role.COORDINATOR, ("osh",)))
    bishkek = bearer(make_user(Role.COORDINATOR, ("bishkek",)))

    [item] = _pages(client, bishkek)
    assert (item["kind"], item["city"], item["text"]) == ("not_understood", "bishkek", question)
    assert item["participant_id"] == str(person.bishkek.id)
    assert _pages(client, osh) == []
    refused = client.post(f"{INBOX}/{item['id']}/handled", headers=osh)
    assert refused.status_code == 404
    assert refused.json()["type"].endswith("/not-found")
    admin = _pages(client, admin_headers)
    assert [entry["id"] for entry in admin].count(item["id"]) == 1
    assert len(admin) == 1
    assert person.phone not in str(admin)

    # A reminder of the Osh event since: the next text is Osh's, and Bishkek's list is as it was.
    _remind(db, person.in_osh, utcnow())
    db.commit()
    _text_in(client, db, person.phone, "Where is it?")
    db.commit()

    assert [(entry["city"], entry["text"]) for entry in _pages(client, osh)] == [
        ("osh", "Where is it?")
    ]
    assert [entry["id"] for entry in _pages(client, bishkek)] == [item["id"]]
    assert len(_pages(client, admin_headers)) == 2
