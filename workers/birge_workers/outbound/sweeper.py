"""Settling messages left `sending`: a worker died mid-call, or the provider's answer was lost.

Such a message may or may not be at the provider. Sending it again could deliver it twice, so
the sweeper asks the channel, which asks its provider (SMS: Twilio's record of messages to
that number with that text since the attempt began) or reads its own record of the hand-over
(e-mail: the mark committed just before SMTP's DATA):

- found: the send went through; its receipt is recorded as if the answer had come;
- not found: it never arrived; the message is planned again and queued for a new attempt;
- the provider cannot be asked: the message stays as it is for the next sweep;
- it never can be (the number was erased): the message is given up.

The lookups happen outside any transaction, between two short ones, like the sends.
"""

from __future__ import annotations

import enum
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.channels import rows_of
from birge_shared.crypto import get_cipher
from birge_shared.models import Message, MessageStatus, Participant
from birge_shared.outbound.channels import CHANNELS
from birge_shared.outbox import enqueue
from birge_shared.settings import Settings
from birge_workers.outbound.channel import Channel, InFlight, LookupUnavailableError
from birge_workers.outbound.lifecycle import Transaction, give_up, record_receipts
from birge_workers.outbound.provider import PermanentProviderError, SentMessage

log = logging.getLogger(__name__)

#: A send holds a message `sending` for at most the pacing wait plus the provider's timeouts
#: and its chunk's other sends (well under a few minutes); this long after, nobody is still
#: working on it.
STUCK_AFTER = timedelta(minutes=10)
SWEEP_LIMIT = 100


class Settled(enum.StrEnum):
    FOUND = "found"
    RETRY = "retry"
    UNKNOWN = "unknown"  # the provider could not be asked; next sweep
    MOVED_ON = "moved_on"  # someone else settled it meanwhile
    GAVE_UP = "gave_up"  # whether it went can never be known


def find_stuck(
    *, session: Session, channel: Channel, now: datetime, stuck_after: timedelta, limit: int
) -> list[InFlight]:
    """The channel's messages `sending` for longer than `stuck_after`, with what settling
    them needs."""
    rows = session.execute(
        select(Message, Participant)
        .outerjoin(Participant, Message.participant_id == Participant.id)
        .where(
            Message.channel == channel.channel,
            Message.status == MessageStatus.SENDING,
            Message.updated_at < now - stuck_after,
        )
        .order_by(Message.updated_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Message)
    ).all()
    cipher = get_cipher()
    channel_rows = rows_of(session, {person.id for _, person in rows if person is not None})
    return [
        InFlight(
            message_id=message.id,
            attempts=message.attempts,
            started_at=message.updated_at,
            handed_at=message.sent_at,
            address=channel.address(
                participant, {row.channel: row for row in channel_rows.get(participant.id, [])}
            )
            if participant is not None
            else None,
            body=cipher.decrypt(message.body_encrypted) if message.body_encrypted else None,
        )
        for message, participant in rows
    ]


def _still_stuck(session: Session, in_flight: InFlight) -> Message | None:
    message = session.scalar(
        select(Message).where(Message.id == in_flight.message_id).with_for_update()
    )
    if (
        message is None
        or message.status is not MessageStatus.SENDING
        or message.attempts != in_flight.attempts
        or message.updated_at != in_flight.started_at
    ):
        return None
    return message


def settle(
    *,
    session: Session,
    channel: Channel,
    in_flight: InFlight,
    found: Sequence[SentMessage],
    now: datetime,
    settings: Settings,
) -> Settled:
    """Record what the provider said about one stuck message; the caller commits."""
    message = _still_stuck(session, in_flight)
    if message is None:
        return Settled.MOVED_ON
    sids = [receipt.sid for receipt in found]
    known = set(session.scalars(select(Message.provider_sid).where(Message.provider_sid.in_(sids))))
    receipt = next((receipt for receipt in found if receipt.sid not in known), None)
    if receipt is not None:
        # It was handed over when the attempt began (or when it was marked), not now.
        record_receipts(
            session=session,
            channel=channel,
            receipts=[
                (
                    message.id,
                    message.attempts,
                    receipt,
                    in_flight.handed_at or in_flight.started_at,
                )
            ],
            settings=settings,
        )
        return Settled.FOUND
    message.status = MessageStatus.PLANNED
    message.not_before = None
    message.sent_at = None
    message.updated_at = now
    enqueue(session=session, payload=CHANNELS[channel.channel].send_task([message.id]))
    return Settled.RETRY


def sweep_in_flight(
    *,
    transaction: Transaction,
    channels: Sequence[Channel],
    settings: Settings,
    now: datetime,
    claim: Callable[[Session], bool] = lambda _session: True,
    stuck_after: timedelta = STUCK_AFTER,
    limit: int = SWEEP_LIMIT,
) -> Counter[Settled] | None:
    """Settle up to `limit` stuck messages per channel; None when `claim` says another sweep
    has this slot."""
    with transaction() as session:
        if not claim(session):
            return None
        stuck = [
            (channel, in_flight)
            for channel in channels
            for in_flight in find_stuck(
                session=session, channel=channel, now=now, stuck_after=stuck_after, limit=limit
            )
        ]
    outcomes: Counter[Settled] = Counter()
    for channel, in_flight in stuck:
        extra = {"message_id": str(in_flight.message_id), "channel": channel.channel}
        try:
            found = channel.settle(in_flight)
        except LookupUnavailableError as exc:
            log.warning(
                "lookup failed; left for the next sweep", extra={**extra, "reason": str(exc)}
            )
            outcomes[Settled.UNKNOWN] += 1
            continue
        except PermanentProviderError as error:
            with transaction() as session:
                message = _still_stuck(session, in_flight)
                if message is not None:
                    give_up(
                        session=session,
                        message=message,
                        code=None,
                        reason=error.reason,
                        now=now,
                        settings=settings,
                    )
            outcomes[Settled.GAVE_UP if message is not None else Settled.MOVED_ON] += 1
            continue
        with transaction() as session:
            outcome = settle(
                session=session,
                channel=channel,
                in_flight=in_flight,
                found=found,
                now=now,
                settings=settings,
            )
        log.info("in-flight message settled", extra={**extra, "outcome": outcome.value})
        outcomes[outcome] += 1
    return outcomes
