"""Claiming one SMS as the sender would, to see what it decides and the text it renders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from birge_shared.settings import Settings
from birge_workers.outbound.lifecycle import Outcome, claim_chunk
from birge_workers.sms.channel import Sms, SmsChannel
from birge_workers.sms.fake import FakeSmsProvider


@dataclass(frozen=True)
class ClaimedSms:
    body: str
    #: The event's start, past which the provider must not deliver it (None: its default).
    event_starts_at: datetime | None


def claim_sms(
    *, session: Session, message_id: uuid.UUID, settings: Settings, now: datetime
) -> ClaimedSms | Outcome:
    """The claim step of `sms.send` for one message: what it would send, or why not."""
    claim = claim_chunk(
        session=session,
        channel=SmsChannel(FakeSmsProvider()),
        message_ids=[message_id],
        settings=settings,
        now=now,
    )
    if not claim.claimed:
        return claim.outcomes[message_id]
    sms = claim.claimed[0].composed.content
    assert isinstance(sms, Sms)
    return ClaimedSms(body=sms.body, event_starts_at=sms.deadline)
