"""What the console calls things: activity types, event and invitation statuses, communities,
delivery states, and the API's reasons and warnings in the reader's language.

The API speaks in stable codes and English reasons; these are the words coordinators read. A
reason the console does not know is shown as the API gave it.
"""

from __future__ import annotations

import re
from typing import Any

from birge_console.i18n import N_, _
from birge_shared.models import (
    ActivityType,
    Event,
    EventStatus,
    EventVisibility,
    Language,
    MessagePurpose,
)

ACTIVITY_NAMES: dict[ActivityType, str] = {
    ActivityType.SPORT: N_("Sport"),
    ActivityType.COOKING: N_("Cooking"),
    ActivityType.LANGUAGE_EXCHANGE: N_("Language exchange"),
    ActivityType.CULTURAL_VISIT: N_("Cultural visit"),
    ActivityType.VOLUNTEERING: N_("Volunteering"),
    ActivityType.DISCUSSION: N_("Discussion"),
    ActivityType.ARTS: N_("Arts"),
    ActivityType.GAMES: N_("Games"),
    ActivityType.OTHER: N_("Other"),
}

STATUS_NAMES: dict[EventStatus, str] = {
    EventStatus.SCHEDULED: N_("Scheduled"),
    EventStatus.CANCELLED: N_("Cancelled"),
    EventStatus.COMPLETED: N_("Completed"),
}

#: The badge colour of each status (a class in console.css).
STATUS_BADGES: dict[EventStatus, str] = {
    EventStatus.SCHEDULED: "ok",
    EventStatus.CANCELLED: "bad",
    EventStatus.COMPLETED: "",
}

VISIBILITY_NAMES: dict[EventVisibility, str] = {
    EventVisibility.PRIVATE: N_("Private: only in the console"),
    EventVisibility.PUBLIC: N_("Public: listed in the city's calendar feed"),
}

LABELS: dict[str, Any] = {
    "activity_names": ACTIVITY_NAMES,
    "status_names": STATUS_NAMES,
    "status_badges": STATUS_BADGES,
    "visibility_names": VISIBILITY_NAMES,
}

INVITATION_STATUS = {
    "planned": N_("Being sent"),
    "sent": N_("Invited, no answer yet"),
    "accepted": N_("Confirmed"),
    "declined": N_("Declined"),
    "waitlisted": N_("Waitlisted"),
    "expired": N_("No answer in time"),
    "failed": N_("Could not be reached"),
    "withdrawn": N_("Withdrawn"),
    "attended": N_("Checked in"),
    "no_show": N_("Did not come"),
}
DELIVERY_STATUS = {
    "planned": N_("Waiting to be sent"),
    "queued": N_("Handed to the operator"),
    "sent": N_("Sent"),
    "delivered": N_("Delivered"),
    "read": N_("Read"),
    "undelivered": N_("Not delivered"),
    "failed": N_("Failed"),
    "skipped": N_("Not sent"),
}
#: A channel's name as a coordinator reads it (the brands are written alike in every language).
CHANNEL = {
    "whatsapp": N_("WhatsApp"),
    "telegram": N_("Telegram"),
    "sms": N_("SMS"),
    "email": N_("E-mail"),
}
#: The columns of an event's per-channel delivery summary, by the API's status names.
SUMMARY_STATUS = {
    "queued": N_("Waiting or queued"),
    "sent": N_("Sent"),
    "delivered": N_("Delivered"),
    "read": N_("Read"),
    "failed": N_("Failed"),
    "skipped": N_("Not sent"),
}
COMMUNITY = {
    "host": N_("Host community"),
    "migrant": N_("Migrants"),
    "unspecified": N_("Not declared"),
    None: N_("Not declared"),
}
_REASONS = {
    "the waitlist is empty": N_("Nobody is waiting for a seat."),
    "the mix needs a host participant and none is waiting": N_(
        "The mix needs a person from the host community, and none is waiting."
    ),
    "the mix needs a migrant participant and none is waiting": N_(
        "The mix needs a migrant participant, and none is waiting."
    ),
    "every waiting participant would move the mix outside the band": N_(
        "Everyone waiting would move the mix outside the band."
    ),
    "every seat is held: nobody more can be invited now": N_(
        "Every seat is held: nobody more can be invited now."
    ),
    "inviting this person would move the mix outside the band": N_(
        "Inviting this person would move the mix outside the band."
    ),
}
#: What each outbound message is for, as administrators read it beside its template.
PURPOSE: dict[MessagePurpose, str] = {
    MessagePurpose.INVITATION: N_("Invitation"),
    MessagePurpose.INVITATION_WAITING: N_("Invitation while another waits for an answer"),
    MessagePurpose.ACCEPTED: N_("Acceptance confirmed"),
    MessagePurpose.DECLINED: N_("Decline confirmed"),
    MessagePurpose.WAITLISTED: N_("Put on the waiting list"),
    MessagePurpose.OPTED_OUT: N_("Opt-out confirmed"),
    MessagePurpose.OPTED_IN: N_("Opt-in confirmed"),
    MessagePurpose.HELP: N_("Help"),
    MessagePurpose.REPLY_HINT: N_("How to answer"),
    MessagePurpose.EVENT_CHANGED: N_("Event changed"),
    MessagePurpose.EVENT_CANCELLED: N_("Event cancelled"),
    MessagePurpose.REMINDER: N_("Reminder"),
    MessagePurpose.SURVEY_QUESTION_ATTITUDE: N_("Survey: attitude question"),
    MessagePurpose.SURVEY_QUESTION_RATING: N_("Survey: rating question"),
    MessagePurpose.SURVEY_QUESTION_TALK: N_("Survey: conversation question"),
    MessagePurpose.SURVEY_POST: N_("Survey invitation"),
    MessagePurpose.SURVEY_REMINDER: N_("Survey reminder"),
    MessagePurpose.SURVEY_FOLLOWUP: N_("Follow-up survey"),
    MessagePurpose.SURVEY_THANKS: N_("Survey thanks"),
    MessagePurpose.SURVEY_HINT: N_("Survey: how to answer"),
    MessagePurpose.EVENT_MESSAGE: N_("Coordinator's message"),
    MessagePurpose.COORDINATOR_REPLY: N_("Coordinator's answer"),
    MessagePurpose.BUDDY_NUDGE: N_("Buddy nudge"),
}
#: What the invitation preview warns of, by its stable code (the API's detail is English).
WARNINGS = {
    "nobody": N_("Nobody in this selection can be invited now."),
    "mix_band": N_("The mix band keeps some seats empty although eligible people are waiting."),
    "short_window": N_("The event is near: people get only a short time to answer."),
}
_TOO_LATE = re.compile(r"^the event starts in less than the answer window \((\d+) minutes\)")


def status_label(code: object) -> str:
    value = getattr(code, "value", code)
    return _(INVITATION_STATUS.get(str(value), str(value)))


def event_status_label(code: object) -> str:
    value = getattr(code, "value", code)
    return _(STATUS_NAMES[EventStatus(str(value))])


def delivery_label(code: str) -> str:
    return _(DELIVERY_STATUS.get(code, code))


def channel_label(code: object) -> str:
    value = str(getattr(code, "value", code))
    return _(CHANNEL.get(value, value))


def purpose_label(code: object) -> str:
    """A purpose in the reader's words; a code the console has no name for stays the code."""
    value = str(getattr(code, "value", code))
    try:
        name = PURPOSE.get(MessagePurpose(value))
    except ValueError:
        name = None
    return _(name) if name is not None else value


def community_label(code: object) -> str:
    value = getattr(code, "value", code)
    return _(COMMUNITY.get(None if value is None else str(value), str(value)))


def reason_text(reason: str | None) -> str | None:
    """A seat or move-up reason from the API, in the reader's language when it is known."""
    if reason is None:
        return None
    if reason in _REASONS:
        return _(_REASONS[reason])
    late = _TOO_LATE.match(reason)
    if late:
        return _(
            "The event starts in less than the answer window (%(minutes)s minutes): nobody "
            "more is invited from the waitlist."
        ) % {"minutes": late.group(1)}
    return reason


def warning_text(code: object) -> str:
    value = str(getattr(code, "value", code))
    return _(WARNINGS[value]) if value in WARNINGS else value


def event_title(event: Event, language: Language) -> str:
    """The title in the reader's language, else Russian, else whichever the event has."""
    title = event.title
    return title.get(language.value) or title.get("ru") or next(iter(title.values()), "")
