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
    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"


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
    SURVEY_FOLLOWUP = "survey_followup"
    SURVEY_THANKS = "survey_thanks"
    SURVEY_HINT = "survey_hint"
    #: A coordinator's own words to an event's confirmed people, and to one person (inbox).
    EVENT_MESSAGE = "event_message"
    COORDINATOR_REPLY = "coordinator_reply"
    #: A short word to each of two buddies the day before an event they both accepted.
    BUDDY_NUDGE = "buddy_nudge"
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
    READ = "read"  # the person opened it (WhatsApp's read receipt)


class ActivityFormat(enum.StrEnum):
    """How people are grouped inside an activity, which decides what a good split is."""

    COOPERATIVE = "cooperative"  # everyone works towards one shared goal
    MIXED_TEAMS = "mixed_teams"  # teams play or work side by side, each team mixed
    DISCUSSION = "discussion"  # tables that talk
    COMPETITIVE = "competitive"  # teams play against each other


class Channel(enum.StrEnum):
    """A way of reaching a person, listed per participant in their order of preference."""

    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"
    SMS = "sms"
    EMAIL = "email"


class ChannelOptInMethod(enum.StrEnum):
    """How a person agreed to be reached on a channel.

    `consent` is the registration consent, which covers SMS and e-mail to the given address;
    WhatsApp needs its own explicit opt-in (`paper_form`, `verbal`, `web_form`); Telegram's is
    the person pressing Start on the bot through their one-time link.
    """

    CONSENT = "consent"
    PAPER_FORM = "paper_form"
    VERBAL = "verbal"
    WEB_FORM = "web_form"
    TELEGRAM_START = "telegram_start"


class ChannelOptOutMethod(enum.StrEnum):
    """How a channel was switched off: by the person, by the provider, or by a coordinator."""

    TELEGRAM_STOP = "telegram_stop"  # the person sent /stop to the bot
    BLOCKED = "blocked"  # the provider says the person blocked us (Telegram's 403)
    COORDINATOR = "coordinator"  # a coordinator recorded the person's wish
    NOT_ON_CHANNEL = "not_on_channel"  # the provider found no account (WhatsApp's 63003)
