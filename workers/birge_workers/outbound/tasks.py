"""The task edges of the outbound pipeline: parse the ids, hand the work to one function.

The functions they call open their own short transactions (a provider call must never sit
inside one), through `session_scope`, which commits each. `sms.send`, `whatsapp.send`,
`email.send` and `telegram.send` keep their names (outbox rows already written carry them) and
differ only in the channel (and the pacer) they hand to the one lifecycle.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from celery import Celery, Task
from sqlalchemy.orm import Session

from birge_shared.db import session_scope
from birge_shared.models import utcnow
from birge_shared.settings import get_settings
from birge_shared.tasks import (
    MESSAGES_RELEASE_DUE,
    MESSAGES_SWEEP_IN_FLIGHT,
    EmailSend,
    InvitationsFanOut,
    SmsSend,
    TelegramSend,
    WhatsAppSend,
)
from birge_shared.whatsapp_templates import approved_templates
from birge_workers.mail.channel import EmailChannel
from birge_workers.mail.transport import transport_from_settings
from birge_workers.outbound.channel import Channel
from birge_workers.outbound.lifecycle import Outcome, send_chunk
from birge_workers.outbound.release import release_due
from birge_workers.outbound.sweeper import sweep_in_flight
from birge_workers.periodic import claim_slot, once_per_slot
from birge_workers.relay import publish_committed
from birge_workers.schedule import MESSAGES_RELEASE_INTERVAL, MESSAGES_SWEEP_INTERVAL
from birge_workers.sending.fanout import fan_out
from birge_workers.sending.pacing import Pacer
from birge_workers.sending.runtime import (
    send_pacer,
    sms_provider,
    telegram_pacer,
    whatsapp_provider,
)
from birge_workers.sms.channel import SmsChannel
from birge_workers.telegram.channel import TelegramChannel
from birge_workers.telegram.provider import TelegramProvider
from birge_workers.whatsapp.channel import WhatsAppChannel

#: Send chunks planned per fan-out transaction, and the most invitations one plans.
PLAN_CHUNKS = 5
MAX_PLAN_CHUNK = 1000


def invitations_fan_out(task: Task[Any, Any], batch_id: str) -> int:
    """Plan and queue the invitation messages of a batch; return how many invitations got one.

    Each chunk's send tasks are published as soon as the chunk commits, to the queue this
    task came from (the queue its workers consume), not at the relay's next tick.
    """
    payload = InvitationsFanOut(batch_id=batch_id)
    delivery = task.request.delivery_info or {}
    queue = delivery.get("routing_key") or None

    def publish(name: str, kwargs: dict[str, Any]) -> None:
        task.app.send_task(name, kwargs=kwargs, queue=queue)

    return fan_out(
        batch_id=payload.batch_id,
        # Planned several send chunks a transaction (each still its own send task): a commit
        # and the chunk's queries cost the same for 200 invitations as for 1,000.
        chunk_size=min(get_settings().sms_chunk_size * PLAN_CHUNKS, MAX_PLAN_CHUNK),
        transaction=session_scope,
        publish_now=lambda ids: publish_committed(
            entry_ids=ids, publish=publish, transaction=session_scope
        ),
    )


def _send(
    channel: Channel, message_ids: list[uuid.UUID], *, pacer: Pacer | None = None
) -> dict[str, int]:
    outcomes = send_chunk(
        channel=channel,
        message_ids=message_ids,
        transaction=session_scope,
        pacer=pacer or send_pacer(),
        settings=get_settings(),
    )
    return _counts(outcomes)


def _counts(outcomes: Counter[Outcome]) -> dict[str, int]:
    return {outcome.value: count for outcome, count in outcomes.items()}


def sms_send(message_ids: list[str]) -> dict[str, int]:
    """Send these planned SMS, each at most once; return what happened to them."""
    payload = SmsSend.model_validate({"message_ids": message_ids})
    return _send(SmsChannel(sms_provider()), payload.message_ids)


def whatsapp_channel() -> WhatsAppChannel:
    """WhatsApp with the approved templates as they are now, loaded once for the chunk."""
    with session_scope() as session:
        templates = approved_templates(session)
    return WhatsAppChannel(whatsapp_provider(), templates=templates)


def whatsapp_send(message_ids: list[str]) -> dict[str, int]:
    """Send these planned WhatsApp messages, each at most once."""
    payload = WhatsAppSend.model_validate({"message_ids": message_ids})
    return _send(whatsapp_channel(), payload.message_ids)


def email_send(message_ids: list[str]) -> dict[str, int]:
    """Send these planned e-mails, each at most once, over one SMTP session."""
    payload = EmailSend.model_validate({"message_ids": message_ids})
    return _send(EmailChannel(transport_from_settings(get_settings())), payload.message_ids)


def telegram_channel() -> TelegramChannel:
    """The bot as a channel; its providers are made per sending thread when first needed."""
    return TelegramChannel(lambda: TelegramProvider.from_settings(get_settings()))


def telegram_send(message_ids: list[str]) -> dict[str, int]:
    """Send these planned Telegram messages, each at most once, at the bot's own pace."""
    payload = TelegramSend.model_validate({"message_ids": message_ids})
    return _send(telegram_channel(), payload.message_ids, pacer=telegram_pacer())


def _release(*, session: Session, now: datetime) -> int:
    return release_due(session=session, now=now)


_release_once = once_per_slot(MESSAGES_RELEASE_DUE, MESSAGES_RELEASE_INTERVAL)(_release)


def messages_release_due() -> int | None:
    """Queue planned messages whose wait is over; None when this slot already ran."""
    with session_scope() as session:
        return _release_once(session=session, now=utcnow())


def messages_sweep_in_flight() -> dict[str, int] | None:
    """Settle messages stuck in flight, on every channel; None when this slot already ran."""
    now = utcnow()
    settings = get_settings()
    outcomes = sweep_in_flight(
        transaction=session_scope,
        channels=[
            SmsChannel(sms_provider()),
            # Settling asks Twilio by number and time; it needs no template.
            WhatsAppChannel(whatsapp_provider(), templates={}),
            EmailChannel(transport_from_settings(settings)),
            telegram_channel(),
        ],
        settings=settings,
        now=now,
        claim=lambda session: claim_slot(
            session=session,
            task_name=MESSAGES_SWEEP_IN_FLIGHT,
            interval=MESSAGES_SWEEP_INTERVAL,
            now=now,
        ),
    )
    if outcomes is None:
        return None
    return {outcome.value: count for outcome, count in outcomes.items()}


def register_outbound_tasks(app: Celery) -> None:
    app.task(name=InvitationsFanOut.task_name, bind=True)(invitations_fan_out)
    app.task(name=SmsSend.task_name)(sms_send)
    app.task(name=WhatsAppSend.task_name)(whatsapp_send)
    app.task(name=EmailSend.task_name)(email_send)
    app.task(name=TelegramSend.task_name)(telegram_send)
    app.task(name=MESSAGES_RELEASE_DUE)(messages_release_due)
    app.task(name=MESSAGES_SWEEP_IN_FLIGHT)(messages_sweep_in_flight)
