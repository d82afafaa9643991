"""What follows an accepted invitation, in time: reminders before the event, the survey after.

The bounds are shared by the API, which validates an event's settings against them, and the
workers, which look only this far ahead or back for due work.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

#: The purpose of a reminder SMS.
REMINDER = "reminder"

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


def reminder_dedupe_key(invitation_id: uuid.UUID, offset: int, starts_at: datetime) -> str:
    """One reminder per invitation, offset and start time.

    The start is in the key, so a rescheduled event gets fresh reminders at its new times,
    and the sender can tell a reminder planned for the old time from a current one.
    """
    return f"invitation:{invitation_id}:reminder:{offset}:{int(starts_at.timestamp())}"


def parse_reminder_key(key: str | None) -> tuple[int, int] | None:
    """The (offset, start epoch) a reminder's key was made for, or None if it is not one."""
    parts = (key or "").split(":")
    if len(parts) != 5 or parts[0] != "invitation" or parts[2] != REMINDER:
        return None
    try:
        return int(parts[3]), int(parts[4])
    except ValueError:
        return None


def survey_dedupe_key(invitation_id: uuid.UUID, what: str) -> str:
    """The post survey's link (`post`) and its one reminder (`reminder`) per invitation."""
    return f"invitation:{invitation_id}:survey:{what}"
