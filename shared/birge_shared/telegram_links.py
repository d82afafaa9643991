"""The bot's one-time start codes and the opaque tokens behind its Accept/Decline buttons.

Both are bearer secrets that travel through Telegram, so only their keyed hashes are stored
(like the personal links). A start code links a chat to one participant once, before it
expires; a button token maps back to one invitation on the server, so `callback_data` names
no participant or invitation in clear.

A button's data is `<answer>:<token>`: `a` or `d` for an invitation's Accept and Decline,
`s<question><value>` for one answer to a survey question (`sr4`: the event rated 4).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.i18n import N_, gettext_for
from birge_shared.invitations import Answer
from birge_shared.models import Language, Participant, TelegramLinkCode, TelegramQuestion, utcnow
from birge_shared.survey_items import BANK
from birge_shared.surveys import QUESTION_PURPOSES, SCALES, Question

LINK_CODE_LIFETIME = timedelta(hours=24)
#: Telegram's limit on a button's callback_data, in bytes.
MAX_CALLBACK_DATA = 64
#: Telegram's limit on a start parameter: 1–64 characters of A–Z, a–z, 0–9, _ and -.
MAX_START_PARAMETER = 64

_LINK_KIND = "telegram-link"
_QUESTION_KIND = "telegram-question"
_ANSWER_CODES = {Answer.ACCEPT: "a", Answer.DECLINE: "d"}
# The participant page's own button words (their msgids come from its template).
_BUTTON_LABELS = {Answer.ACCEPT: N_("I'll come"), Answer.DECLINE: N_("I can't come")}
_CODE_ANSWERS = {code: answer for answer, code in _ANSWER_CODES.items()}
#: The survey questions a message asks with buttons, by their letter in the callback data.
_SURVEY_CODES = {Question.ATTITUDE: "t", Question.RATING: "r", Question.TALK: "k"}
_CODE_QUESTIONS = {code: question for question, code in _SURVEY_CODES.items()}
_SURVEY = "s"
#: An answered update's `outcome` when its button answered a survey question: settling it
#: asks the survey's next question.
SURVEY_ANSWERED = "survey"
#: The words of a survey answer's button beside its number, where the scale names it.
_VALUE_LABELS: dict[Question, dict[int, str]] = {
    Question.TALK: {1: N_("Yes"), 2: N_("No")},
    **{
        Question(item.code): dict(item.value_labels)
        for item in BANK
        if item.code == Question.ATTITUDE.value
    },
}
#: The survey question each question message asks.
SURVEY_QUESTIONS = {purpose: question for question, purpose in QUESTION_PURPOSES.items()}


class LinkCodeRefusedError(Exception):
    """The start code is unknown, used already, expired, or its person was erased."""


def _hash(kind: str, value: str) -> str:
    return get_cipher().lookup_hash(kind, value)


def new_link_code(
    *, session: Session, participant_id: uuid.UUID, now: datetime | None = None
) -> str:
    """A fresh start code for this person (32 URL-safe characters, 192 bits)."""
    moment = now or utcnow()
    code = secrets.token_urlsafe(24)
    session.add(
        TelegramLinkCode(
            code_hash=_hash(_LINK_KIND, code),
            participant_id=participant_id,
            created_at=moment,
            expires_at=moment + LINK_CODE_LIFETIME,
        )
    )
    session.flush()
    return code


def start_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def redeem_link_code(*, session: Session, code: str, now: datetime | None = None) -> Participant:
    """Use a start code once: the participant it was made for, or `LinkCodeRefusedError`."""
    moment = now or utcnow()
    if not code or len(code) > MAX_START_PARAMETER:
        raise LinkCodeRefusedError("not a start code")
    row = session.scalar(
        select(TelegramLinkCode)
        .where(TelegramLinkCode.code_hash == _hash(_LINK_KIND, code))
        .with_for_update()
    )
    if row is None:
        raise LinkCodeRefusedError("unknown start code")
    if row.used_at is not None:
        raise LinkCodeRefusedError("the start code was used already")
    if row.expires_at <= moment:
        raise LinkCodeRefusedError("the start code has expired")
    participant = session.get(Participant, row.participant_id)
    if participant is None or participant.erased_at is not None:
        raise LinkCodeRefusedError("the start code's participant is gone")
    row.used_at = moment
    session.flush()
    return participant


def question_token(*, session: Session, invitation_id: uuid.UUID) -> str:
    """A new opaque token for one message's buttons about this invitation."""
    token = secrets.token_urlsafe(16)
    session.add(
        TelegramQuestion(token_hash=_hash(_QUESTION_KIND, token), invitation_id=invitation_id)
    )
    session.flush()
    return token


def callback_data(answer: Answer, token: str) -> str:
    """What one button sends back: the answer's letter and the question's token."""
    data = f"{_ANSWER_CODES[answer]}:{token}"
    if len(data.encode()) > MAX_CALLBACK_DATA:
        raise ValueError("callback data longer than Telegram allows")
    return data


def answer_buttons(*, session: Session, invitation_id: uuid.UUID) -> list[tuple[Answer, str]]:
    """The callback data of an invitation message's Accept and Decline buttons."""
    token = question_token(session=session, invitation_id=invitation_id)
    return [(answer, callback_data(answer, token)) for answer in (Answer.ACCEPT, Answer.DECLINE)]


def button_label(answer: Answer, language: Language) -> str:
    """A button's words in the person's language, as on their page."""
    return gettext_for(language, _BUTTON_LABELS[answer])


def resolve_callback(*, session: Session, data: str) -> tuple[uuid.UUID, Answer] | None:
    """The invitation and answer a button's callback data stands for; None when unknown."""
    code, _, token = data.partition(":")
    answer = _CODE_ANSWERS.get(code)
    if answer is None or not token or len(data.encode()) > MAX_CALLBACK_DATA:
        return None
    invitation_id = _question_invitation(session, token)
    return None if invitation_id is None else (invitation_id, answer)


def survey_buttons(
    *, session: Session, invitation_id: uuid.UUID, question: Question
) -> list[tuple[int, str]]:
    """The callback data of a survey question's answer buttons, one per value of its scale."""
    token = question_token(session=session, invitation_id=invitation_id)
    return [
        (value, _checked(f"{_SURVEY}{_SURVEY_CODES[question]}{value}:{token}"))
        for value in SCALES[question]
    ]


def survey_button_label(question: Question, value: int, language: Language) -> str:
    """`1 — very negative`, `3`, `Yes`: the number, and the scale's word for it if it has one."""
    label = _VALUE_LABELS.get(question, {}).get(value)
    if label is None:
        return str(value)
    words = gettext_for(language, label)
    return words if question is Question.TALK else f"{value} — {words}"


def _checked(data: str) -> str:
    if len(data.encode()) > MAX_CALLBACK_DATA:
        raise ValueError("callback data longer than Telegram allows")
    return data


def resolve_survey_callback(
    *, session: Session, data: str
) -> tuple[uuid.UUID, Question, int] | None:
    """The invitation, question and value a survey button stands for; None when unknown."""
    code, _, token = data.partition(":")
    # "s", the question's letter, then the value.
    if len(code) < len("sr1") or not code.startswith(_SURVEY) or not code[2:].isdecimal():
        return None
    question = _CODE_QUESTIONS.get(code[1])
    value = int(code[2:])
    if question is None or value not in SCALES[question] or not token:
        return None
    invitation_id = _question_invitation(session, token)
    return None if invitation_id is None else (invitation_id, question, value)


def _question_invitation(session: Session, token: str) -> uuid.UUID | None:
    return session.scalar(
        select(TelegramQuestion.invitation_id).where(
            TelegramQuestion.token_hash == _hash(_QUESTION_KIND, token)
        )
    )
