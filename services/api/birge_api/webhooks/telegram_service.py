"""Acting on one verified update from the Telegram bot's webhook.

Each `update_id` is taken once (its row's primary key), so an update Telegram delivers again
changes nothing. What the bot says back goes in the webhook's own response as one Bot API
method call, as Telegram allows, so the request makes no call out; taking the buttons off an
answered message is a worker's job, queued through the outbox.

A chat id is personal data: it reaches the database only encrypted or hashed, the webhook
response that Telegram reads, and nothing else (no log line, no payload, no exception text).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

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
    TelegramUpdate,
    utcnow,
)
from birge_shared.outbox import enqueue
from birge_shared.settings import Settings
from birge_shared.tasks import TelegramAnswerSettle
from birge_shared.telegram_links import LinkCodeRefusedError, redeem_link_code, resolve_callback
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


def _callback(session: Session, settings: Settings, update_id: int, query: CallbackQuery) -> Reply:
    guessed = texts.language_of(query.from_user.language_code)
    resolved = resolve_callback(session=session, data=query.data or "")
    message = query.message
    chat_id = str(message.chat.id) if message is not None else str(query.from_user.id)
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
    row = session.get(TelegramUpdate, update_id)
    if row is not None and message is not None:
        row.participant_id = invitation.participant_id
        row.chat_id_encrypted = get_cipher().encrypt(chat_id)
        row.message_id = message.message_id
        row.outcome = status.value
        enqueue(session=session, payload=TelegramAnswerSettle(update_id=update_id))
    session.flush()
    said = texts.ANSWERED.get(status, texts.ANSWER_CLOSED)
    return _answer_callback(query, texts.in_language(said, language))
