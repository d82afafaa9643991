"""Settling an answered Telegram button: the buttons come off the message they were under, and
after a survey answer the survey's next question is planned.

The answer itself was recorded by the webhook (through `respond`, like the participant page,
or `record_answers` for a survey question); here only what follows it happens, once: the
update's row loses its chat id when settled, and a second run finds nothing to do.

Which Bot API calls are made outside the one outbound pipeline, and why:

- taking the buttons off the message a person just pressed (`editMessageReplyMarkup`, here)
  is not a message to the person but the tidying of the chat after the update itself, like
  the webhook's own answers to a command (`/start`, `/stop`, a button's toast), which go in
  the webhook's response to that update;
- everything that *tells* a person something — an invitation, a notice, the survey's next
  question, its thanks — is a planned `message` row sent by `birge_workers.telegram.channel`
  through the lifecycle, paced, held for quiet hours, retried and swept like every channel's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import TelegramUpdate, utcnow
from birge_shared.outbound.plan import queue_planned
from birge_shared.surveys import open_conversation
from birge_shared.telegram_links import SURVEY_ANSWERED
from birge_workers.surveys.conversation import advance
from birge_workers.telegram.provider import TelegramError, TelegramProvider

log = logging.getLogger(__name__)


def settle_answer(
    *, session: Session, update_id: int, provider: Callable[[], TelegramProvider]
) -> str:
    """Remove the buttons of the answered message; returns what happened, for the task result."""
    row = session.scalar(
        select(TelegramUpdate).where(TelegramUpdate.update_id == update_id).with_for_update()
    )
    if row is None or row.settled_at is not None or row.chat_id_encrypted is None:
        return "nothing to settle"
    chat_id = get_cipher().decrypt(row.chat_id_encrypted)
    bot = provider()
    try:
        if row.message_id is not None:
            bot.remove_buttons(chat_id, row.message_id)
    except TelegramError as exc:
        if not exc.permanent:
            raise
        # A chat that blocked the bot or a message deleted meanwhile has nothing to tidy.
        log.info(
            "telegram answer not settled", extra={"update_id": update_id, "reason": exc.reason}
        )
    finally:
        bot.close()
    now = utcnow()
    if row.outcome == SURVEY_ANSWERED and row.participant_id is not None:
        _next_question(session, row, now)
    row.chat_id_encrypted = None
    row.settled_at = now
    session.flush()
    return "settled"


def _next_question(session: Session, row: TelegramUpdate, now: datetime) -> None:
    """The survey's next question (or its thanks), planned on the person's messenger."""
    assert row.participant_id is not None  # checked by the caller
    conversation = open_conversation(session, participant_id=row.participant_id, now=now, lock=True)
    if conversation is None:
        return
    queue_planned(
        session=session, planned=advance(session=session, conversation=conversation, now=now)
    )
