"""Once a channel cannot carry a message, the message goes once on the person's next one.

A provider's refusal that is the channel's rather than the message's (the number is not on
WhatsApp, the template was rejected, the bot was blocked: `falls_back=True`), or a channel the
person or a coordinator switched off after the message was planned, does not end the message:
the same purpose for the same subject is planned on the next usable messenger after the failed
channel in the person's order, inside the channels the message's batch was sent on, and queued
in the caller's transaction. Its dedupe key carries the `fallback` version
(`birge_shared.outbound.dedupe`), so there is one fallback per message and a fallback never
falls back again. The lifecycle calls this in one place for every channel; a delivery status
that arrives later (a webhook) may call it too.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.channels import channels_of, usable_orders
from birge_shared.free_text import FREE_TEXT_PURPOSES
from birge_shared.models import Channel, Message, MessageChannel, Participant
from birge_shared.outbound.channels import CHANNELS
from birge_shared.outbound.choice import choice_of
from birge_shared.outbound.dedupe import DedupeKey, parse_dedupe_key
from birge_shared.outbound.plan import Target, plan_messages, queue_planned

log = logging.getLogger(__name__)


def next_channel(
    *, session: Session, message: Message, key: DedupeKey, person: Participant
) -> MessageChannel | None:
    """The person's next usable messenger after the message's channel that carries its
    purpose, is inside its batch's choice and has not had this message yet; None if none."""
    failed = Channel(message.channel.value)
    order = [state.channel for state in channels_of(session, person)]
    after = order[order.index(failed) + 1 :] if failed in order else order
    usable = set(usable_orders(session, [person])[person.id])
    allowed = choice_of(session, message)
    candidates = [
        CHANNELS[MessageChannel(channel.value)]
        for channel in after
        if channel in usable and MessageChannel(channel.value) in CHANNELS
    ]
    for spec in candidates:
        if not (
            spec.messenger
            and spec.channel is not message.channel
            and key.purpose in spec.purposes
            and (allowed is None or spec.channel in allowed)
            and spec.reachable(person)
        ):
            continue
        # The same message on that channel, first-hand or as a fallback, already exists.
        own = DedupeKey(
            subject=key.subject,
            subject_id=key.subject_id,
            channel=spec.channel,
            purpose=key.purpose,
            version=key.version,
        )
        had = session.scalar(
            select(Message.id)
            .where(Message.dedupe_key.in_([str(own), str(key.falling_back_to(spec.channel))]))
            .limit(1)
        )
        if had is None:
            return spec.channel
    return None


def plan_fallback(*, session: Session, message: Message) -> uuid.UUID | None:
    """Plan and queue the one fallback of a message its channel could not carry.

    The caller has marked the message failed or skipped, and commits. Returns the new
    message's id, or None when there is no fallback: the message is itself one, it has none
    of the one key format, or the person has no further channel.
    """
    key = parse_dedupe_key(message.dedupe_key)
    if key is None or key.fallback or message.fallback_of_id is not None:
        return None
    person = session.get(Participant, message.participant_id) if message.participant_id else None
    if person is None or person.erased_at is not None or person.opted_out_at is not None:
        return None
    channel = next_channel(session=session, message=message, key=key, person=person)
    if channel is None:
        log.info("no channel to fall back to", extra={"message_id": str(message.id)})
        return None
    planned = plan_messages(
        session=session,
        purpose=key.purpose,
        targets=[
            Target(
                participant=person,
                invitation_id=message.invitation_id,
                subject=key.subject,
                subject_id=key.subject_id,
            )
        ],
        channels={channel},
        version=key.version,
        # A coordinator's own words are the message; any other text is made at sending.
        body_encrypted=message.body_encrypted if key.purpose in FREE_TEXT_PURPOSES else None,
        batch_id=message.batch_id,
        fallback_of_id=message.id,
    )
    queue_planned(session=session, planned=planned)
    fallback_id = next(iter(planned.of(channel)), None)
    log.info(
        "message falls back to the next channel",
        extra={
            "message_id": str(message.id),
            "from": message.channel.value,
            "to": channel.value,
            "fallback_id": str(fallback_id) if fallback_id else None,
        },
    )
    return fallback_id
