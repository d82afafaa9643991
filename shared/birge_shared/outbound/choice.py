"""The channels a coordinator chose for a batch of invitations, and where that choice applies.

A coordinator may send a batch on some channels only (`InvitationBatch.channels`; None is
all). The fan-out plans the batch's invitations on them, a refill of the event follows the
event's latest batch, and a message falling back to the next channel stays inside the choice
its batch was sent with.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.models import BatchKind, Invitation, InvitationBatch, Message, MessageChannel

#: What a coordinator may choose from, in the order the choice is shown.
CHOOSABLE: tuple[MessageChannel, ...] = (
    MessageChannel.WHATSAPP,
    MessageChannel.TELEGRAM,
    MessageChannel.SMS,
    MessageChannel.EMAIL,
)
#: The channels an invitation can be answered on by itself; e-mail only comes beside one.
MESSENGERS = frozenset(CHOOSABLE) - {MessageChannel.EMAIL}


class ChannelChoiceInvalidError(ValueError):
    """A batch's channel choice that cannot apply; the message says why, for the coordinator."""


def checked_choice(names: Iterable[str] | None) -> list[MessageChannel] | None:
    """A coordinator's choice as channels, in the shown order; None (all) when none given.

    Refuses unknown names and a choice without a messenger (e-mail alone reaches nobody
    who has no address, and is never the only way to answer)."""
    if names is None:
        return None
    chosen: set[MessageChannel] = set()
    for name in names:
        try:
            channel = MessageChannel(name)
        except ValueError:
            raise ChannelChoiceInvalidError(f"{name!r} is not a channel") from None
        if channel not in CHOOSABLE:
            raise ChannelChoiceInvalidError(f"{name!r} is not a channel")
        chosen.add(channel)
    if not chosen & MESSENGERS:
        raise ChannelChoiceInvalidError("choose at least one of WhatsApp, Telegram or SMS")
    return [channel for channel in CHOOSABLE if channel in chosen]


def as_channels(names: Sequence[str] | None) -> frozenset[MessageChannel] | None:
    """A stored choice (`InvitationBatch.channels`) as channels; None is all."""
    if names is None:
        return None
    return frozenset(MessageChannel(name) for name in names)


def latest_choice(session: Session, event_id: uuid.UUID) -> frozenset[MessageChannel] | None:
    """The choice of the event's latest batch of invitations: what a refill goes by."""
    names = session.scalar(
        select(InvitationBatch.channels)
        .where(
            InvitationBatch.event_id == event_id,
            InvitationBatch.kind == BatchKind.INVITATIONS,
        )
        .order_by(InvitationBatch.created_at.desc(), InvitationBatch.id.desc())
        .limit(1)
    )
    return as_channels(names)


def choice_of(session: Session, message: Message) -> frozenset[MessageChannel] | None:
    """The choice a message was sent under: its own batch's (a refill), else the batch that
    invited its person; None when neither chose."""
    batch_ids: list[uuid.UUID] = []
    if message.batch_id is not None:
        batch_ids.append(message.batch_id)
    if message.invitation_id is not None:
        invited_by = session.scalar(
            select(Invitation.batch_id).where(Invitation.id == message.invitation_id)
        )
        if invited_by is not None:
            batch_ids.append(invited_by)
    if not batch_ids:
        return None
    stored: dict[uuid.UUID, list[str] | None] = dict(
        session.execute(
            select(InvitationBatch.id, InvitationBatch.channels).where(
                InvitationBatch.id.in_(batch_ids)
            )
        ).all()
    )
    return next(
        (as_channels(stored[i]) for i in batch_ids if stored.get(i) is not None),
        None,
    )
