"""`events.changed`: participants hear about a new title, venue or time, once per final state.

Which fields notify is decided in `birge_shared.event_changes`: title, venue (name, address,
coordinates), starts_at and ends_at raise the event's calendar SEQUENCE and write an
`EventChanged` row due when the settle window (`CHANGE_NOTICE_SETTLE_MINUTES`) has passed.
Description, capacity, activity type and mix band do not notify.

Several edits within the window write several rows. Each run compares its row's sequence with
the event's current one and does nothing when a later edit superseded it, so only the last
edit's row notifies, with the event as it then is, naming what differs from what participants
last heard (`event.change_base`): one notice per person for the lot. An edit undone within the
window notifies nobody. The notice is released as one `change_notice` batch, counted against
the city's daily SMS budget and held for an administrator past it. A run repeated for the same
sequence plans nothing new (the dedupe keys carry the sequence, and the base is cleared).
"""

from __future__ import annotations

import enum
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.budget import release
from birge_shared.event_changes import changed_aspects, notifying_snapshot
from birge_shared.models import (
    BatchKind,
    BatchStatus,
    Event,
    EventStatus,
    Invitation,
    MessageChannel,
    MessagePurpose,
)
from birge_workers.notifications.notices import NOTIFIED, plan_notices

log = logging.getLogger(__name__)

PURPOSE = MessagePurpose.EVENT_CHANGED


class ChangeOutcome(enum.StrEnum):
    NOTIFIED = "notified"
    SUPERSEDED = "superseded"  # a later change will notify
    NOT_SCHEDULED = "not_scheduled"  # cancelled or over: the cancellation speaks, or nobody
    UNCHANGED = "unchanged"  # undone before it settled: participants know the event as it is
    HELD = "held"  # past the city's SMS budget: waits for an administrator's approval
    UNKNOWN_EVENT = "unknown_event"


@dataclass(frozen=True)
class ChangeNotice:
    outcome: ChangeOutcome
    sms: int = 0
    emails: int = 0
    changes: tuple[str, ...] = ()


def notify_change(*, session: Session, event_id: uuid.UUID, sequence: int) -> ChangeNotice:
    """Plan the updated invitation e-mails and the change SMS for one event version."""
    event = session.scalar(select(Event).where(Event.id == event_id).with_for_update(of=Event))
    extra = {"event_id": str(event_id), "sequence": sequence}
    if event is None:
        log.info("change of an unknown event", extra=extra)
        return ChangeNotice(ChangeOutcome.UNKNOWN_EVENT)
    if event.status is not EventStatus.SCHEDULED:
        log.info("change of an event no longer scheduled", extra=extra)
        return ChangeNotice(ChangeOutcome.NOT_SCHEDULED)
    if sequence != event.sequence:
        # Lower: a later edit has its own row. Higher cannot be written by the events
        # service; either way this row does not describe the event as it is.
        log.info("change superseded", extra={**extra, "current": event.sequence})
        return ChangeNotice(ChangeOutcome.SUPERSEDED)
    # None only for a change written before the base was kept: named as "details".
    base = event.change_base
    changes = changed_aspects(base, notifying_snapshot(event)) if base is not None else ["details"]
    event.change_base = None
    if not changes:
        log.info("change undone before it settled", extra=extra)
        session.flush()
        return ChangeNotice(ChangeOutcome.UNCHANGED)
    invitations = list(
        session.scalars(
            select(Invitation)
            .where(Invitation.event_id == event.id, Invitation.status.in_(NOTIFIED))
            .order_by(Invitation.id)
        )
    )
    planned = plan_notices(
        session=session, event=event, invitations=invitations, purpose=PURPOSE, queue_now=False
    )
    batch = release(
        session=session,
        event=event,
        kind=BatchKind.CHANGE_NOTICE,
        purpose=PURPOSE,
        planned=planned,
        changes=changes,
    )
    session.flush()
    held = batch is not None and batch.status is BatchStatus.AWAITING_APPROVAL
    log.info(
        "change notices planned",
        extra={
            **extra,
            "sms": len(planned.of(MessageChannel.SMS)),
            "emails": len(planned.of(MessageChannel.EMAIL)),
            "changes": changes,
            "held": held,
        },
    )
    return ChangeNotice(
        ChangeOutcome.HELD if held else ChangeOutcome.NOTIFIED,
        sms=len(planned.of(MessageChannel.SMS)),
        emails=len(planned.of(MessageChannel.EMAIL)),
        changes=tuple(changes),
    )
