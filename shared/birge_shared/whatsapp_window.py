"""WhatsApp's 24-hour session window: free text only within a day of the person's last message.

WhatsApp lets a business write free text only this long after the person last wrote to it
(`participant_channel.last_inbound_at`); outside it, only an approved template. Planning asks
this to send a coordinator's own words, which no template holds, where they can arrive; the
WhatsApp sender asks it again when the message's turn comes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

#: How long after the person's last WhatsApp message free text may be written to them.
SESSION_WINDOW = timedelta(hours=24)


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Has the person written to us on WhatsApp within the last 24 hours?"""
    return last_inbound_at is not None and now - last_inbound_at < SESSION_WINDOW
