"""How often the periodic tasks run; beat sends them and each run claims its slot."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from birge_shared.settings import Settings
from birge_shared.tasks import (
    CALENDAR_READ_REPLIES,
    EVENTS_COMPLETE_PAST,
    INVITATIONS_EXPIRE_DUE,
    MESSAGES_RELEASE_DUE,
    MESSAGES_SWEEP_IN_FLIGHT,
    OUTBOX_RELAY,
    REMINDERS_SEND_DUE,
    RETENTION_PURGE,
    SURVEYS_SEND_DUE,
    WHATSAPP_SYNC_TEMPLATES,
)

# The relay is what starts a coordinator's batch (the API never talks to the broker), so its tick
# is the wait between "Send" and the first message. A second: beat keeps whole seconds, and a
# shorter interval only sends two ticks at once, the second finding its slot taken.
RELAY_INTERVAL = timedelta(seconds=1)
COMPLETE_PAST_INTERVAL = timedelta(minutes=5)
# Expiry frees seats for the waitlist, so a freed seat waits at most a minute.
EXPIRE_DUE_INTERVAL = timedelta(minutes=1)
# A message released from quiet hours or a retry backoff waits at most this much longer.
MESSAGES_RELEASE_INTERVAL = timedelta(seconds=30)
MESSAGES_SWEEP_INTERVAL = timedelta(minutes=1)
# Reminders and surveys are due at a minute's precision; a tick plans what came due.
REMINDERS_INTERVAL = timedelta(minutes=1)
SURVEYS_INTERVAL = timedelta(minutes=1)
# Retention is counted in days: purging once a day keeps nothing more than a day too long.
RETENTION_PURGE_INTERVAL = timedelta(days=1)

INTERVALS: dict[str, timedelta] = {
    OUTBOX_RELAY: RELAY_INTERVAL,
    EVENTS_COMPLETE_PAST: COMPLETE_PAST_INTERVAL,
    INVITATIONS_EXPIRE_DUE: EXPIRE_DUE_INTERVAL,
    MESSAGES_RELEASE_DUE: MESSAGES_RELEASE_INTERVAL,
    MESSAGES_SWEEP_IN_FLIGHT: MESSAGES_SWEEP_INTERVAL,
    REMINDERS_SEND_DUE: REMINDERS_INTERVAL,
    SURVEYS_SEND_DUE: SURVEYS_INTERVAL,
    RETENTION_PURGE: RETENTION_PURGE_INTERVAL,
}

# A tick still queued after this long is dropped by the worker: the next tick does the same
# work, so a worker coming back after an outage does not run hundreds of stale ticks.
_STALE_AFTER = timedelta(minutes=1)


def whatsapp_sync_interval(settings: Settings) -> timedelta:
    """WhatsApp's review takes minutes to days; WHATSAPP_TEMPLATE_SYNC_MINUTES says how often."""
    return timedelta(minutes=settings.whatsapp_template_sync_minutes)


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    # The reply mailbox is polled as often as its operator asks (CALENDAR_REPLY_POLL_SECONDS):
    # a provider may limit how often one account logs in.
    intervals = {
        **INTERVALS,
        CALENDAR_READ_REPLIES: timedelta(seconds=settings.calendar_reply_poll_seconds),
        WHATSAPP_SYNC_TEMPLATES: whatsapp_sync_interval(settings),
    }
    return {
        name: {
            "task": name,
            "schedule": interval,
            "options": {"expires": max(interval, _STALE_AFTER).total_seconds()},
        }
        for name, interval in intervals.items()
    }
