"""Settling messages left `sending`: a worker died mid-call, or the provider's answer was lost.

Such a message may or may not be at the provider. Sending it again could deliver it twice, so
the sweeper asks the provider for a message to that number with that text, created after the
attempt began:

- found: the send went through; its id and status are recorded as if the answer had come;
- not found: it never arrived; the message is planned again and queued for a new attempt;
- the provider cannot be asked: the message stays as it is for the next sweep.

The lookups happen outside any transaction, between two short ones, like the sends.
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import Message, MessageChannel, MessageStatus, Participant
from birge_shared.outbox import enqueue
from birge_shared.settings import Settings
from birge_shared.tasks import SmsSend
from birge_workers.sending.send import Transaction, give_up, record_receipt
from birge_workers.sms.provider import SentMessage, SmsProvider

log = logging.getLogger(__name__)

#: A send holds a message `sending` for at most the pacing wait plus the provider's timeouts
#: (well under a minute); this long after, nobody is still working on it.
STUCK_AFTER = timedelta(minutes=10)
#: The provider's clock and ours may differ, and its creation times have whole seconds.
CLOCK_MARGIN = timedelta(minutes=2)
SWEEP_LIMIT = 100


class Settled(enum.StrEnum):
    FOUND = "found"
    RETRY = "retry"
    UNKNOWN = "unknown"  # the provider could not be asked; next sweep
    MOVED_ON = "moved_on"  # someone else settled it meanwhile


@dataclass(frozen=True, slots=True)
class InFlight:
    message_id: uuid.UUID
    attempts: int
    started_at: datetime
    to: str = field(repr=False)
    body: str = field(repr=False)


def find_stuck(
    *, session: Session, now: datetime, settings: Settings, stuck_after: timedelta, limit: int
) -> list[InFlight]:
    """The messages `sending` for longer than `stuck_after`, with what a lookup needs.

    Those whose participant was erased are closed here: there is no number to ask about.
    """
    rows = session.execute(
        select(Message, Participant)
        .outerjoin(Participant, Message.participant_id == Participant.id)
        .where(
            # E-mails have no provider to ask; this sweeper settles SMS only.
            Message.channel == MessageChannel.SMS,
            Message.status == MessageStatus.SENDING,
            Message.updated_at < now - stuck_after,
        )
        .order_by(Message.updated_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Message)
    ).all()
    cipher = get_cipher()
    stuck = []
    for message, participant in rows:
        phone = participant.phone_encrypted if participant is not None else None
        if phone is None or message.body_encrypted is None:
            give_up(
                session=session,
                message=message,
                code=None,
                reason="whether it was sent is unknown, and the number was erased",
                now=now,
                settings=settings,
            )
            continue
        stuck.append(
            InFlight(
                message_id=message.id,
                attempts=message.attempts,
                started_at=message.updated_at,
                to=cipher.decrypt(phone),
                body=cipher.decrypt(message.body_encrypted),
            )
        )
    return stuck


def settle(
    *,
    session: Session,
    in_flight: InFlight,
    found: list[SentMessage],
    now: datetime,
    settings: Settings,
) -> Settled:
    """Record what the provider said about one stuck message; the caller commits."""
    message = session.scalar(
        select(Message).where(Message.id == in_flight.message_id).with_for_update()
    )
    if (
        message is None
        or message.status is not MessageStatus.SENDING
        or message.attempts != in_flight.attempts
        or message.updated_at != in_flight.started_at
    ):
        return Settled.MOVED_ON
    known = set(
        session.scalars(
            select(Message.provider_sid).where(
                Message.provider_sid.in_([receipt.sid for receipt in found])
            )
        )
    )
    receipt = next((receipt for receipt in found if receipt.sid not in known), None)
    if receipt is not None:
        record_receipt(
            session=session, message=message, receipt=receipt, now=now, settings=settings
        )
        # It was handed over when the attempt began, not when we found out.
        message.sent_at = in_flight.started_at
        return Settled.FOUND
    message.status = MessageStatus.PLANNED
    message.not_before = None
    message.updated_at = now
    enqueue(session=session, payload=SmsSend(message_ids=[message.id]))
    return Settled.RETRY


def sweep_in_flight(
    *,
    transaction: Transaction,
    provider: SmsProvider,
    settings: Settings,
    now: datetime,
    claim: Callable[[Session], bool] = lambda _session: True,
    stuck_after: timedelta = STUCK_AFTER,
    limit: int = SWEEP_LIMIT,
) -> Counter[Settled] | None:
    """Settle up to `limit` stuck messages; None when `claim` says another sweep has this slot."""
    with transaction() as session:
        if not claim(session):
            return None
        stuck = find_stuck(
            session=session, now=now, settings=settings, stuck_after=stuck_after, limit=limit
        )
    outcomes: Counter[Settled] = Counter()
    for in_flight in stuck:
        try:
            found = provider.find_sent(
                to=in_flight.to, body=in_flight.body, sent_after=in_flight.started_at - CLOCK_MARGIN
            )
        except Exception as exc:  # any failure to ask leaves the message for the next sweep
            log.warning(
                "sms lookup failed; left for the next sweep",
                extra={"message_id": str(in_flight.message_id), "error": type(exc).__name__},
            )
            outcomes[Settled.UNKNOWN] += 1
            continue
        with transaction() as session:
            outcome = settle(
                session=session, in_flight=in_flight, found=found, now=now, settings=settings
            )
        log.info(
            "sms in flight settled",
            extra={"message_id": str(in_flight.message_id), "outcome": outcome.value},
        )
        outcomes[outcome] += 1
    return outcomes
