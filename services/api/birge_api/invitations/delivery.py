"""Per-channel delivery of an event's messages: each invitation's messages by channel, and the
event's counts per channel and status.

An invitation goes on the person's first usable messenger, with a calendar e-mail beside it,
and once on the next messenger if the first could not carry it (`birge_shared.outbound
.fallback`); these read what happened on each.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from birge_api.invitations.schemas import (
    ChannelDelivery,
    ChannelSummary,
    DeliveryStatus,
    DeliverySummary,
    SummaryStatus,
)
from birge_shared.models import (
    Invitation,
    Message,
    MessageChannel,
    MessageDirection,
    MessagePurpose,
    MessageStatus,
)
from birge_shared.outbound.choice import CHOOSABLE

#: How a message's status reads on the roster.
ROSTER_STATUS: dict[MessageStatus, DeliveryStatus] = {
    MessageStatus.PLANNED: "planned",
    MessageStatus.SENDING: "queued",
    MessageStatus.QUEUED: "queued",
    MessageStatus.SENT: "sent",
    MessageStatus.DELIVERED: "delivered",
    MessageStatus.READ: "read",
    MessageStatus.UNDELIVERED: "undelivered",
    MessageStatus.FAILED: "failed",
    MessageStatus.SKIPPED: "skipped",
}
#: How a message's status counts in the event's summary.
SUMMARY_STATUS: dict[MessageStatus, SummaryStatus] = {
    MessageStatus.PLANNED: "queued",
    MessageStatus.SENDING: "queued",
    MessageStatus.QUEUED: "queued",
    MessageStatus.SENT: "sent",
    MessageStatus.DELIVERED: "delivered",
    MessageStatus.READ: "read",
    MessageStatus.UNDELIVERED: "failed",
    MessageStatus.FAILED: "failed",
    MessageStatus.SKIPPED: "skipped",
}


def current_messenger() -> ColumnElement[bool]:
    """A condition on `Message`: a messenger's message no fallback replaced, the one that
    tells where an invitation is (e-mail comes beside it and is not counted)."""
    replacement = aliased(Message)
    return and_(
        Message.channel != MessageChannel.EMAIL,
        ~exists().where(replacement.fallback_of_id == Message.id),
    )


def messages_by_invitation(
    session: Session, invitation_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[ChannelDelivery]]:
    """The invitation messages of these invitations, by channel, oldest first: one query."""
    if not invitation_ids:
        return {}
    replaced = aliased(Message)
    rows = session.execute(
        select(
            Message.invitation_id,
            Message.channel,
            Message.status,
            Message.error_reason,
            Message.error_code,
            Message.updated_at,
            replaced.channel,
        )
        .outerjoin(replaced, Message.fallback_of_id == replaced.id)
        .where(
            Message.invitation_id.in_(list(invitation_ids)),
            Message.purpose == MessagePurpose.INVITATION,
            Message.direction == MessageDirection.OUTBOUND,
        )
        .order_by(Message.invitation_id, Message.created_at, Message.id)
    ).all()
    found: dict[uuid.UUID, list[ChannelDelivery]] = {}
    for invitation_id, channel, status, reason, code, updated_at, fallback_of in rows:
        if invitation_id is None:
            continue
        found.setdefault(invitation_id, []).append(
            ChannelDelivery(
                channel=channel,
                status=ROSTER_STATUS[status],
                reason=reason if status in _EXPLAINED else None,
                error_code=code if status in _EXPLAINED else None,
                fallback_of=fallback_of,
                updated_at=updated_at,
            )
        )
    return found


#: The statuses whose reason and code say something (a sent message's are cleared anyway).
_EXPLAINED = frozenset({MessageStatus.FAILED, MessageStatus.UNDELIVERED, MessageStatus.SKIPPED})


def summary(session: Session, event_id: uuid.UUID) -> DeliverySummary:
    """Every outbound message to the event's invitees, counted per channel and status."""
    rows = session.execute(
        select(Message.channel, Message.status, func.count())
        .join(Invitation, Message.invitation_id == Invitation.id)
        .where(Invitation.event_id == event_id, Message.direction == MessageDirection.OUTBOUND)
        .group_by(Message.channel, Message.status)
    ).all()
    counts: dict[MessageChannel, Counter[str]] = {}
    for channel, status, count in rows:
        name = SUMMARY_STATUS.get(status)
        if name is None:
            continue
        by_status = counts.setdefault(channel, Counter())
        by_status[name] += count
        by_status["total"] += count
    return DeliverySummary(
        channels=[
            ChannelSummary(channel=channel, **counts[channel])
            for channel in CHOOSABLE
            if channel in counts
        ]
    )
