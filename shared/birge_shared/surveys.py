"""The pre and post surveys: their questions, what counts as an answer, and storing answers.

Shared by the participant page (API) and the SMS conversation (workers), so an answer given on
either channel is checked and stored the same way.

- The **pre** survey is one question, the attitude item, asked right after a participant
  accepts. The **post** survey asks the event's rating, whether the person really talked with
  someone from the other community, and the same attitude item again, so the change can be
  measured per person; the page also takes an optional comment.
- The wording of each question is an SMS template (`survey_question_<name>`), so an
  administrator's edit shows on the page and in the SMS alike. Every question is answered with
  a number, the only answer an SMS reply can give reliably on any keyboard.
- Answers are stored under `pseudonym(participant_id)`, never the participant id, with the
  community copied from the participant. The first answer to an item wins: a late SMS reply
  cannot overwrite what the person already answered on the page, or the other way round.
- `answered_at` is kept to the day: an exact time could be matched with the time of the SMS
  that followed an answer, and so lead from the pseudonym back to the person.
"""

from __future__ import annotations

import enum
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from birge_shared import survey_items
from birge_shared.crypto import get_cipher
from birge_shared.models import (
    Invitation,
    Language,
    MessagePurpose,
    Participant,
    SurveyConversation,
    SurveyResponse,
    utcnow,
)
from birge_shared.pseudonyms import pseudonym
from birge_shared.sms.templates import pick_text
from birge_shared.upsert import insert_ignoring_conflict


class SurveyKind(enum.StrEnum):
    PRE = "pre"
    POST = "post"
    FOLLOWUP = "followup"


class Question(enum.StrEnum):
    ATTITUDE = "attitude"
    RATING = "rating"
    TALK = "talk"
    # The item bank's other items (`birge_shared.survey_items`), asked on the page only.
    THERMOMETER = "thermometer"
    SOCIAL_DISTANCE = "social_distance"
    ANXIETY = "anxiety"
    MET_OUTSIDE = "met_outside"
    JOIN_AGAIN = "join_again"


class Channel(enum.StrEnum):
    PAGE = "page"
    SMS = "sms"
    TELEGRAM = "telegram"  # a survey question's button in the bot's chat
    WHATSAPP = "whatsapp"  # a survey question's button, or a typed number, on WhatsApp


#: The questions of each survey, in the order the SMS conversation asks them. The follow-up
#: goes as a link only; its questions are the event's attitude items and the behavioural ones.
QUESTIONS: dict[SurveyKind, tuple[Question, ...]] = {
    SurveyKind.PRE: (Question.ATTITUDE,),
    SurveyKind.POST: (Question.RATING, Question.TALK, Question.ATTITUDE),
    SurveyKind.FOLLOWUP: (
        Question.ATTITUDE,
        *(Question(item.code) for item in survey_items.BEHAVIOUR_ITEMS),
    ),
}

#: The numbers each question accepts. The talk question is yes/no, written 1 = yes, 2 = no.
SCALES: dict[Question, tuple[int, ...]] = {
    Question.RATING: (1, 2, 3, 4, 5),
    Question.TALK: (survey_items.YES, survey_items.NO),
    **{Question(item.code): item.values for item in survey_items.BANK},
}
TALK_YES, TALK_NO = survey_items.YES, survey_items.NO

#: The `survey_response` column of each question; yes/no questions store a boolean.
COLUMNS: dict[Question, str] = {
    Question.RATING: "rating",
    Question.TALK: "cross_group_talk",
    **{Question(item.code): item.column for item in survey_items.BANK},
}
_BOOLEAN: frozenset[Question] = frozenset(
    {Question.TALK, *(Question(item.code) for item in survey_items.BANK if item.stored_boolean)}
)
_ATTITUDE_QUESTIONS = tuple(Question(item.code) for item in survey_items.ATTITUDE_ITEMS)


def questions_of(kind: SurveyKind, items: Sequence[str] | None = None) -> tuple[Question, ...]:
    """The survey's questions on the page for an event asking the attitude items `items`
    (`Event.survey_items`; the default attitude item when None)."""
    attitude = tuple(Question(item.code) for item in survey_items.chosen(items))
    if kind is SurveyKind.PRE:
        return attitude
    if kind is SurveyKind.POST:
        return (Question.RATING, Question.TALK, *attitude)
    return (*attitude, *(Question(item.code) for item in survey_items.BEHAVIOUR_ITEMS))


def _accepted(kind: SurveyKind) -> frozenset[Question]:
    # Any attitude item of the bank: the SMS asks the default, the page the event's choice.
    return frozenset({*QUESTIONS[kind], *_ATTITUDE_QUESTIONS})


#: SMS purposes of the survey. None carries personal data; each is a template per language.
QUESTION_PURPOSES: dict[Question, MessagePurpose] = {
    question: MessagePurpose(f"survey_question_{question.value}")
    for question in (Question.ATTITUDE, Question.RATING, Question.TALK)
}
SURVEY_POST = MessagePurpose.SURVEY_POST  # the link to the page's survey screen, after the event
SURVEY_REMINDER = MessagePurpose.SURVEY_REMINDER  # once, a day after an unanswered link
SURVEY_FOLLOWUP = MessagePurpose.SURVEY_FOLLOWUP  # the follow-up wave's link, weeks later
SURVEY_THANKS = MessagePurpose.SURVEY_THANKS  # after the last SMS answer
SURVEY_HINT = MessagePurpose.SURVEY_HINT  # a reply that is not one of the question's numbers
SURVEY_PURPOSES: frozenset[str] = frozenset(
    {
        *QUESTION_PURPOSES.values(),
        SURVEY_POST,
        SURVEY_REMINDER,
        SURVEY_FOLLOWUP,
        SURVEY_THANKS,
        SURVEY_HINT,
    }
)
#: Messages that answer the reply a person just sent, so they may go at once even at night,
#: like the other replies. The first post question is planned by the periodic task, which
#: plans nothing during quiet hours.
SURVEY_REPLIES: frozenset[str] = frozenset(
    {*QUESTION_PURPOSES.values(), SURVEY_THANKS, SURVEY_HINT}
)

#: An SMS conversation ends after its last question or this long after it began.
CONVERSATION_HOURS = 48
#: The longest comment kept; longer text is cut, not refused, so nobody loses an answer.
MAX_COMMENT = 1000
#: The post survey stays open on the page this long after the event ends.
POST_SURVEY_DAYS = 14
#: The follow-up survey stays open on the page this long after its link was due.
FOLLOWUP_SURVEY_DAYS = 14


class SurveyAnswerError(ValueError):
    """An answer outside its question's scale, or for a question the survey does not ask."""


def question_text(
    question: Question, language: Language, overrides: Mapping[tuple[str, Language], str]
) -> str:
    """The question's wording in the language: the administrator's edit, else the default."""
    return pick_text(QUESTION_PURPOSES[question], language, overrides)


def parse_number(text: str) -> int | None:
    """The single number of an SMS answer ("4", " 4. ", "４"), or None for anything else."""
    folded = unicodedata.normalize("NFKC", text)
    kept = "".join(char for char in folded if not char.isspace() and char not in ".,;:!?()")
    if len(kept) == 1 and kept.isdecimal():
        return int(kept)
    return None


def is_valid(question: Question, value: int) -> bool:
    return value in SCALES[question]


def day_of(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Stored:
    response: SurveyResponse
    #: The items this call filled; an item answered before is left as it was.
    filled: frozenset[Question]


def _value_of(response: SurveyResponse, question: Question) -> int | None:
    stored = getattr(response, COLUMNS[question])
    if stored is None or question not in _BOOLEAN:
        return cast("int | None", stored)
    return TALK_YES if stored else TALK_NO


def _set(response: SurveyResponse, question: Question, value: int) -> None:
    setattr(response, COLUMNS[question], value == TALK_YES if question in _BOOLEAN else value)


def _locked_response(
    session: Session, *, event_id: uuid.UUID, key: str, kind: SurveyKind
) -> SurveyResponse | None:
    return session.scalar(
        select(SurveyResponse)
        .where(
            SurveyResponse.event_id == event_id,
            SurveyResponse.pseudonym == key,
            SurveyResponse.kind == kind.value,
        )
        .with_for_update()
    )


def find_response(
    session: Session, *, event_id: uuid.UUID, participant_id: uuid.UUID, kind: SurveyKind
) -> SurveyResponse | None:
    return session.scalar(
        select(SurveyResponse).where(
            SurveyResponse.event_id == event_id,
            SurveyResponse.pseudonym == pseudonym(participant_id),
            SurveyResponse.kind == kind.value,
        )
    )


def unanswered(
    session: Session,
    *,
    event_id: uuid.UUID,
    participant_id: uuid.UUID,
    kind: SurveyKind,
    questions: Sequence[Question] | None = None,
) -> list[Question]:
    """The survey's questions (the SMS's, or `questions`) this person has not answered yet."""
    asked = list(QUESTIONS[kind] if questions is None else questions)
    response = find_response(session, event_id=event_id, participant_id=participant_id, kind=kind)
    if response is None:
        return asked
    return [question for question in asked if _value_of(response, question) is None]


def record_answers(
    *,
    session: Session,
    event_id: uuid.UUID,
    participant: Participant,
    kind: SurveyKind,
    answers: Mapping[Question, int],
    channel: Channel,
    comment: str | None = None,
    now: datetime | None = None,
) -> Stored:
    """Store answers under the participant's pseudonym; the caller commits.

    Raises `SurveyAnswerError` before writing anything when an answer is not on its scale or
    the survey does not ask that question. Two channels answering at once meet on the person's
    row lock, then on the unique key (event, pseudonym, kind), so neither answer is lost. The
    report rollups follow in the same transaction (`birge_shared.rollups`).
    """
    for question, value in answers.items():
        if question not in _accepted(kind):
            raise SurveyAnswerError(f"the {kind.value} survey does not ask {question.value}")
        if not is_valid(question, value):
            raise SurveyAnswerError(f"{question.value} takes one of {SCALES[question]}")
    if comment is not None and kind is not SurveyKind.POST:
        raise SurveyAnswerError("only the post survey takes a comment")
    moment = now or utcnow()
    key = pseudonym(participant.id)
    # One person's answers are written one transaction at a time: the rollup trigger of a
    # post answer counts its pair with the pre answer, which it could not see if the two were
    # written at once (FOR NO KEY UPDATE: invitations may still point at the person).
    session.execute(
        select(Participant.id)
        .where(Participant.id == participant.id)
        .with_for_update(key_share=True)
    )
    insert_ignoring_conflict(
        session,
        SurveyResponse,
        {
            "id": uuid.uuid4(),
            "event_id": event_id,
            "pseudonym": key,
            "kind": kind.value,
            "community": participant.community,
            "channel": channel.value,
            "answered_at": day_of(moment),
        },
    )
    response = _locked_response(session, event_id=event_id, key=key, kind=kind)
    assert response is not None  # inserted above, or there already
    filled = frozenset(question for question in answers if _value_of(response, question) is None)
    for question in filled:
        _set(response, question, answers[question])
    text = (comment or "").strip()[:MAX_COMMENT]
    if text and response.comment_encrypted is None:
        response.comment_encrypted = get_cipher().encrypt(text)
    if filled or text:
        # The channel of the latest answer, so the share answered by SMS is not undercounted.
        response.channel = channel.value
        response.answered_at = day_of(moment)
    session.flush()
    return Stored(response=response, filled=filled)


def open_conversation(
    session: Session, *, participant_id: uuid.UUID, now: datetime, lock: bool = False
) -> SurveyConversation | None:
    """The participant's SMS survey waiting for an answer, the most recent if several."""
    query = (
        select(SurveyConversation)
        .join(Invitation, SurveyConversation.invitation_id == Invitation.id)
        .where(
            Invitation.participant_id == participant_id,
            SurveyConversation.finished_at.is_(None),
            SurveyConversation.expires_at > now,
        )
        .order_by(SurveyConversation.started_at.desc(), SurveyConversation.id)
        .limit(1)
    )
    if lock:
        query = query.with_for_update(of=SurveyConversation)
    return session.scalar(query)


def finish_conversation(
    *, session: Session, invitation_id: uuid.UUID, kind: SurveyKind, now: datetime
) -> None:
    """Close an open SMS survey, when the person finished the same survey on the page."""
    session.execute(
        update(SurveyConversation)
        .where(
            SurveyConversation.invitation_id == invitation_id,
            SurveyConversation.kind == kind.value,
            SurveyConversation.finished_at.is_(None),
        )
        .values(finished_at=now)
        .execution_options(synchronize_session=False)
    )


def conversation_expiry(now: datetime, *, until: datetime | None = None) -> datetime:
    """When a conversation started now stops taking answers (`until` may end it sooner)."""
    ends = now + timedelta(hours=CONVERSATION_HOURS)
    return min(ends, until) if until is not None else ends
