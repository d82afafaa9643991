"""The one planning path: a purpose for some people becomes one `message` row per channel.

An invitation (a coordinator's batch, or a seat the waitlist refills), a reminder, a survey
step, a notice of a change or a cancellation, an answer to a text: each is planned here, for
every channel that carries the purpose and on which the person has an address, under the one
dedupe-key format (`birge_shared.outbound.dedupe`). Nothing is rendered and nothing personal
is stored: the text is made when it is sent, with the event as it is then. Only a
coordinator's own words (`birge_shared.free_text`), which no template holds, come as
`body_encrypted`.

Whether a planned message is still wanted when its turn comes is not decided here but by the
sender (`birge_workers.outbound.wanted`), in one place for every channel.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from birge_shared.bulk import among, insert_rows
from birge_shared.channels import usable_orders
from birge_shared.models import (
    Channel,
    Event,
    Invitation,
    Message,
    MessageChannel,
    MessageDirection,
    MessagePurpose,
    MessageStatus,
    OutboxEntry,
    Participant,
    utcnow,
)
from birge_shared.outbound.channels import CHANNELS, ChannelSpec
from birge_shared.outbound.dedupe import ONCE, DedupeKey, KeySubject
from birge_shared.outbox import enqueue
from birge_shared.settings import get_settings

#: Rows per INSERT: well under SQLite's limit on bound parameters.
_INSERT_ROWS = 500
#: The alternatives one message goes on: the first of them in the person's order.
_MESSENGERS = frozenset(spec.channel for spec in CHANNELS.values() if spec.messenger)


@dataclass(frozen=True, slots=True)
class Target:
    """One person a purpose is planned for, and what the message is about."""

    participant: Participant
    invitation_id: uuid.UUID | None = None
    subject: KeySubject = KeySubject.INVITATION
    #: The key's subject id; the invitation's id when not given.
    subject_id: str | None = None
    #: The event's calendar SEQUENCE, for channels planned again per version.
    sequence: int = 0


@dataclass
class Planned:
    """The ids of planned messages, by channel, in the order they were planned."""

    ids: dict[MessageChannel, list[uuid.UUID]] = field(default_factory=dict)
    #: The invitations that got at least one message.
    invitation_ids: set[uuid.UUID] = field(default_factory=set)

    def of(self, channel: MessageChannel) -> list[uuid.UUID]:
        return self.ids.get(channel, [])

    def all(self) -> list[uuid.UUID]:
        return [message_id for ids in self.ids.values() for message_id in ids]

    def add(self, channel: MessageChannel, message_id: uuid.UUID) -> None:
        self.ids.setdefault(channel, []).append(message_id)

    def extend(self, other: Planned) -> None:
        for channel, ids in other.ids.items():
            self.ids.setdefault(channel, []).extend(ids)
        self.invitation_ids |= other.invitation_ids

    def __bool__(self) -> bool:
        return any(self.ids.values())


def plan_messages(
    *,
    session: Session,
    purpose: MessagePurpose,
    targets: Sequence[Target],
    channels: Collection[MessageChannel] | None = None,
    version: str | None = None,
    not_before: datetime | None = None,
    body_encrypted: str | None = None,
    segments: int | None = None,
    batch_id: uuid.UUID | None = None,
    fallback_of_id: uuid.UUID | None = None,
) -> Planned:
    """Plan `purpose` for each target on each of its channels; the caller queues and commits.

    `channels` narrows the choice (an answer to a text goes back by SMS); `version` is the
    key's version, else the event's SEQUENCE on a channel planned per version and once
    otherwise. A message whose key exists already is not planned again and is not returned.
    `fallback_of_id` makes the messages the fallback of that message (their key says so).
    """
    now = utcnow()
    rows: list[dict[str, Any]] = []
    orders = usable_orders(session, [target.participant for target in targets])
    for target in targets:
        for spec in channels_for(
            purpose=purpose,
            participant=target.participant,
            order=orders[target.participant.id],
            allowed=channels,
        ):
            subject_id = target.subject_id or str(target.invitation_id)
            key = DedupeKey(
                subject=target.subject,
                subject_id=subject_id,
                channel=spec.channel,
                purpose=purpose,
                version=version
                if version is not None
                else (str(target.sequence) if spec.per_sequence else ONCE),
                fallback=fallback_of_id is not None,
            )
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "direction": MessageDirection.OUTBOUND,
                    "channel": spec.channel,
                    "purpose": purpose.value,
                    "dedupe_key": str(key),
                    "invitation_id": target.invitation_id,
                    "participant_id": target.participant.id,
                    "status": MessageStatus.PLANNED,
                    "attempts": 0,
                    "not_before": not_before,
                    "body_encrypted": body_encrypted,
                    "segments": segments,
                    "batch_id": batch_id,
                    "fallback_of_id": fallback_of_id,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    planned = Planned()
    inserted: set[uuid.UUID] = set()
    for start in range(0, len(rows), _INSERT_ROWS):
        inserted |= _insert_new(session, rows[start : start + _INSERT_ROWS])
    for row in rows:  # in planning order, whatever order RETURNING gave
        if row["id"] in inserted:
            planned.add(row["channel"], row["id"])
            if row["invitation_id"] is not None:
                planned.invitation_ids.add(row["invitation_id"])
    return planned


def channels_for(
    *,
    purpose: MessagePurpose,
    participant: Participant,
    order: Sequence[Channel],
    allowed: Collection[MessageChannel] | None = None,
) -> list[ChannelSpec]:
    """The channels a purpose goes on for one person: their first usable messenger that
    carries it, and e-mail beside it when they have it.

    A person with no usable messenger still gets the purpose planned by SMS, so that the
    sender, when its turn comes, records why nobody was written to (and, for an invitation,
    frees the seat) in one place for every case.
    """
    candidates = [
        CHANNELS[MessageChannel(channel.value)]
        for channel in order
        if MessageChannel(channel.value) in CHANNELS
    ]
    usable = [
        spec
        for spec in candidates
        if purpose in spec.purposes
        and (allowed is None or spec.channel in allowed)
        and spec.reachable(participant)
        and spec.available()
    ]
    messenger = next((spec for spec in usable if spec.messenger), None)
    sms = CHANNELS[MessageChannel.SMS]
    if (
        messenger is None
        and purpose in sms.purposes
        and (allowed is None or MessageChannel.SMS in allowed)
    ):
        messenger = sms
    others = [spec for spec in usable if not spec.messenger]
    return [messenger, *others] if messenger is not None else others


def plan_one(
    *,
    session: Session,
    purpose: MessagePurpose,
    participant_id: uuid.UUID,
    invitation_id: uuid.UUID | None = None,
    subject: KeySubject = KeySubject.INVITATION,
    subject_id: str | None = None,
    channel: MessageChannel | None = MessageChannel.SMS,
    version: str | None = None,
    not_before: datetime | None = None,
    body_encrypted: str | None = None,
    segments: int | None = None,
) -> uuid.UUID | None:
    """`plan_messages` for one person on one channel (None: their first messenger that
    carries the purpose): the id, or None when already planned."""
    person = session.get(Participant, participant_id)
    if person is None:
        raise LookupError("no such participant")
    planned = plan_messages(
        session=session,
        purpose=purpose,
        targets=[
            Target(
                participant=person,
                invitation_id=invitation_id,
                subject=subject,
                subject_id=subject_id,
            )
        ],
        channels={channel} if channel is not None else _MESSENGERS,
        version=version,
        not_before=not_before,
        body_encrypted=body_encrypted,
        segments=segments,
    )
    return next(iter(planned.all()), None)


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert the rows whose dedupe key is free, in one statement; the ids inserted."""
    table = cast(Table, Message.__table__)
    return set(insert_rows(session, table, rows, returning=table.c.id, skip_conflicts=True))


def plan_invitations(
    *,
    session: Session,
    invitation_ids: Sequence[uuid.UUID],
    channels: Collection[MessageChannel] | None = None,
) -> Planned:
    """The invitation messages of these invitations, on each person's channels.

    The one path from an invitation to its messages: a coordinator's batch (the fan-out), a
    seat refilled from the waitlist and a coordinator's promotion all come through here.
    """
    if not invitation_ids:
        return Planned()
    rows = session.execute(
        select(Invitation.id, Participant, Event.sequence)
        .join(Participant, Invitation.participant_id == Participant.id)
        .join(Event, Invitation.event_id == Event.id)
        .where(among(session, Invitation.id, invitation_ids))
        .order_by(Invitation.id)
    ).all()
    return plan_messages(
        session=session,
        purpose=MessagePurpose.INVITATION,
        targets=[
            Target(participant=person, invitation_id=invitation_id, sequence=sequence)
            for invitation_id, person, sequence in rows
        ],
        channels=channels,
    )


def chunked(ids: Sequence[uuid.UUID], size: int) -> Iterable[list[uuid.UUID]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def queue_planned(
    *, session: Session, planned: Planned, chunk_size: int | None = None
) -> list[OutboxEntry]:
    """The send tasks of planned messages, per channel in chunks, through the outbox; the
    outbox rows written.

    `chunk_size` overrides each channel's own size.
    """
    entries: list[OutboxEntry] = []
    for channel, ids in planned.ids.items():
        spec = CHANNELS[channel]
        size = chunk_size or spec.chunk_size or get_settings().sms_chunk_size
        for chunk in chunked(ids, size):
            entries.append(enqueue(session=session, payload=spec.send_task(chunk)))
    return entries
