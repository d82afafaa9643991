"""Settling an answered Telegram button: the buttons come off the message they were under.

The answer itself was recorded by the webhook (through `respond`, like the participant page);
here only the chat is tidied, once: the update's row loses its chat id when settled, and a
second run finds nothing to do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import TelegramUpdate, utcnow
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
    row.chat_id_encrypted = None
    row.settled_at = utcnow()
    session.flush()
    return "settled"
