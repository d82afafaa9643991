"""Telegram's Bot API as a message provider: its methods, its limits, its errors in Birge's words.

Everything Telegram-specific the sending side needs is here: the Bot API methods Birge calls
(through python-telegram-bot, pointed at TELEGRAM_API_BASE), the limits (30 messages a second
per bot, one a second per chat, 4096 characters a text, 64 bytes a button's callback data), and
what an error means for the message:

- 403 ("bot was blocked by the user", "user is deactivated"): `TelegramBlockedError`, the person
  opted out; switch the channel off and never retry.
- 400 ("chat not found", bad parameters), 401 (token): `TelegramRejectedError`, permanent;
  give up or fall back to the next channel.
- 429 with `retry_after`: `TelegramRateLimitedError`; wait that long, then retry.
- a network error, a time-out, a 5xx: `TelegramUnavailableError`, transient; retry with
  backoff. After a time-out or a connection lost once the request was written the outcome of
  a send is unknown (`may_have_been_sent`); a refused connection or a 5xx answer means
  Telegram did not take it.

A chat id is personal data: it is an argument here and nowhere else. No exception raised from
this module names it, and the libraries' own request logs (whose URLs also hold the bot token)
are kept below the level Birge logs at.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram import error as bot_error
from telegram.request import HTTPXRequest

from birge_shared.settings import Settings

#: Bot API limits (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this).
MESSAGES_PER_SECOND = 30
MESSAGES_PER_CHAT_PER_SECOND = 1
MAX_TEXT_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64
#: The webhook path Telegram posts updates to, relative to PUBLIC_BASE_URL.
WEBHOOK_PATH = "/webhooks/telegram"
#: The update kinds Birge's webhook acts on; Telegram sends no others.
ALLOWED_UPDATES = ("message", "callback_query")
#: Seconds to connect, and to wait for Telegram's answer, before a request gives up.
TIMEOUT = 10.0

# httpx logs every request URL at INFO, and a Bot API URL carries the bot token; the library
# logs request parameters (chat ids) at DEBUG.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("telegram").setLevel(logging.WARNING)

_T = TypeVar("_T")


class TelegramError(Exception):
    """A Bot API call did not do what was asked. The text names no chat and no token."""

    permanent = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TelegramBlockedError(TelegramError):
    """403: the person blocked the bot or deleted their account, so they opted out."""

    permanent = True


class TelegramRejectedError(TelegramError):
    """400 and other refusals: the request cannot succeed as it is."""

    permanent = True


class TelegramRateLimitedError(TelegramError):
    """429: Telegram asks to wait `retry_after` seconds before the next call."""

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class TelegramUnavailableError(TelegramError):
    """The Bot API could not be reached, timed out or failed (5xx).

    `may_have_been_sent`: the request may have reached Telegram before the answer was lost.
    """

    def __init__(self, reason: str, *, may_have_been_sent: bool = False) -> None:
        super().__init__(reason)
        self.may_have_been_sent = may_have_been_sent


#: Failures of the HTTP client after which the request surely never reached Telegram.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class Button:
    """An inline button; `callback_data` comes back in the callback query when pressed."""

    text: str
    callback_data: str


@dataclass(frozen=True)
class Sent:
    """What Telegram gives back for a sent message: its id within the chat."""

    message_id: int


def _retry_after(exc: bot_error.RetryAfter) -> float:
    value: Any = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _translated(exc: bot_error.TelegramError) -> TelegramError:
    """The library's error in this module's words (the description is Telegram's, no chat id)."""
    if isinstance(exc, bot_error.RetryAfter):
        return TelegramRateLimitedError("429 too many requests", _retry_after(exc))
    if isinstance(exc, bot_error.Forbidden):
        return TelegramBlockedError(f"403 {exc.message}")
    if isinstance(exc, bot_error.InvalidToken):
        return TelegramRejectedError("401 the bot token was refused")
    if isinstance(exc, bot_error.BadRequest | bot_error.ChatMigrated | bot_error.Conflict):
        return TelegramRejectedError(f"400 {exc.message}")
    cause = exc.__cause__
    # No cause: Telegram answered (a 5xx) and so did not take the message.
    unknown = cause is not None and not isinstance(cause, _NOT_SENT)
    return TelegramUnavailableError(type(exc).__name__, may_have_been_sent=unknown)


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """One row of inline buttons (Accept, Decline), or none."""
    for button in buttons:
        if len(button.callback_data.encode()) > MAX_CALLBACK_DATA_BYTES:
            raise ValueError("a button's callback data is longer than Telegram allows")
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.callback_data) for b in buttons]]
    )


class TelegramProvider:
    """The bot's outbound calls, synchronous for a worker thread.

    The library is asynchronous; each provider owns one event loop and one HTTP connection
    pool on it, so a thread that sends many messages reuses its connections. Use one provider
    per thread, and `close()` it when done.
    """

    def __init__(self, *, token: str, api_base: str, timeout: float = TIMEOUT) -> None:
        # Both request objects are ours, so `close()` can close their connection pools (the
        # library's own shutdown does so only after `initialize()`, which costs a getMe).
        self._requests = (
            HTTPXRequest(connect_timeout=timeout, read_timeout=timeout),
            HTTPXRequest(connect_timeout=timeout, read_timeout=timeout),
        )
        self._bot = Bot(
            token=token,
            base_url=f"{api_base.rstrip('/')}/bot",
            request=self._requests[0],
            get_updates_request=self._requests[1],
        )
        self._loop = asyncio.new_event_loop()

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramProvider:
        if settings.telegram_bot_token is None:
            raise TelegramRejectedError("TELEGRAM_BOT_TOKEN is not set")
        return cls(
            token=settings.telegram_bot_token.get_secret_value(),
            api_base=settings.telegram_api_base,
        )

    def _run(self, call: Coroutine[Any, Any, _T]) -> _T:
        try:
            return self._loop.run_until_complete(call)
        except bot_error.TelegramError as exc:
            raise _translated(exc) from None

    def send(self, chat_id: str, text: str, buttons: Sequence[Button] = ()) -> Sent:
        """Send one text with inline buttons under it. Raises a `TelegramError` subclass."""
        if not text or len(text) > MAX_TEXT_LENGTH:
            raise TelegramRejectedError(f"a text must be 1 to {MAX_TEXT_LENGTH} characters")
        message = self._run(
            self._bot.send_message(
                chat_id=chat_id,
                text=text,
                reply_markup=keyboard(buttons),
                link_preview_options=None,
            )
        )
        return Sent(message_id=message.message_id)

    def remove_buttons(self, chat_id: str, message_id: int) -> bool:
        """Take the buttons off a message; False when it had none left (already settled)."""
        try:
            self._run(
                self._bot.edit_message_reply_markup(
                    chat_id=chat_id, message_id=message_id, reply_markup=None
                )
            )
        except TelegramRejectedError as exc:
            if "not modified" in exc.reason.lower():
                return False
            raise
        return True

    def set_webhook(self, url: str, secret_token: str) -> None:
        """Register Birge's webhook, with the secret Telegram is to echo on every call."""
        self._run(
            self._bot.set_webhook(
                url=url,
                secret_token=secret_token,
                allowed_updates=list(ALLOWED_UPDATES),
            )
        )

    def username(self) -> str:
        """The bot's @username as Telegram knows it (getMe), for start links."""
        me = self._run(self._bot.get_me())
        return me.username or ""

    def close(self) -> None:
        try:
            for request in self._requests:
                self._run(request.shutdown())
        finally:
            self._loop.close()
