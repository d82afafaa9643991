"""Reminders before an event, to every participant who accepted, at each of its offsets.

The table is the schedule: every minute `reminders.send_due` looks at the accepted invitations
of scheduled events and plans the reminders whose time has come; nothing waits in the broker.

When a reminder goes:
- at `starts_at - offset` (offsets are minutes, by default 24 h and 2 h), unless that moment
  falls in the quiet hours of the event city's local time. Then it goes at the **last allowed
  minute before those quiet hours began**, `quiet_hours_start - 1 minute`: the 2 h reminder of
  a 09:30 event (07:30, inside 21:00–09:00) goes at 20:59 the evening before. Earlier rather
  than later, because the later moment would be after the event, or too close to it;
- only while the event has not started, and only to an invitation still accepted;
- one reminder per tick: when several are due together (the workers were down, or the person
  accepted late), only the latest due goes, since an older one says the same, less precisely.
  A reminder whose time came before the person accepted is not sent at all: they have just
  had the confirmation with the date, time and place.

Exactly once: each reminder has the dedupe key `invitation:<id>:sms:reminder:<offset>:<start
epoch>`, so a retried task or a second beat plans nothing new, and a rescheduled event gets
fresh reminders at its new times. The sending side skips a planned reminder whose key no longer
matches the event's start or offsets, or whose invitation is no longer accepted; a cancelled
event's reminders are skipped there too.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from celery import Celery
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.db import session_scope
from birge_shared.followup import (
    REMINDER,
    REMINDER_LOOKAHEAD,
    reminder_dedupe_key,
    reminder_version,
)
from birge_shared.models import (
    Event,
    EventStatus,
    Invitation,
    InvitationStatus,
    Message,
    Participant,
    utcnow,
)
from birge_shared.outbound.channels import CHANNELS
from birge_shared.outbound.dedupe import parse_dedupe_key
from birge_shared.outbound.plan import Planned, Target, plan_messages, queue_planned
from birge_shared.settings import Settings, get_settings
from birge_shared.tasks import REMINDERS_SEND_DUE
from birge_workers.periodic import once_per_slot
from birge_workers.schedule import REMINDERS_INTERVAL
from birge_workers.sending.quiet_hours import in_quiet_hours

log = logging.getLogger(__name__)

#: Keys checked against existing messages in one query at most this many at a time.
_KEYS_PER_QUERY = 1000
#: The messengers that carry reminders: a reminder goes on the person's first usable one.
REMINDER_CHANNELS = frozenset(
    spec.channel for spec in CHANNELS.values() if spec.messenger and REMINDER in spec.purposes
)


def last_allowed_time(moment: datetime, *, timezone: str, start: time, end: time) -> datetime:
    """`moment` itself outside quiet hours; else one minute before the quiet hours began.

    The quiet hours around a moment after midnight began the evening before. Built from the
    local wall-clock start, so a clock change does not shift it.
    """
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    if not in_quiet_hours(local.time(), start=start, end=end):
        return moment
    day = local.date()
    if start > end and local.time() < end:
        day -= timedelta(days=1)
    began = datetime.combine(day, start, tzinfo=zone)
    return (began - timedelta(minutes=1)).astimezone(UTC)


def reminder_time(
    starts_at: datetime, offset: int, *, timezone: str, start: time, end: time
) -> datetime:
    return last_allowed_time(
        starts_at - timedelta(minutes=offset), timezone=timezone, start=start, end=end
    )


def due_offset(
    event: Event, *, now: datetime, accepted_at: datetime | None, start: time, end: time
) -> int | None:
    """The offset of the reminder to send now, or None.

    The latest reminder whose time has come, provided the event has not started and the
    person accepted before that time (an unknown acceptance time counts as long ago).
    """
    if event.starts_at <= now:
        return None
    due = [
        (at, offset)
        for offset in event.reminder_offsets
        if (
            at := reminder_time(
                event.starts_at, offset, timezone=event.city.timezone, start=start, end=end
            )
        )
        <= now
    ]
    if not due:
        return None
    at, offset = max(due)
    if accepted_at is not None and at < accepted_at:
        return None
    return offset


def send_due_reminders(*, session: Session, now: datetime, settings: Settings) -> int:
    """Plan and queue the reminders due now; return how many were planned. The caller commits."""
    rows = session.execute(
        select(Invitation.id, Participant, Invitation.responded_at, Event)
        .join(Event, Invitation.event_id == Event.id)
        .join(Participant, Invitation.participant_id == Participant.id)
        .where(
            Invitation.status == InvitationStatus.ACCEPTED,
            Event.status == EventStatus.SCHEDULED,
            Event.starts_at > now,
            Event.starts_at <= now + REMINDER_LOOKAHEAD,
            # Nobody to send to: the sending side would skip these anyway.
            Participant.erased_at.is_(None),
            Participant.opted_out_at.is_(None),
            Participant.phone_encrypted.is_not(None),
        )
    ).all()
    wanted: dict[str, tuple[Target, str]] = {}
    for invitation_id, person, accepted_at, event in rows:
        offset = due_offset(
            event,
            now=now,
            accepted_at=accepted_at,
            start=settings.quiet_hours_start,
            end=settings.quiet_hours_end,
        )
        if offset is not None:
            key = reminder_dedupe_key(invitation_id, offset, event.starts_at)
            target = Target(participant=person, invitation_id=invitation_id)
            wanted[key] = (target, reminder_version(offset, event.starts_at))
    by_version: dict[str, list[Target]] = {}
    for key in _not_yet_planned(session, list(wanted)):
        target, version = wanted[key]
        by_version.setdefault(version, []).append(target)
    planned = Planned()
    for version, targets in by_version.items():
        planned.extend(
            plan_messages(
                session=session,
                purpose=REMINDER,
                targets=targets,
                # The person's first messenger that carries reminders.
                channels=REMINDER_CHANNELS,
                version=version,
            )
        )
    queue_planned(session=session, planned=planned)
    if planned:
        log.info("reminders planned", extra={"count": len(planned.all())})
    return len(planned.all())


def _not_yet_planned(session: Session, keys: list[str]) -> list[str]:
    # Every due reminder stays due until the event starts, so most keys of a tick were
    # planned by an earlier one: one read skips them without an insert attempt each. A
    # reminder is planned on one messenger; its key on each is looked for.
    variants = {key: _on_each_channel(key) for key in keys}
    every = [variant for key in keys for variant in variants[key]]
    existing: set[str | None] = set()
    for first in range(0, len(every), _KEYS_PER_QUERY):
        chunk = every[first : first + _KEYS_PER_QUERY]
        existing.update(
            session.scalars(select(Message.dedupe_key).where(Message.dedupe_key.in_(chunk)))
        )
    return [key for key in keys if existing.isdisjoint(variants[key])]


def _on_each_channel(key: str) -> list[str]:
    parsed = parse_dedupe_key(key)
    assert parsed is not None  # made by `reminder_dedupe_key`
    return [str(replace(parsed, channel=channel)) for channel in REMINDER_CHANNELS]


def _send_due(*, session: Session, now: datetime) -> int:
    return send_due_reminders(session=session, now=now, settings=get_settings())


#: The periodic work as the task runs it: at most once per minute, however many beats fire.
send_due_reminders_once = once_per_slot(REMINDERS_SEND_DUE, REMINDERS_INTERVAL)(_send_due)


def reminders_send_due() -> int | None:
    """Plan the reminders due now; None when another beat's tick already ran this minute."""
    with session_scope() as session:
        return send_due_reminders_once(session=session, now=utcnow())


def register_reminder_tasks(app: Celery) -> None:
    app.task(name=REMINDERS_SEND_DUE)(reminders_send_due)
