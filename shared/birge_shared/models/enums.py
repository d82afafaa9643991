"""The closed vocabularies of the domain, shared by models, schemas and workers."""

from __future__ import annotations

import enum


class Language(enum.StrEnum):
    KY = "ky"
    RU = "ru"
    EN = "en"


class Community(enum.StrEnum):
    HOST = "host"
    MIGRANT = "migrant"


class ActivityType(enum.StrEnum):
    SPORT = "sport"
    COOKING = "cooking"
    LANGUAGE_EXCHANGE = "language_exchange"
    CULTURAL_VISIT = "cultural_visit"
    VOLUNTEERING = "volunteering"
    DISCUSSION = "discussion"
    ARTS = "arts"
    GAMES = "games"
    OTHER = "other"


class EventVisibility(enum.StrEnum):
    """Whether an event is listed in its city's public calendar feed (`public`) or not."""

    PRIVATE = "private"
    PUBLIC = "public"


class EventStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class InvitationStatus(enum.StrEnum):
    PLANNED = "planned"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WAITLISTED = "waitlisted"
    EXPIRED = "expired"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"  # the event was cancelled before the participant attended
    ATTENDED = "attended"
    NO_SHOW = "no_show"


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    VIEWER = "viewer"


class ConsentMethod(enum.StrEnum):
    PAPER_FORM = "paper_form"
    WEB_FORM = "web_form"
    VERBAL = "verbal"
    SMS = "sms"


class MessageDirection(enum.StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class MessageChannel(enum.StrEnum):
    SMS = "sms"
    EMAIL = "email"


class MessagePurpose(enum.StrEnum):
    """Why a message exists: its template (outbound) or what an inbound text was taken for.

    Stored as its value in `message.purpose`; every channel sends the same purposes, each
    channel carrying those it has texts for (see `birge_shared.outbound.channels`).
    """

    INVITATION = "invitation"
    INVITATION_WAITING = "invitation_waiting"  # another invitation still waits for an answer
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WAITLISTED = "waitlisted"
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    HELP = "help"
    REPLY_HINT = "reply_hint"
    EVENT_CHANGED = "event_changed"
    EVENT_CANCELLED = "event_cancelled"
    REMINDER = "reminder"
    SURVEY_QUESTION_ATTITUDE = "survey_question_attitude"
    SURVEY_QUESTION_RATING = "survey_question_rating"
    SURVEY_QUESTION_TALK = "survey_question_talk"
    SURVEY_POST = "survey_post"
    SURVEY_REMINDER = "survey_reminder"
    SURVEY_THANKS = "survey_thanks"
    SURVEY_HINT = "survey_hint"
    #: A coordinator's own words to an event's confirmed people, and to one person (inbox).
    EVENT_MESSAGE = "event_message"
    COORDINATOR_REPLY = "coordinator_reply"
    # Inbound texts, by what they were read as.
    REPLY_ACCEPT = "reply:accept"
    REPLY_DECLINE = "reply:decline"
    REPLY_STOP = "reply:stop"
    REPLY_START = "reply:start"
    REPLY_HELP = "reply:help"
    REPLY_UNKNOWN = "reply:unknown"
    REPLY_SURVEY = "reply:survey"
    REPLY_UNMATCHED = "reply:unmatched"


class MessageStatus(enum.StrEnum):
    PLANNED = "planned"
    SENDING = "sending"  # handed to the provider; the outcome is not yet known
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    RECEIVED = "received"
    SKIPPED = "skipped"  # no longer needed when its turn came (answered, cancelled, opted out)
