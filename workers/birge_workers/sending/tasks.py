"""The task edges of sending: parse the ids, hand the work to one function, report counts.

The functions they call open their own short transactions (a provider call must never sit
inside one), through `session_scope`, which commits each.
"""

from __future__ import annotations

from datetime import datetime

from celery import Celery
from sqlalchemy.orm import Session

from birge_shared.db import session_scope
from birge_shared.models import utcnow
from birge_shared.settings import get_settings
from birge_shared.tasks import SMS_RELEASE_DUE, SMS_SWEEP_IN_FLIGHT, InvitationsFanOut, SmsSend
from birge_workers.periodic import claim_slot, once_per_slot
from birge_workers.schedule import SMS_RELEASE_INTERVAL, SMS_SWEEP_INTERVAL
from birge_workers.sending.fanout import fan_out
from birge_workers.sending.release import release_due
from birge_workers.sending.runtime import send_pacer, sms_provider
from birge_workers.sending.send import send_messages
from birge_workers.sending.sweeper import sweep_in_flight


def invitations_fan_out(batch_id: str) -> int:
    """Plan and queue the invitation SMS of a batch; return how many were planned."""
    payload = InvitationsFanOut(batch_id=batch_id)
    return fan_out(
        batch_id=payload.batch_id,
        chunk_size=get_settings().sms_chunk_size,
        transaction=session_scope,
    )


def sms_send(message_ids: list[str]) -> dict[str, int]:
    """Send these planned messages, each at most once; return what happened to them."""
    payload = SmsSend.model_validate({"message_ids": message_ids})
    outcomes = send_messages(
        message_ids=payload.message_ids,
        transaction=session_scope,
        provider=sms_provider(),
        pacer=send_pacer(),
        settings=get_settings(),
    )
    return {outcome.value: count for outcome, count in outcomes.items()}


def _release(*, session: Session, now: datetime) -> int:
    return release_due(session=session, now=now, chunk_size=get_settings().sms_chunk_size)


_release_once = once_per_slot(SMS_RELEASE_DUE, SMS_RELEASE_INTERVAL)(_release)


def sms_release_due() -> int | None:
    """Queue planned messages whose wait is over; None when this slot already ran."""
    with session_scope() as session:
        return _release_once(session=session, now=utcnow())


def sms_sweep_in_flight() -> dict[str, int] | None:
    """Settle messages stuck in flight; None when this slot already ran."""
    now = utcnow()
    outcomes = sweep_in_flight(
        transaction=session_scope,
        provider=sms_provider(),
        settings=get_settings(),
        now=now,
        claim=lambda session: claim_slot(
            session=session, task_name=SMS_SWEEP_IN_FLIGHT, interval=SMS_SWEEP_INTERVAL, now=now
        ),
    )
    if outcomes is None:
        return None
    return {outcome.value: count for outcome, count in outcomes.items()}


def register_sending_tasks(app: Celery) -> None:
    app.task(name=InvitationsFanOut.task_name)(invitations_fan_out)
    app.task(name=SmsSend.task_name)(sms_send)
    app.task(name=SMS_RELEASE_DUE)(sms_release_due)
    app.task(name=SMS_SWEEP_IN_FLIGHT)(sms_sweep_in_flight)
