"""SMS surveys: one question per SMS, answered with a number, stored under the pseudonym."""

from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from birge_shared.models import (
    InvitationStatus,
    Message,
    MessageDirection,
    Participant,
    SurveyResponse,
    utcnow,
)
from birge_shared.pseudonyms import pseudonym
from birge_shared.settings import get_settings
from birge_shared.surveys import Channel, Question, SurveyKind, record_answers
from tests.integration.claiming import ClaimedSms, claim_sms
from tests.integration.surveys.conftest import (
    attended,
    bishkek,
    conversation_of,
    invited,
    reply,
    response_of,
    tick,
)

SETTINGS = get_settings()


def _purposes(messages: list[Message]) -> list[str]:
    return [message.purpose for message in messages]


def _inbound(db: Session, participant_id: object) -> list[Message]:
    return list(
        db.scalars(
            select(Message)
            .where(
                Message.participant_id == participant_id,
                Message.direction == MessageDirection.INBOUND,
                Message.purpose == "reply:survey",
            )
            .order_by(Message.created_at)
        )
    )


def test_the_post_survey_by_sms_from_first_question_to_thanks(db: Session) -> None:
    with time_machine.travel(bishkek(10, 19, 0), tick=True):
        invitation = attended(db, ends_at=bishkek(10, 18, 0), replied_before=True)
        tick(db)

        assert _purposes(reply(db, invitation, "4")) == ["survey_question_talk"]
        assert _purposes(reply(db, invitation, " 1. ")) == ["survey_question_attitude"]
        assert _purposes(reply(db, invitation, "5")) == ["survey_thanks"]

    response = response_of(db, invitation, "post")
    assert response is not None
    assert (response.rating, response.cross_group_talk, response.attitude) == (4, True, 5)
    assert response.channel == Channel.SMS.value
    assert response.community is invitation.participant.community
    assert response.pseudonym == pseudonym(invitation.participant_id)
    conversation = conversation_of(db, invitation, "post")
    assert conversation is not None
    assert conversation.finished_at is not None
    # The replies are kept as messages, but without their text or what they meant.
    kept = _inbound(db, invitation.participant_id)
    assert len(kept) == 3
    assert all(message.body_encrypted is None for message in kept)


def test_answers_never_carry_the_participant(db: Session) -> None:
    columns = {column.key for column in inspect(SurveyResponse).columns}
    assert not {name for name in columns if "participant" in name or "invitation" in name}
    with time_machine.travel(bishkek(10, 19, 0), tick=True):
        invitation = attended(db, ends_at=bishkek(10, 18, 0), replied_before=True)
        tick(db)
        reply(db, invitation, "3")
    response = response_of(db, invitation, "post")
    assert response is not None
    participant_id = str(invitation.participant_id)
    assert all(
        participant_id not in str(getattr(response, column)).replace("-", "")
        and participant_id.replace("-", "") not in str(getattr(response, column))
        for column in columns
    )
    # The day only: an exact time could be matched with the SMS that followed the answer.
    assert response.answered_at == bishkek(10, 19, 0).astimezone(
        response.answered_at.tzinfo
    ).replace(hour=0, minute=0, second=0, microsecond=0)


def test_anything_but_a_number_on_the_scale_gets_one_hint_per_question(db: Session) -> None:
    with time_machine.travel(bishkek(10, 19, 0), tick=True):
        invitation = attended(db, ends_at=bishkek(10, 18, 0), replied_before=True)
        tick(db)
        assert _purposes(reply(db, invitation, "It was great!")) == ["survey_hint"]
        assert reply(db, invitation, "7") == []  # off the scale; hinted already
        assert _purposes(reply(db, invitation, "5")) == ["survey_question_talk"]
        assert _purposes(reply(db, invitation, "3")) == ["survey_hint"]  # talk is 1 or 2
        assert _purposes(reply(db, invitation, "2")) == ["survey_question_attitude"]
    response = response_of(db, invitation, "post")
    assert response is not None
    assert (response.rating, response.cross_group_talk, response.attitude) == (5, False, None)


def test_the_conversation_ends_after_48_hours(db: Session) -> None:
    with time_machine.travel(bishkek(10, 19, 0), tick=True) as clock:
        invitation = attended(db, ends_at=bishkek(10, 18, 0), replied_before=True)
        tick(db)
        reply(db, invitation, "4")
        clock.move_to(bishkek(12, 19, 1))
        # No longer a survey answer: a number with nothing to answer gets the usual help.
        assert _purposes(reply(db, invitation, "1")) == ["help"]
    response = response_of(db, invitation, "post")
    assert response is not None
    assert (response.rating, response.cross_group_talk) == (4, None)


def test_the_next_question_answers_at_once_even_at_night(db: Session) -> None:
    with time_machine.travel(bishkek(10, 19, 0), tick=True) as clock:
        invitation = attended(db, ends_at=bishkek(10, 18, 0), replied_before=True)
        tick(db)
        clock.move_to(bishkek(10, 23, 0))
        [question] = reply(db, invitation, "5")
        claimed = claim_sms(session=db, message_id=question.id, settings=SETTINGS, now=utcnow())
    assert isinstance(claimed, ClaimedSms)
    assert "Удалось ли вам по-настоящему поговорить" in claimed.body


def test_a_yes_by_sms_is_followed_by_the_pre_question(db: Session) -> None:
    with time_machine.travel(bishkek(10, 12, 0), tick=True):
        invitation = invited(db, starts_at=bishkek(12, 18, 0), status=InvitationStatus.SENT)
        assert _purposes(reply(db, invitation, "ДА")) == ["accepted", "survey_question_attitude"]
        conversation = conversation_of(db, invitation, "pre")
        assert conversation is not None
        # It ends with the event's start or 48 hours later, whichever comes first.
        assert bishkek(12, 12, 0) <= conversation.expires_at < bishkek(12, 12, 1)

        # "1" answers the question: it is not read as another YES.
        assert _purposes(reply(db, invitation, "1")) == ["survey_thanks"]
        # A second YES confirms again but does not ask again.
        assert _purposes(reply(db, invitation, "yes")) == ["accepted"]
    response = response_of(db, invitation, "pre")
    assert response is not None
    assert (response.kind, response.attitude, response.channel) == ("pre", 1, "sms")


def test_the_pre_conversation_closes_when_the_event_starts(db: Session) -> None:
    with time_machine.travel(bishkek(10, 12, 0), tick=True) as clock:
        invitation = invited(db, starts_at=bishkek(10, 18, 0), status=InvitationStatus.SENT)
        reply(db, invitation, "ооба")
        conversation = conversation_of(db, invitation, "pre")
        assert conversation is not None
        assert conversation.expires_at == invitation.event.starts_at
        clock.move_to(bishkek(10, 18, 30))
        reply(db, invitation, "4")
    assert response_of(db, invitation, "pre") is None


def test_words_still_answer_the_invitation_while_a_survey_is_open(db: Session) -> None:
    with time_machine.travel(bishkek(10, 12, 0), tick=True):
        invitation = invited(db, starts_at=bishkek(12, 18, 0), status=InvitationStatus.SENT)
        reply(db, invitation, "YES")
        assert _purposes(reply(db, invitation, "НЕТ")) == ["declined"]
        db.refresh(invitation)
        assert invitation.status is InvitationStatus.DECLINED
        # Declined, the question is moot: a 2 now is a NO again, not an answer.
        assert _purposes(reply(db, invitation, "2")) == ["declined"]
    assert response_of(db, invitation, "pre") is None
    conversation = conversation_of(db, invitation, "pre")
    assert conversation is not None
    assert conversation.finished_at is not None


def test_no_pre_question_when_it_was_answered_on_the_page_or_after_stop(db: Session) -> None:
    with time_machine.travel(bishkek(10, 12, 0), tick=True):
        on_page = invited(db, starts_at=bishkek(12, 18, 0), status=InvitationStatus.SENT)
        record_answers(
            session=db,
            event_id=on_page.event_id,
            participant=on_page.participant,
            kind=SurveyKind.PRE,
            answers={Question.ATTITUDE: 3},
            channel=Channel.PAGE,
        )
        assert _purposes(reply(db, on_page, "YES")) == ["accepted"]

        stopped = invited(db, starts_at=bishkek(12, 18, 0), status=InvitationStatus.SENT)
        person = db.get(Participant, stopped.participant_id)
        assert person is not None
        person.opted_out_at = utcnow()
        db.flush()
        assert reply(db, stopped, "YES") == []
        assert conversation_of(db, stopped, "pre") is None


def test_questions_answered_on_the_page_are_skipped_by_sms(db: Session) -> None:
    with time_machine.travel(bishkek(10, 19, 0), tick=True):
        invitation = attended(db, ends_at=bishkek(10, 18, 0), replied_before=True)
        tick(db)
        record_answers(
            session=db,
            event_id=invitation.event_id,
            participant=invitation.participant,
            kind=SurveyKind.POST,
            answers={Question.TALK: 1},
            channel=Channel.PAGE,
        )
        # Rating answered, the talk question is skipped: the attitude item comes next.
        assert _purposes(reply(db, invitation, "4")) == ["survey_question_attitude"]
        assert _purposes(reply(db, invitation, "2")) == ["survey_thanks"]
        later = reply(db, invitation, "5")  # the survey is over: a 5 is nothing to us
    assert _purposes(later) == ["reply_hint"]
    response = response_of(db, invitation, "post")
    assert response is not None
    assert (response.rating, response.cross_group_talk, response.attitude) == (4, True, 2)


def test_without_replies_a_yes_by_sms_asks_no_pre_question(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A reply that reaches Birge anyway (a sender that is a number, marked one-way) is still
    # read, but no question is asked back by SMS: the page asks it.
    monkeypatch.setenv("SMS_TWO_WAY", "false")
    get_settings.cache_clear()
    try:
        with time_machine.travel(bishkek(10, 12, 0), tick=True):
            invitation = invited(db, starts_at=bishkek(12, 18, 0), status=InvitationStatus.SENT)
            assert _purposes(reply(db, invitation, "ДА")) == ["accepted"]
            assert conversation_of(db, invitation, "pre") is None
    finally:
        monkeypatch.delenv("SMS_TWO_WAY")
        get_settings.cache_clear()
