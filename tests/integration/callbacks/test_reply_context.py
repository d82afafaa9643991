"""A reply answers the question it replies to: the latest SMS that asked the number something."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.invitations import held_seats, latest_answerable
from birge_shared.models import (
    Invitation,
    InvitationStatus,
    Language,
    Message,
    MessageDirection,
    MessagePurpose,
    MessageStatus,
    Participant,
    utcnow,
)
from birge_shared.outbound.plan import plan_one
from birge_shared.settings import get_settings
from birge_shared.sms.templates import DEFAULT_TEMPLATES
from birge_workers.callbacks.replies import last_question
from tests.factories import make_event, make_invitation, make_participant
from tests.integration.claiming import ClaimedSms, claim_sms
from tests.integration.surveys.conftest import (
    attended,
    bishkek,
    handed_over,
    reply,
    response_of,
    tick,
)


def _purposes(messages: list[Message]) -> list[str]:
    return [message.purpose for message in messages]


def _body(db: Session, message: Message) -> str:
    claimed = claim_sms(session=db, message_id=message.id, settings=get_settings(), now=utcnow())
    assert isinstance(claimed, ClaimedSms)
    return claimed.body


def _declined_elsewhere(
    db: Session, participant: Participant, *, starts_in: timedelta, sent_ago: timedelta
) -> Invitation:
    """An invitation the person declined, sent before the survey."""
    event = make_event(db, city="bishkek", starts_in=starts_in)
    invitation = make_invitation(
        db, event=event, participant=participant, status=InvitationStatus.DECLINED
    )
    invitation.sent_at = utcnow() - sent_ago
    invitation.responded_at = utcnow() - sent_ago
    db.flush()
    return invitation


@pytest.mark.parametrize("starts_in", [timedelta(days=-2), timedelta(days=5)])
def test_a_yes_to_the_survey_question_never_reopens_a_declined_invitation(
    db: Session, starts_in: timedelta
) -> None:
    with time_machine.travel(bishkek(10, 19, 0), tick=True):
        survey = attended(db, ends_at=bishkek(10, 18, 0), replied_before=True)
        declined = _declined_elsewhere(
            db, survey.participant, starts_in=starts_in, sent_ago=timedelta(days=3)
        )
        seats_before = held_seats(db, declined.event_id)
        tick(db)
        assert _purposes(reply(db, survey, "4")) == ["survey_question_talk"]

        # "1 — да, 2 — нет": ДА answers the question, nothing else.
        assert _purposes(reply(db, survey, "ДА")) == ["survey_question_attitude"]

    db.refresh(declined)
    assert declined.status is InvitationStatus.DECLINED
    assert held_seats(db, declined.event_id) == seats_before
    response = response_of(db, survey, "post")
    assert response is not None
    assert (response.rating, response.cross_group_talk) == (4, True)


@pytest.mark.parametrize(
    ("text", "talk"),
    [("YES", True), ("yes please", True), ("ООБА", True), ("OK", True), ("нет", False)],
)
def test_yes_and_no_in_words_answer_the_yes_no_survey_question(
    db: Session, text: str, talk: bool
) -> None:
    with time_machine.travel(bishkek(10, 19, 0), tick=True):
        survey = attended(db, ends_at=bishkek(10, 18, 0), replied_before=True)
        tick(db)
        reply(db, survey, "5")
        assert _purposes(reply(db, survey, text)) == ["survey_question_attitude"]
    response = response_of(db, survey, "post")
    assert response is not None
    assert response.cross_group_talk is talk


def test_a_yes_to_a_rating_question_gets_the_survey_hint_and_touches_nothing(
    db: Session,
) -> None:
    with time_machine.travel(bishkek(10, 19, 0), tick=True):
        survey = attended(db, ends_at=bishkek(10, 18, 0), replied_before=True)
        declined = _declined_elsewhere(
            db, survey.participant, starts_in=timedelta(days=5), sent_ago=timedelta(days=1)
        )
        tick(db)
        assert _purposes(reply(db, survey, "YES")) == ["survey_hint"]
        assert _purposes(reply(db, survey, "4")) == ["survey_question_talk"]
    db.refresh(declined)
    assert declined.status is InvitationStatus.DECLINED


def test_after_the_survey_is_over_a_yes_is_not_read_as_an_invitation_answer(
    db: Session,
) -> None:
    with time_machine.travel(bishkek(10, 19, 0), tick=True) as clock:
        survey = attended(db, ends_at=bishkek(10, 18, 0), replied_before=True)
        declined = _declined_elsewhere(
            db, survey.participant, starts_in=timedelta(days=5), sent_ago=timedelta(days=1)
        )
        tick(db)
        clock.move_to(bishkek(13, 12, 0))  # the conversation ended after 48 hours
        assert _purposes(reply(db, survey, "да")) == ["help"]
    db.refresh(declined)
    assert declined.status is InvitationStatus.DECLINED


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (InvitationStatus.SENT, "YES"),
        (InvitationStatus.DECLINED, "да"),
        (InvitationStatus.ACCEPTED, "NO"),
        (InvitationStatus.EXPIRED, "ооба"),
    ],
)
@pytest.mark.parametrize("started_ago", [timedelta(minutes=30), timedelta(hours=5)])
def test_an_invitation_of_an_event_that_has_started_or_ended_is_never_changed(
    db: Session, status: InvitationStatus, text: str, started_ago: timedelta
) -> None:
    participant = make_participant(db)
    event = make_event(db, starts_in=-started_ago)
    invitation = make_invitation(db, event=event, participant=participant, status=status)
    # An older invitation of an upcoming event is not what the latest SMS asked about.
    older = make_invitation(db, event=make_event(db), participant=participant)
    older.sent_at = utcnow() - timedelta(days=1)
    db.flush()

    replies = reply(db, invitation, text)

    db.refresh(invitation)
    db.refresh(older)
    assert (invitation.status, older.status) == (status, InvitationStatus.SENT)
    # The help text, then the link of the invitation that still waits.
    assert [(m.purpose, m.invitation_id) for m in replies] == [
        ("help", None),
        ("invitation_waiting", older.id),
    ]


@pytest.mark.parametrize("text", ["yes please", "да, приду", "OK", "ООБА!", "Ok, see you"])
def test_natural_yes_accepts_the_invitation(db: Session, text: str) -> None:
    invitation = make_invitation(db, event=make_event(db), participant=make_participant(db))

    replies = reply(db, invitation, text)

    db.refresh(invitation)
    assert invitation.status is InvitationStatus.ACCEPTED
    assert _purposes(replies) == ["accepted", "survey_question_attitude"]


def _two_waiting(db: Session) -> tuple[Invitation, Invitation]:
    participant = make_participant(db, language=Language.EN)
    first = make_invitation(
        db,
        event=make_event(db, title={"en": "Cooking evening"}, starts_in=timedelta(days=4)),
        participant=participant,
    )
    first.sent_at = datetime.now(UTC) - timedelta(hours=5)
    second = make_invitation(
        db,
        event=make_event(db, title={"en": "Football together"}, starts_in=timedelta(days=9)),
        participant=participant,
    )
    second.sent_at = datetime.now(UTC) - timedelta(hours=1)
    db.flush()
    return first, second


def test_with_two_invitations_waiting_the_reply_goes_to_the_latest_asked(db: Session) -> None:
    first, second = _two_waiting(db)

    confirmation, waiting, question = reply(db, first, "yes please")

    db.refresh(first)
    db.refresh(second)
    assert (first.status, second.status) == (InvitationStatus.SENT, InvitationStatus.ACCEPTED)
    assert (confirmation.purpose, confirmation.invitation_id) == ("accepted", second.id)
    assert (waiting.purpose, waiting.invitation_id) == ("invitation_waiting", first.id)
    assert question.purpose == "survey_question_attitude"
    # The confirmation names the event answered; the second SMS gives the other one's link.
    assert "Football together" in _body(db, confirmation)
    waiting_body = _body(db, waiting)
    assert "Cooking evening" in waiting_body
    assert f"/p/{first.token}" in waiting_body
    assert f"/p/{second.token}" not in waiting_body


def test_a_reminder_sent_last_makes_its_invitation_the_one_answered(db: Session) -> None:
    first, second = _two_waiting(db)
    reminder_id = plan_one(
        session=db,
        purpose=MessagePurpose.REMINDER,
        participant_id=first.participant_id,
        invitation_id=first.id,
        version="test",
    )
    reminder = db.get(Message, reminder_id)
    assert reminder is not None
    handed_over(db, reminder, utcnow())

    confirmation, waiting = reply(db, first, "Не смогу")

    db.refresh(first)
    db.refresh(second)
    assert (first.status, second.status) == (InvitationStatus.DECLINED, InvitationStatus.SENT)
    assert (confirmation.purpose, confirmation.invitation_id) == ("declined", first.id)
    assert "Cooking evening" in _body(db, confirmation)
    assert (waiting.purpose, waiting.invitation_id) == ("invitation_waiting", second.id)


def test_a_planned_invitation_not_yet_sent_has_asked_nothing(db: Session) -> None:
    participant = make_participant(db)
    sent = make_invitation(db, event=make_event(db), participant=participant)
    sent.sent_at = utcnow() - timedelta(hours=2)
    held = make_invitation(
        db, event=make_event(db), participant=participant, status=InvitationStatus.PLANNED
    )
    # Held for quiet hours or an approval: planned, never handed over.
    plan_one(
        session=db,
        purpose=MessagePurpose.INVITATION,
        participant_id=participant.id,
        invitation_id=held.id,
    )
    db.flush()

    [confirmation, _question] = reply(db, sent, "YES")

    assert confirmation.invitation_id == sent.id


@pytest.mark.parametrize(
    "text",
    [
        "Stop please",
        "Стоп, пожалуйста",
        "Unsubscribe me",
        "stop stop",
        "отписаться от рассылки",
        "мага жазбагыла",
    ],
)
def test_opt_outs_in_peoples_own_words(db: Session, text: str) -> None:
    invitation = make_invitation(db, event=make_event(db), participant=make_participant(db))

    [confirmation] = reply(db, invitation, text)

    participant = db.get(Participant, invitation.participant_id)
    assert participant is not None
    db.refresh(participant)
    assert participant.opted_out_at is not None
    assert (confirmation.purpose, confirmation.invitation_id) == ("opted_out", None)
    [kept] = _kept(db, participant)
    assert kept.purpose == "reply:stop"


@pytest.mark.parametrize("text", ["nonstop", "stopwatch", "I'll stop by at five"])
def test_stop_inside_other_words_is_not_an_opt_out_and_the_hint_names_stop(
    db: Session, text: str
) -> None:
    participant = make_participant(db, language=Language.RU)
    invitation = make_invitation(db, event=make_event(db), participant=participant)

    [hint] = reply(db, invitation, text)

    db.refresh(participant)
    assert participant.opted_out_at is None
    assert hint.purpose == "reply_hint"
    body = _body(db, hint)
    assert body == DEFAULT_TEMPLATES["reply_hint"][Language.RU]
    assert all(word in body for word in ("ДА", "НЕТ", "СТОП"))
    [kept] = _kept(db, participant)
    assert kept.purpose == "reply:unknown"
    assert get_cipher().decrypt(kept.body_encrypted or "") == text
    assert kept.status is MessageStatus.RECEIVED


def _kept(db: Session, participant: Participant) -> list[Message]:
    return list(
        db.scalars(
            select(Message).where(
                Message.participant_id == participant.id,
                Message.direction == MessageDirection.INBOUND,
            )
        )
    )


def test_the_latest_question_is_found_across_every_row_of_a_number(db: Session) -> None:
    # One person registered in Osh and in Bishkek is two rows; the lookup takes them all.
    osh = make_participant(db, city="osh")
    bishkek = make_participant(db, city="bishkek")
    in_osh = make_invitation(db, event=make_event(db, city="osh"), participant=osh)
    in_osh.sent_at = utcnow() - timedelta(hours=3)
    in_bishkek = make_invitation(db, event=make_event(db, city="bishkek"), participant=bishkek)
    in_bishkek.sent_at = utcnow() - timedelta(hours=1)
    db.flush()

    asked = last_question(db, [osh.id, bishkek.id], now=utcnow())
    assert asked is not None
    assert (asked.invitation_id, asked.participant_id, asked.survey) == (
        in_bishkek.id,
        bishkek.id,
        False,
    )
    waiting = latest_answerable(
        db, [osh.id, bishkek.id], statuses=(InvitationStatus.SENT,), exclude=in_bishkek.id
    )
    assert waiting is in_osh

    # A reminder of the Osh invitation, sent since, makes it the question.
    reminder_id = plan_one(
        session=db,
        purpose=MessagePurpose.REMINDER,
        participant_id=osh.id,
        invitation_id=in_osh.id,
        version="test",
    )
    reminder = db.get(Message, reminder_id)
    assert reminder is not None
    handed_over(db, reminder, utcnow())
    asked = last_question(db, [osh.id, bishkek.id], now=utcnow())
    assert asked is not None
    assert (asked.invitation_id, asked.participant_id) == (in_osh.id, osh.id)
