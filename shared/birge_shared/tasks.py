"""The contract between the API, the outbox relay and the workers: task names and payloads.

Payloads carry ids only. A payload model rejects any extra field, so a phone number or a text
cannot ride along by accident.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class TaskPayload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    task_name: ClassVar[str]


class EventCancelled(TaskPayload):
    """An event was cancelled: its open invitations are withdrawn."""

    task_name: ClassVar[str] = "events.cancelled"
    event_id: uuid.UUID


class EventChanged(TaskPayload):
    """A change participants must hear about raised the event's calendar SEQUENCE to `sequence`.

    Due when the settle window (`CHANGE_NOTICE_SETTLE_MINUTES`) has passed. The task notifies
    only if `sequence` is still the event's current one: after several edits every earlier row
    is skipped, and the row of the last edit sends one notification naming what changed.
    """

    task_name: ClassVar[str] = "events.changed"
    event_id: uuid.UUID
    sequence: int


class InvitationsFanOut(TaskPayload):
    """A batch of invitations was created: plan one SMS per planned invitation and send them."""

    task_name: ClassVar[str] = "invitations.fan_out"
    batch_id: uuid.UUID


class SmsSend(TaskPayload):
    """Send these planned messages, each at most once (a chunk of a fan-out, or a single one)."""

    task_name: ClassVar[str] = "sms.send"
    message_ids: list[uuid.UUID]


class WhatsAppSend(TaskPayload):
    """Send these planned WhatsApp messages (templates, or free text in the session window)."""

    task_name: ClassVar[str] = "whatsapp.send"
    message_ids: list[uuid.UUID]


class EmailSend(TaskPayload):
    """Send these planned e-mails (calendar invitations, updates, cancellations), each once."""

    task_name: ClassVar[str] = "email.send"
    message_ids: list[uuid.UUID]


class TelegramSend(TaskPayload):
    """Send these planned Telegram messages, each at most once, as the bot."""

    task_name: ClassVar[str] = "telegram.send"
    message_ids: list[uuid.UUID]


class CallbackReceived(TaskPayload):
    """A verified provider webhook was stored: apply it (a status update or an inbound SMS)."""

    task_name: ClassVar[str] = "callbacks.process"
    callback_id: int


class TelegramAnswerSettle(TaskPayload):
    """A Telegram button answered a question: take the buttons off the message it was under.

    The update's row holds the chat and message (the chat id encrypted), so the payload carries
    only Telegram's `update_id`.
    """

    task_name: ClassVar[str] = "telegram.settle_answer"
    update_id: int


# Periodic tasks, scheduled by beat rather than the outbox; they take no arguments.
OUTBOX_RELAY = "outbox.relay"
EVENTS_COMPLETE_PAST = "events.complete_past"
INVITATIONS_EXPIRE_DUE = "invitations.expire_due"
# Every channel's planned messages whose wait is over, and its messages stuck in flight.
MESSAGES_RELEASE_DUE = "messages.release_due"
MESSAGES_SWEEP_IN_FLIGHT = "messages.sweep_in_flight"
# Reminders before events and surveys after them: planned from the database every minute.
REMINDERS_SEND_DUE = "reminders.send_due"
SURVEYS_SEND_DUE = "surveys.send_due"
RETENTION_PURGE = "retention.purge"
# Calendar answers read from the reply mailbox (a no-op when none is configured).
CALENDAR_READ_REPLIES = "calendar.read_replies"
# WhatsApp templates' approvals read from Twilio's Content API (a no-op without Twilio).
WHATSAPP_SYNC_TEMPLATES = "whatsapp.sync_templates"

PERIODIC_TASK_NAMES: frozenset[str] = frozenset(
    {
        OUTBOX_RELAY,
        EVENTS_COMPLETE_PAST,
        INVITATIONS_EXPIRE_DUE,
        MESSAGES_RELEASE_DUE,
        MESSAGES_SWEEP_IN_FLIGHT,
        REMINDERS_SEND_DUE,
        SURVEYS_SEND_DUE,
        RETENTION_PURGE,
        CALENDAR_READ_REPLIES,
        WHATSAPP_SYNC_TEMPLATES,
    }
)

#: Every task published through the outbox, by name.
OUTBOX_TASKS: dict[str, type[TaskPayload]] = {
    payload.task_name: payload
    for payload in (
        EventCancelled,
        EventChanged,
        InvitationsFanOut,
        SmsSend,
        WhatsAppSend,
        EmailSend,
        TelegramSend,
        CallbackReceived,
        TelegramAnswerSettle,
    )
}

#: Every task name a worker must register.
ALL_TASK_NAMES: frozenset[str] = frozenset({*OUTBOX_TASKS, *PERIODIC_TASK_NAMES})
