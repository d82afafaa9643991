"""What follows an accepted invitation, in time: reminders before the event, the survey after.

The bounds are shared by the API, which validates an event's settings against them, and the
workers, which look only this far ahead or back for due work.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from birge_shared.models import Event, Invitation, InvitationStatus, MessageChannel, MessagePurpose
from birge_shared.outbound.dedupe import DedupeKey, KeySubject, parse_dedupe_key

#: The purpose of a reminder SMS.
REMINDER = MessagePurpose.REMINDER

#: Reminders go at most two weeks and at least five minutes before the start, at most five.
MIN_REMINDER_OFFSET_MINUTES = 5
MAX_REMINDER_OFFSET_MINUTES = 14 * 24 * 60
MAX_REMINDERS = 5
#: The post survey goes at most a week after the event's end.
MAX_SURVEY_DELAY_MINUTES = 7 * 24 * 60
#: A survey whose time passed longer ago than this (the workers were down, or attendance was
#: marked late) is not sent any more: an answer weeks later says little about the event.
SURVEY_SEND_WINDOW = timedelta(days=3)
#: One survey reminder, this long after the survey link went out without any answer.
SURVEY_REMINDER_AFTER = timedelta(hours=24)

#: How far ahead the reminder task looks: the longest offset, plus the longest move out of
#: quiet hours (to the evening before).
REMINDER_LOOKAHEAD = timedelta(minutes=MAX_REMINDER_OFFSET_MINUTES) + timedelta(days=1)


def reminder_version(offset: int, starts_at: datetime) -> str:
    """A reminder's key version: its offset and the start it was planned for.

    The start is in the key, so a rescheduled event gets fresh reminders at its new times,
    and the sender can tell a reminder planned for the old time from a current one.
    """
    return f"{offset}:{int(starts_at.timestamp())}"


def reminder_dedupe_key(
    invitation_id: uuid.UUID,
    offset: int,
    starts_at: datetime,
    channel: MessageChannel = MessageChannel.SMS,
) -> str:
    """One reminder per invitation, offset and start time (and channel, which is the person's
    first messenger: SMS, or Telegram for someone who linked the bot)."""
    return str(
        DedupeKey(
            subject=KeySubject.INVITATION,
            subject_id=str(invitation_id),
            channel=channel,
            purpose=REMINDER,
            version=reminder_version(offset, starts_at),
        )
    )


def parse_reminder_key(key: str | None) -> tuple[int, int] | None:
    """The (offset, start epoch) a reminder's key was made for, or None if it is not one."""
    parsed = parse_dedupe_key(key)
    if parsed is None or parsed.purpose is not REMINDER:
        return None
    offset, _, epoch = parsed.version.partition(":")
    try:
        return int(offset), int(epoch)
    except ValueError:
        return None


def is_stale_reminder(
    dedupe_key: str | None, invitation: Invitation | None, event: Event | None
) -> bool:
    """Should the sender skip this planned reminder? (Missing rows are the sender's own rule.)

    Yes when the invitation is no longer accepted, or the event moved or dropped this offset
    since the reminder was planned: the one for the new time has its own key.
    """
    if invitation is None or event is None:
        return False
    if invitation.status is not InvitationStatus.ACCEPTED:
        return True
    planned_for = parse_reminder_key(dedupe_key)
    return (
        planned_for is None
        or planned_for[1] != int(event.starts_at.timestamp())
        or planned_for[0] not in event.reminder_offsets
    )
