"""Telegram as a channel of the one lifecycle: the bot's sendMessage behind `TelegramProvider`.

What is Telegram's own:

- the address is the chat id kept (encrypted) in the person's Telegram channel row, there
  once they pressed Start through their link; a row switched off since (`/stop`, a blocked
  bot) refuses the message so that it goes on the person's next channel;
- the text is the SMS text of the purpose (`birge_workers.sms.channel.render_text`) for a
  route without replies: nobody is told to reply, the personal link stays, and what the
  person answers with are the inline buttons under it — Accept/Decline under an invitation
  (and under a reminder or change notice still waiting for an answer), one button per answer
  under a survey question. Each message gets its own `TelegramQuestion` token, made in the
  claim's transaction, so a button names no invitation in clear;
- pacing by the bot's own bucket (Telegram allows about 30 messages a second per bot), not
  Twilio's; quiet hours apply, since a message rings the phone like a text;
- errors: 403 (blocked, deactivated) switches the person's Telegram off
  (`ChannelOptOutMethod.BLOCKED`) and falls back; "chat not found" falls back; another 400
  is refused for good; 429 is retried after Telegram's `retry_after`; a 5xx or a network
  failure is retried with the backoff.

Settling a message left `sending` (a worker died mid-send, or the answer was lost): the Bot
API has no lookup of sent messages, so the record is ours, as for e-mail. Just before the
sendMessage request the send commits `sent_at` on the row (`handing_over`); the sweeper goes
by that mark: without it the request never left and the message is sent again; with it
Telegram may have it, and it counts as sent. The doubt case is a worker that dies (or a
connection that breaks) after the mark but before Telegram took the request: that message is
lost rather than sent twice — each chat gets at most one sendMessage per message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, object_session

from birge_shared import channels
from birge_shared.crypto import get_cipher
from birge_shared.invitations import Answer
from birge_shared.models import (
    Channel as ChannelName,
)
from birge_shared.models import (
    ChannelOptOutMethod,
    InvitationStatus,
    Message,
    MessageChannel,
    MessagePurpose,
    MessageStatus,
    Participant,
)
from birge_shared.settings import Settings
from birge_shared.sms.render import SmsRoute
from birge_shared.telegram_links import (
    SURVEY_QUESTIONS,
    answer_buttons,
    button_label,
    survey_button_label,
    survey_buttons,
)
from birge_workers.outbound.backoff import RETRY_FIRST, RETRY_MAX
from birge_workers.outbound.channel import (
    ChannelRows,
    Composed,
    Facts,
    InFlight,
    Settlement,
    own_receipt,
    settle_by_hand_over,
)
from birge_workers.outbound.provider import (
    PermanentProviderError,
    SentMessage,
    TemporaryProviderError,
)
from birge_workers.sms.channel import render_text
from birge_workers.telegram.provider import (
    Button,
    TelegramBlockedError,
    TelegramProvider,
    TelegramRateLimitedError,
    TelegramRejectedError,
    TelegramUnavailableError,
)

#: Sends of one chunk at once: enough to hide Telegram's latency behind one another at its
#: rate of 30 a second, few enough that the bot's bucket, not the threads, sets the pace.
CONCURRENCY = 8
#: Tries per message before a temporary failure counts as final.
TELEGRAM_MAX_ATTEMPTS = 6
#: The codes a refusal is recorded with (`message.error_code`).
BLOCKED = "blocked"
CHAT_NOT_FOUND = "chat_not_found"
REJECTED = "rejected"
RATE_LIMITED = "429"
UNAVAILABLE = "unavailable"
#: Telegram says a chat is gone in its description of a 400.
_CHAT_NOT_FOUND = "chat not found"
#: No reply is read: the buttons and the personal link are the answer paths.
ROUTE = SmsRoute(two_way=False, one_segment=False)
#: Messages asking about an invitation: their buttons answer it while it waits for an answer.
_ASKS_INVITATION = frozenset(
    {MessagePurpose.INVITATION, MessagePurpose.REMINDER, MessagePurpose.EVENT_CHANGED}
)
_WAITING = (InvitationStatus.PLANNED, InvitationStatus.SENT)


@dataclass(frozen=True, slots=True)
class TelegramText:
    chat_id: str = field(repr=False)
    text: str = field(repr=False)
    buttons: tuple[Button, ...] = ()


class TelegramChannel:
    channel = MessageChannel.TELEGRAM
    quiet_hours = True
    paced = True
    keeps_calendar = False

    def __init__(
        self, provider: Callable[[], TelegramProvider], *, concurrency: int = CONCURRENCY
    ) -> None:
        # A provider runs its own event loop, which serves one thread: each sending thread
        # gets its own, made on its first send and closed with the chunk.
        self._provider = provider
        self._local = threading.local()
        self._made: list[TelegramProvider] = []
        self._lock = threading.Lock()
        self.concurrency = concurrency

    def max_attempts(self, settings: Settings) -> int:
        return TELEGRAM_MAX_ATTEMPTS

    def backoff(self) -> tuple[timedelta, timedelta]:
        return RETRY_FIRST, RETRY_MAX

    def has_address(self, participant: Participant, rows: ChannelRows) -> bool:
        row = rows.get(ChannelName.TELEGRAM)
        return row is not None and row.address_encrypted is not None

    def address(self, participant: Participant, rows: ChannelRows) -> str | None:
        row = rows.get(ChannelName.TELEGRAM)
        if row is None or row.address_encrypted is None:
            return None
        return get_cipher().decrypt(row.address_encrypted)

    def compose(
        self, *, message: Message, facts: Facts, settings: Settings, now: datetime
    ) -> Composed:
        chat_id = self.address(facts.participant, facts.rows)
        # The still-wanted rules checked that the chat is linked and on (a /stop or a blocked
        # bot since it was planned sends the message to the person's next channel there).
        assert chat_id is not None
        text = render_text(message=message, facts=facts, settings=settings, route=ROUTE)
        session = object_session(message)
        assert session is not None  # claimed in the chunk's transaction
        return Composed(
            message_id=message.id,
            content=TelegramText(
                chat_id=chat_id, text=text, buttons=_buttons(session, message, facts)
            ),
        )

    def _bot(self) -> TelegramProvider:
        bot: TelegramProvider | None = getattr(self._local, "bot", None)
        if bot is None:
            bot = self._provider()
            self._local.bot = bot
            with self._lock:
                self._made.append(bot)
        return bot

    def send(
        self, composed: Composed, *, handing_over: Callable[[], None], now: datetime
    ) -> SentMessage:
        content = composed.content
        assert isinstance(content, TelegramText)
        bot = self._bot()
        # The Bot API keeps no record we could ask: ours, committed before the request.
        handing_over()
        try:
            bot.send(content.chat_id, content.text, content.buttons)
        except TelegramBlockedError as error:
            raise PermanentProviderError(BLOCKED, error.reason, falls_back=True) from None
        except TelegramRejectedError as error:
            if _CHAT_NOT_FOUND in error.reason.lower():
                raise PermanentProviderError(
                    CHAT_NOT_FOUND, error.reason, falls_back=True
                ) from None
            raise PermanentProviderError(REJECTED, error.reason) from None
        except TelegramRateLimitedError as error:
            raise TemporaryProviderError(
                RATE_LIMITED, error.reason, retry_after=timedelta(seconds=error.retry_after)
            ) from None
        except TelegramUnavailableError as error:
            raise TemporaryProviderError(
                UNAVAILABLE, error.reason, may_have_been_sent=error.may_have_been_sent
            ) from None
        # Telegram's message id counts per chat and names nothing on its own.
        return own_receipt(composed.message_id)

    def receipt_status(self, receipt: SentMessage) -> MessageStatus:
        return MessageStatus.SENT

    def settle(self, in_flight: InFlight) -> Settlement:
        return settle_by_hand_over(in_flight)

    def after_refusal(
        self,
        *,
        session: Session,
        message: Message,
        error: PermanentProviderError,
        now: datetime,
        settings: Settings,
    ) -> None:
        if error.code == BLOCKED and message.participant_id is not None:
            # The person blocked the bot: their Telegram is off until they press Start again.
            channels.opt_out(
                session=session,
                participant_id=message.participant_id,
                channel=ChannelName.TELEGRAM,
                method=ChannelOptOutMethod.BLOCKED,
                now=now,
            )

    def close(self) -> None:
        with self._lock:
            made, self._made = self._made, []
        for bot in made:
            bot.close()
        self._local = threading.local()


def _buttons(session: Session, message: Message, facts: Facts) -> tuple[Button, ...]:
    """The answer buttons under the message, each pair with a token of its own."""
    invitation, language = facts.invitation, facts.participant.language
    if invitation is None:
        return ()
    question = SURVEY_QUESTIONS.get(MessagePurpose(message.purpose))
    if question is not None:
        return tuple(
            Button(survey_button_label(question, value, language), data)
            for value, data in survey_buttons(
                session=session, invitation_id=invitation.id, question=question
            )
        )
    if message.purpose in _ASKS_INVITATION and invitation.status in _WAITING:
        return tuple(
            Button(button_label(answer, language), data)
            for answer, data in answer_buttons(session=session, invitation_id=invitation.id)
            if answer in (Answer.ACCEPT, Answer.DECLINE)
        )
    return ()
