"""Which channels carry which purposes, who can be reached on each, and each one's send task.

The planning function asks this table, never a channel by name: a new channel (WhatsApp,
Telegram) is a new `ChannelSpec` here and a provider module in the workers
(`birge_workers.outbound.channels`), not a second pipeline.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from birge_shared.models.enums import MessageChannel, MessagePurpose
from birge_shared.models.participant import Participant
from birge_shared.settings import get_settings
from birge_shared.tasks import EmailSend, SmsSend, TaskPayload, TelegramSend, WhatsAppSend

#: What the calendar e-mail has texts for (see `birge_shared.mail.texts`).
CALENDAR_PURPOSES = frozenset(
    {MessagePurpose.INVITATION, MessagePurpose.EVENT_CHANGED, MessagePurpose.EVENT_CANCELLED}
)
#: The survey links a plain e-mail carries (see `birge_shared.mail.survey`), for people who
#: can be written to by e-mail only; the survey planner picks the one channel per person.
SURVEY_EMAIL_PURPOSES = frozenset({MessagePurpose.SURVEY_POST, MessagePurpose.SURVEY_FOLLOWUP})
#: What the Telegram bot carries: everything a person is told or asked, with buttons where an
#: answer is asked. Not the answers to SMS keywords (HELP, STOP, START, a hint about a text
#: not understood): those answer a text and go back by SMS.
TELEGRAM_PURPOSES = frozenset(
    {
        MessagePurpose.INVITATION,
        MessagePurpose.INVITATION_WAITING,
        MessagePurpose.REMINDER,
        MessagePurpose.BUDDY_NUDGE,
        MessagePurpose.EVENT_CHANGED,
        MessagePurpose.EVENT_CANCELLED,
        MessagePurpose.SURVEY_QUESTION_ATTITUDE,
        MessagePurpose.SURVEY_QUESTION_RATING,
        MessagePurpose.SURVEY_QUESTION_TALK,
        MessagePurpose.SURVEY_POST,
        MessagePurpose.SURVEY_REMINDER,
        MessagePurpose.SURVEY_FOLLOWUP,
        MessagePurpose.SURVEY_THANKS,
        MessagePurpose.EVENT_MESSAGE,
        MessagePurpose.COORDINATOR_REPLY,
        MessagePurpose.ACCEPTED,
        MessagePurpose.DECLINED,
        MessagePurpose.WAITLISTED,
    }
)
#: What a messenger has texts for: every outbound purpose (the `reply:` ones are inbound).
MESSENGER_PURPOSES = frozenset(p for p in MessagePurpose if not p.value.startswith("reply:"))


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    channel: MessageChannel
    #: The purposes this channel has a text for.
    purposes: frozenset[MessagePurpose]
    #: Can this person be written to on this channel at all (an address is on file)?
    reachable: Callable[[Participant], bool]
    #: The task that sends a chunk of this channel's planned messages.
    send_task: Callable[[list[uuid.UUID]], TaskPayload]
    #: Messages per send task: an e-mail chunk shares one SMTP connection; None is the
    #: `SMS_CHUNK_SIZE` setting.
    chunk_size: int | None = None
    #: A message of this channel is planned again for each calendar SEQUENCE of its event,
    #: because a newer calendar version replaces the one the person holds.
    per_sequence: bool = False
    #: A messenger (SMS, WhatsApp, Telegram) is one of the alternatives: a purpose goes on the
    #: first of them in the person's order. E-mail is not: a calendar entry comes beside it.
    messenger: bool = True
    #: Is the channel switched on in this installation (its provider configured)? A channel
    #: that is off is passed over, so its purposes go on the person's next channel.
    available: Callable[[], bool] = lambda: True


def _registered(person: Participant) -> bool:
    # Everyone registers with a number. An erased person's message is still planned: the
    # sender then finds nobody to send it to and, for an invitation, frees its seat.
    return True


def _has_phone(person: Participant) -> bool:
    return person.phone_encrypted is not None and person.erased_at is None


def _has_email(person: Participant) -> bool:
    return person.email_encrypted is not None and person.erased_at is None


CHANNELS: Mapping[MessageChannel, ChannelSpec] = {
    MessageChannel.SMS: ChannelSpec(
        channel=MessageChannel.SMS,
        purposes=MESSENGER_PURPOSES,
        reachable=_registered,
        send_task=lambda ids: SmsSend(message_ids=ids),
    ),
    # Usable only once the person linked their chat (the order says so); the chat id is in
    # the person's Telegram row, which the sender reads.
    MessageChannel.TELEGRAM: ChannelSpec(
        channel=MessageChannel.TELEGRAM,
        purposes=TELEGRAM_PURPOSES,
        reachable=_registered,
        send_task=lambda ids: TelegramSend(message_ids=ids),
    ),
    # Every purpose: a template where one is approved, free text inside the person's 24-hour
    # window, else a refusal that sends the message on the person's next channel. Usable
    # only after the person's explicit opt-in (`birge_shared.channels`).
    MessageChannel.WHATSAPP: ChannelSpec(
        channel=MessageChannel.WHATSAPP,
        purposes=MESSENGER_PURPOSES,
        reachable=_has_phone,
        send_task=lambda ids: WhatsAppSend(message_ids=ids),
        available=lambda: get_settings().uses_whatsapp,
    ),
    MessageChannel.EMAIL: ChannelSpec(
        channel=MessageChannel.EMAIL,
        purposes=CALENDAR_PURPOSES | SURVEY_EMAIL_PURPOSES,
        reachable=_has_email,
        send_task=lambda ids: EmailSend(message_ids=ids),
        chunk_size=50,
        per_sequence=True,
        messenger=False,
    ),
}
