"""Messages whose text a coordinator wrote: a message to an event's confirmed people, or an
answer to one person who wrote to Birge (from the inbox).

Every other message is rendered from a template when it is sent. A coordinator's own words have
no template, so the text is stored encrypted when the message is planned and the sender sends it
as it stands. It goes through the outbox and the sender like every message: quiet hours,
opt-outs, the event having started or been cancelled all still stop it.

A message to the confirmed people goes on each person's first messenger that can carry free
text now (`free_text_channels`): Telegram, WhatsApp only inside the person's 24-hour window
(no template holds a coordinator's words), else SMS. If that messenger refuses it after all,
the one fallback sends it on the next one; an SMS to an operator that does not join parts is
fitted to one segment when it is sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.bulk import among
from birge_shared.channels import usable_orders
from birge_shared.crypto import get_cipher
from birge_shared.models import (
    Channel,
    MessageChannel,
    MessagePurpose,
    Participant,
    ParticipantChannel,
)
from birge_shared.outbound.channels import CHANNELS
from birge_shared.outbound.dedupe import KeySubject
from birge_shared.outbound.plan import plan_one
from birge_shared.sms.segments import count_segments
from birge_shared.whatsapp_window import window_open

#: The purpose of a coordinator's message to the people confirmed for an event.
EVENT_MESSAGE = MessagePurpose.EVENT_MESSAGE
#: A coordinator's answer to one person who wrote to Birge (from the inbox).
COORDINATOR_REPLY = MessagePurpose.COORDINATOR_REPLY
#: Purposes whose text is the stored body, not a template.
FREE_TEXT_PURPOSES = frozenset({EVENT_MESSAGE, COORDINATOR_REPLY})


def free_text_channels(
    *,
    session: Session,
    people: Sequence[Participant],
    purpose: MessagePurpose,
    now: datetime,
) -> dict[uuid.UUID, MessageChannel]:
    """The messenger a coordinator's words go on, for each person: the first in their order
    that carries the purpose, can reach them and can carry free text now; SMS when none can
    (the sender then records why nobody was written to, as for every purpose)."""
    orders = usable_orders(session, people)
    windows = _whatsapp_windows(session, [person.id for person in people])
    return {
        person.id: next(
            (
                MessageChannel(channel.value)
                for channel in orders[person.id]
                if _carries(channel, person, purpose, windows.get(person.id), now)
            ),
            MessageChannel.SMS,
        )
        for person in people
    }


def answer_channel(
    *,
    session: Session,
    person: Participant,
    wrote_on: MessageChannel,
    purpose: MessagePurpose,
    now: datetime,
) -> MessageChannel:
    """Where an answer to the person's own message goes: back on the messenger it came on
    while that can carry free text to them (WhatsApp within their 24-hour window), else SMS."""
    if wrote_on is MessageChannel.SMS:
        return MessageChannel.SMS
    channel = Channel(wrote_on.value)
    usable = channel in usable_orders(session, [person])[person.id]
    window = _whatsapp_windows(session, [person.id]).get(person.id)
    return (
        wrote_on
        if usable and _carries(channel, person, purpose, window, now)
        else (MessageChannel.SMS)
    )


def _carries(
    channel: Channel,
    person: Participant,
    purpose: MessagePurpose,
    whatsapp_last_inbound: datetime | None,
    now: datetime,
) -> bool:
    """Can this usable channel carry a coordinator's words to the person now?"""
    spec = CHANNELS.get(MessageChannel(channel.value))
    return (
        spec is not None
        and spec.messenger
        and purpose in spec.purposes
        and spec.reachable(person)
        and spec.available()
        and (channel is not Channel.WHATSAPP or window_open(whatsapp_last_inbound, now))
    )


def _whatsapp_windows(
    session: Session, participant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, datetime | None]:
    if not participant_ids:
        return {}
    rows = session.execute(
        select(ParticipantChannel.participant_id, ParticipantChannel.last_inbound_at).where(
            ParticipantChannel.channel == Channel.WHATSAPP,
            among(session, ParticipantChannel.participant_id, participant_ids),
        )
    )
    return {row.participant_id: row.last_inbound_at for row in rows}


def plan_free_text(
    *,
    session: Session,
    purpose: MessagePurpose,
    participant_id: uuid.UUID,
    invitation_id: uuid.UUID | None,
    text: str,
    version: str,
    channel: MessageChannel = MessageChannel.SMS,
    subject: KeySubject = KeySubject.INVITATION,
    subject_id: str | None = None,
) -> uuid.UUID | None:
    """Plan one message with this text on `channel`; None when one with this key exists.

    The one way a coordinator's words become a message: to the confirmed people of an event
    (`invitation_id` given, keyed by the invitation) and as an answer from the inbox alike
    (keyed by `subject` and `subject_id`, the coordinator). An SMS's segments are counted
    now, so the city's budget counts the message before it is sent.
    """
    if purpose not in FREE_TEXT_PURPOSES:
        raise ValueError(f"{purpose!r} is rendered from a template, not free text")
    # Only these purposes are sent as stored; a template's text is rendered when it is sent.
    return plan_one(
        session=session,
        purpose=purpose,
        participant_id=participant_id,
        invitation_id=invitation_id,
        subject=subject,
        subject_id=subject_id,
        channel=channel,
        version=version,
        body_encrypted=get_cipher().encrypt(text),
        segments=count_segments(text).segments if channel is MessageChannel.SMS else None,
    )
