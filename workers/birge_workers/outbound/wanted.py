"""Whether a planned message is still wanted when its turn comes: the rules of every channel.

A message is planned when something happens and sent when its turn comes (after pacing, quiet
hours, a retry or an approval). By then the person may have answered, opted out or been
erased, and the event may have been cancelled, moved or started; this says, once for every
channel, which of those stops it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from birge_shared.buddies import BUDDY_NUDGE, nudge_wanted
from birge_shared.departure import AFTER_OPT_OUT
from birge_shared.followup import REMINDER, is_stale_reminder
from birge_shared.free_text import FREE_TEXT_PURPOSES
from birge_shared.models import (
    Channel,
    Event,
    EventStatus,
    Invitation,
    InvitationStatus,
    Message,
    MessageChannel,
    MessagePurpose,
    Participant,
    ParticipantChannel,
)
from birge_shared.surveys import SURVEY_PURPOSES

ERASED = "the participant was erased"
OPTED_OUT = "the participant opted out"
NO_ADDRESS = "the participant has no address on this channel"
#: The person (or a coordinator) switched this channel off after the message was planned: the
#: message falls back once to the person's next channel (`birge_shared.outbound.fallback`).
CHANNEL_OFF = "the channel was switched off for the participant"
#: Nobody will receive the message on this channel: an invitation's seat goes to the
#: waitlist, unless another of its messages (a fallback) may still reach the person.
PERSON_GONE = frozenset({ERASED, OPTED_OUT, NO_ADDRESS, CHANNEL_OFF})

#: Invitations whose holder still expects the event: its notices and calendar reach them.
EXPECTING = frozenset({InvitationStatus.PLANNED, InvitationStatus.SENT, InvitationStatus.ACCEPTED})


#: Channels usable only through their own opt-in row (WhatsApp's explicit opt-in, the linked
#: Telegram chat); SMS and e-mail are implied by the registration when no row says otherwise.
_OWN_OPT_IN = frozenset({MessageChannel.WHATSAPP, MessageChannel.TELEGRAM})


def channel_on(channel: MessageChannel, rows: Mapping[Channel, ParticipantChannel]) -> bool:
    """Is the channel on for the person: not switched off since the message was planned?"""
    row = rows.get(Channel(channel.value))
    if row is None:
        return channel not in _OWN_OPT_IN
    if channel in _OWN_OPT_IN:
        return row.usable
    return row.opted_out_at is None


def unwanted(
    *,
    message: Message,
    participant: Participant | None,
    has_address: bool,
    channel_is_on: bool = True,
    invitation: Invitation | None,
    event: Event | None,
    keeps_calendar: bool,
    now: datetime,
) -> str | None:
    """Why this message should no longer be sent, or None when it should.

    `has_address`: the person can be reached on the message's channel. `channel_is_on`:
    the channel is not switched off for them (`channel_on`). `keeps_calendar`: the channel carries
    a calendar entry, which still serves someone who already said yes.
    """
    if participant is None or participant.erased_at is not None:
        return ERASED
    purpose = message.purpose
    if participant.opted_out_at is not None and purpose not in AFTER_OPT_OUT:
        return OPTED_OUT
    if not channel_is_on and purpose not in AFTER_OPT_OUT:
        # An answer to the person's own stop on this channel still goes on it.
        return CHANNEL_OFF
    if not has_address:
        return NO_ADDRESS
    reasons = [
        (
            purpose in FREE_TEXT_PURPOSES and message.body_encrypted is None,
            "the written text was purged before it was sent",
        ),
        (
            message.invitation_id is not None and (invitation is None or event is None),
            "the invitation no longer exists",
        ),
        (
            event is not None
            and event.status is EventStatus.CANCELLED
            and purpose != MessagePurpose.EVENT_CANCELLED,
            "the event was cancelled",
        ),
        (
            event is not None
            and purpose == MessagePurpose.EVENT_CANCELLED
            and event.status is not EventStatus.CANCELLED,
            "the event is not cancelled",
        ),
        (
            event is not None
            # Surveys are about the event, so most of them go after it.
            and purpose not in SURVEY_PURPOSES
            and (
                event.status not in (EventStatus.SCHEDULED, EventStatus.CANCELLED)
                or event.starts_at <= now
            ),
            "the event has already started",
        ),
        (
            purpose == REMINDER and is_stale_reminder(message.dedupe_key, invitation, event),
            "the reminder was for another start time or an answer since changed",
        ),
        (
            purpose == BUDDY_NUDGE and invitation is not None and not nudge_wanted(invitation),
            "the buddies are no longer both coming",
        ),
        (
            purpose == MessagePurpose.INVITATION
            and invitation is not None
            and not _invitation_open(invitation.status, keeps_calendar=keeps_calendar),
            f"the invitation is already {invitation.status.value}" if invitation else "",
        ),
        (
            purpose == MessagePurpose.EVENT_CHANGED
            and invitation is not None
            and invitation.status not in EXPECTING,
            "the invitation is no longer open",
        ),
    ]
    return next((reason for applies, reason in reasons if applies), None)


def _invitation_open(status: InvitationStatus, *, keeps_calendar: bool) -> bool:
    # Sent: another channel reached the person first; its own message still goes, once.
    if status in (InvitationStatus.PLANNED, InvitationStatus.SENT):
        return True
    return keeps_calendar and status is InvitationStatus.ACCEPTED
