"""Acting on one verified update from the Telegram bot's webhook.

Each `update_id` is taken once (its row's primary key), so an update Telegram delivers again
changes nothing. What the bot says back goes in the webhook's own response as one Bot API
method call, as Telegram allows, so the request makes no call out; taking the buttons off an
answered message (and, after a survey answer, asking the survey's next question) is a
worker's job, queued through the outbox.

A button answers an invitation (`respond`, as on the participant page) or one survey question
(`record_answers`, the first answer to an item wins), so a button pressed twice, or a
callback Telegram delivers again, answers once.

A chat id is personal data: it reaches the database only encrypted or hashed, the webhook
response that Telegram reads, and nothing else (no log line, no payload, no exception text).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram import CallbackQuery, Message, Update

from birge_api.webhooks import telegram_texts as texts
from birge_shared import channels
from birge_shared.crypto import get_cipher
from birge_shared.invitations import RsvpClosedError, respond
from birge_shared.models import (
    Channel,
    ChannelOptOutMethod,
    Invitation,
    Language,
    Participant,
    SurveyConversation,
    TelegramUpdate,
    utcnow,
)
from birge_shared.outbox import enqueue
from birge_shared.settings import Settings
from birge_shared.surveys import QUESTIONS, Question, SurveyAnswerError, SurveyKind, record_answers
from birge_shared.surveys import Channel as AnswerChannel
from birge_shared.tasks import TelegramAnswerSettle
from birge_shared.telegram_links import (
    SURVEY_ANSWERED,
    LinkCodeRefusedError,
    redeem_link_code,
    resolve_callback,
    resolve_survey_callback,
)
from birge_shared.upsert import insert_ignoring_conflict

log = logging.getLogger(__name__)

#: What the webhook answers with: a Bot API method and its parameters, or nothing.
Reply = dict[str, Any]


class UnreadableUpdateError(ValueError):
    """The body is not a Telegram update (no `update_id`)."""


@dataclass(frozen=True)
class _Taken:
    update_id: int
    kind: str


def parse(body: object) -> Update:
    if not isinstance(body, dict) or not isinstance(body.get("update_id"), int):
        raise UnreadableUpdateError("not a Telegram update")
    try:
        return Update.de_json(body, None)
    except (KeyError, TypeError, ValueError) as exc:
        raise UnreadableUpdateError("not a Telegram update") from exc


def _take(session: Session, update_id: int, kind: str) -> bool:
    """Claim the update; False when it was taken before (a redelivery)."""
    taken = insert_ignoring_conflict(
        session, TelegramUpdate, {"update_id": update_id, "kind": kind, "received_at": utcnow()}
    )
    return taken is not None


def _send(chat_id: int, text: str) -> Reply:
    return {"method": "sendMessage", "chat_id": chat_id, "text": text}


def handle(  # noqa: PLR0911 - one return per kind of update, each its own reply
    *, session: Session, settings: Settings, update: Update
) -> Reply | None:
    """Apply one update; the reply for the webhook's response, or None."""
    if update.callback_query is not None:
        if not _take(session, update.update_id, "callback"):
            return None
        return _callback(session, settings, update.update_id, update.callback_query)
    message = update.message
    if message is None or message.chat.type != "private" or not message.text:
        _take(session, update.update_id, "ignored")
        return None
    command, _, argument = message.text.strip().partition(" ")
    command = command.split("@", 1)[0].lower()  # "/start@BirgeBot" in a client that adds it
    kind = {"/start": "start", "/stop": "stop"}.get(command, "message")
    if not _take(session, update.update_id, kind):
        return None
    if kind == "start":
        return _start(session, message, argument.strip())
    if kind == "stop":
        return _stop(session, message)
    language = texts.language_of(message.from_user.language_code if message.from_user else None)
    return _send(message.chat.id, texts.in_language(texts.HELP, language))


def _start(session: Session, message: Message, code: str) -> Reply:
    guessed = texts.language_of(message.from_user.language_code if message.from_user else None)
    try:
        participant = redeem_link_code(session=session, code=code)
    except LinkCodeRefusedError as exc:
        log.info("telegram start refused", extra={"reason": str(exc)})
        return _send(message.chat.id, texts.in_language(texts.LINK_REFUSED, guessed))
    channels.link_telegram(session=session, participant=participant, chat_id=str(message.chat.id))
    log.info("telegram chat linked", extra={"participant_id": str(participant.id)})
    return _send(message.chat.id, texts.in_language(texts.LINKED, participant.language))


def _stop(session: Session, message: Message) -> Reply:
    rows = channels.telegram_rows(session, str(message.chat.id))
    language: Language | None = None
    for row in rows:
        channels.opt_out(
            session=session,
            participant_id=row.participant_id,
            channel=Channel.TELEGRAM,
            method=ChannelOptOutMethod.TELEGRAM_STOP,
        )
        participant = session.get(Participant, row.participant_id)
        language = participant.language if participant is not None else language
        log.info("telegram opt-out", extra={"participant_id": str(row.participant_id)})
    if language is None:
        language = texts.language_of(message.from_user.language_code if message.from_user else None)
    return _send(message.chat.id, texts.in_language(texts.STOPPED, language))


def _answer_callback(query: CallbackQuery, text: str) -> Reply:
    return {"method": "answerCallbackQuery", "callback_query_id": query.id, "text": text}


def _linked_to(session: Session, participant_id: uuid.UUID, chat_id: str) -> bool:
    """Whether the chat pressing the button is the invitation's person's own linked chat."""
    return any(
        row.participant_id == participant_id for row in channels.telegram_rows(session, chat_id)
    )


def _settle_later(
    session: Session,
    *,
    update_id: int,
    participant_id: uuid.UUID,
    chat_id: str,
    query: CallbackQuery,
    outcome: str,
) -> None:
    """Keep what the worker needs to tidy the chat (the chat id encrypted) and queue it."""
    row = session.get(TelegramUpdate, update_id)
    if row is None or query.message is None:
        return
    row.participant_id = participant_id
    row.chat_id_encrypted = get_cipher().encrypt(chat_id)
    row.message_id = query.message.message_id
    row.outcome = outcome
    enqueue(session=session, payload=TelegramAnswerSettle(update_id=update_id))


def _callback(session: Session, settings: Settings, update_id: int, query: CallbackQuery) -> Reply:
    message = query.message
    chat_id = str(message.chat.id) if message is not None else str(query.from_user.id)
    survey = resolve_survey_callback(session=session, data=query.data or "")
    if survey is not None:
        return _survey_answer(session, update_id, query, chat_id, survey)
    guessed = texts.language_of(query.from_user.language_code)
    resolved = resolve_callback(session=session, data=query.data or "")
    invitation = session.get(Invitation, resolved[0]) if resolved is not None else None
    if (
        resolved is None
        or invitation is None
        or invitation.participant.erased_at is not None
        or not _linked_to(session, invitation.participant_id, chat_id)
    ):
        log.info("telegram button refused", extra={"update_id": update_id})
        return _answer_callback(query, texts.in_language(texts.BUTTON_UNKNOWN, guessed))
    language = invitation.participant.language
    # The same path as an answer on the participant page: `respond` leaves an unchanged answer
    # alone and frees or fills seats exactly as there.
    try:
        outcome = respond(
            session=session,
            invitation_id=invitation.id,
            answer=resolved[1],
            over_invite=settings.over_invite_factor,
        )
    except RsvpClosedError:
        return _answer_callback(query, texts.in_language(texts.ANSWER_CLOSED, language))
    status = outcome.invitation.status
    log.info(
        "telegram answer",
        extra={
            "invitation_id": str(invitation.id),
            "answer": resolved[1].value,
            "status": status.value,
            "changed": outcome.changed,
        },
    )
    _settle_later(
        session,
        update_id=update_id,
        participant_id=invitation.participant_id,
        chat_id=chat_id,
        query=query,
        outcome=status.value,
    )
    session.flush()
    said = texts.ANSWERED.get(status, texts.ANSWER_CLOSED)
    return _answer_callback(query, texts.in_language(said, language))


def _survey_answer(
    session: Session,
    update_id: int,
    query: CallbackQuery,
    chat_id: str,
    survey: tuple[uuid.UUID, Question, int],
) -> Reply:
    """A survey question's button: the answer stored once, under the person's pseudonym."""
    invitation_id, question, value = survey
    guessed = texts.language_of(query.from_user.language_code)
    invitation = session.get(Invitation, invitation_id)
    if (
        invitation is None
        or invitation.participant.erased_at is not None
        or not _linked_to(session, invitation.participant_id, chat_id)
    ):
        log.info("telegram button refused", extra={"update_id": update_id})
        return _answer_callback(query, texts.in_language(texts.BUTTON_UNKNOWN, guessed))
    person = invitation.participant
    now = utcnow()
    # The survey the question belongs to: the invitation's latest conversation asking it.
    conversation = session.scalar(
        select(SurveyConversation)
        .where(SurveyConversation.invitation_id == invitation.id)
        .order_by(SurveyConversation.started_at.desc(), SurveyConversation.id)
        .limit(1)
        .with_for_update()
    )
    if (
        conversation is None
        or conversation.expires_at <= now
        or question not in QUESTIONS[SurveyKind(conversation.kind)]
    ):
        return _answer_callback(query, texts.in_language(texts.SURVEY_CLOSED, person.language))
    try:
        stored = record_answers(
            session=session,
            event_id=invitation.event_id,
            participant=person,
            kind=SurveyKind(conversation.kind),
            answers={question: value},
            channel=AnswerChannel.TELEGRAM,
            now=now,
        )
    except SurveyAnswerError:
        return _answer_callback(query, texts.in_language(texts.SURVEY_CLOSED, person.language))
    log.info(
        "telegram survey answer",
        extra={
            "invitation_id": str(invitation.id),
            "question": question.value,
            "changed": bool(stored.filled),
        },
    )
    _settle_later(
        session,
        update_id=update_id,
        participant_id=person.id,
        chat_id=chat_id,
        query=query,
        outcome=SURVEY_ANSWERED,
    )
    session.flush()
    return _answer_callback(query, texts.in_language(texts.SURVEY_SAVED, person.language))
