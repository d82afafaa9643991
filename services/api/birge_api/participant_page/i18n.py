"""What the participant page says about where a person stands, and how it writes the event's time.

The words themselves are in the gettext catalogues (`birge_shared/locale`), with the English
as the msgid: here are only the English texts for each state, marked with `N_` so Babel
extracts them, and translated where the page is rendered. A text missing from a catalogue
fails `tests/unit/test_catalogues.py`.
"""

from __future__ import annotations

import enum
from datetime import datetime
from zoneinfo import ZoneInfo

from birge_shared.i18n import N_, format_clock, format_event_day
from birge_shared.models import Language
from birge_shared.surveys import Question


class AnswerState(enum.StrEnum):
    """Where the participant stands, in words they can act on (not the invitation's status)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WAITLISTED = "waitlisted"
    ATTENDED = "attended"
    PAST = "past"


class Done(enum.StrEnum):
    """The confirmation shown once after an answer was saved (`?done=` after the redirect)."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    WAITLISTED = "waitlisted"
    CHECKED_IN = "checked_in"


STATES: dict[AnswerState, str] = {
    AnswerState.PENDING: N_("You haven't answered yet."),
    AnswerState.ACCEPTED: N_("You're coming. See you there!"),
    AnswerState.DECLINED: N_("You said you can't come."),
    AnswerState.EXPIRED: N_(
        "The time to answer has passed, but you can still answer: if a place is free, it's yours."
    ),
    AnswerState.WAITLISTED: N_(
        "You're on the waiting list. We'll send you an SMS if a place frees up."
    ),
    AnswerState.ATTENDED: N_("You took part. Thank you!"),
    AnswerState.PAST: N_("This event has already taken place."),
}

DONE: dict[Done, str] = {
    Done.ACCEPTED: N_("Thank you! We've saved your answer: you're coming."),
    Done.DECLINED: N_("Thank you for letting us know. We've saved your answer."),
    Done.WAITLISTED: N_(
        "Thank you! We can't offer you a place right now, so you're on the waiting list. "
        "We'll send you an SMS if a place frees up."
    ),
    Done.CHECKED_IN: N_("You're checked in. Welcome!"),
}

#: The survey's questions in page wording: the choices are radio buttons, not numbers to type
#: (the SMS asks the same questions with "reply 1 for yes").
QUESTIONS: dict[Question, str] = {
    Question.ATTITUDE: N_("How do you feel about people from the other community?"),
    Question.RATING: N_("How was the event?"),
    Question.TALK: N_("Did you have a real conversation with someone from the other community?"),
}

#: What the lowest and the highest value of each scale mean.
SCALE_ENDS: dict[Question, tuple[str, str]] = {
    Question.ATTITUDE: (N_("very negative"), N_("very positive")),
    Question.RATING: (N_("poor"), N_("excellent")),
}

YES = N_("Yes")
NO = N_("No")

# The answer's deadline: `%(deadline)s` is the invitation's local day and time.
ANSWER_BY_HINT = N_(
    "Please answer by %(deadline)s. Once you have answered, you can change your answer "
    "until the event starts."
)
CHANGE_HINT = N_("You can change your answer until the event starts.")


def format_moment(moment: datetime, timezone: str, language: Language) -> str:
    """ "Saturday, 14 Mar, 18:00" in the city's time, in the page's language."""
    day = format_event_day(moment, language, timezone, weekday=True)
    return f"{day}, {format_clock(moment, timezone)}"


def format_when(starts_at: datetime, ends_at: datetime, timezone: str, language: Language) -> str:
    """ "Saturday, 14 Mar, 18:00–20:00" in the city's time, in the page's language.

    The end date is repeated only when the event runs past local midnight.
    """
    zone = ZoneInfo(timezone)
    start = format_moment(starts_at, timezone, language)
    if ends_at.astimezone(zone).date() == starts_at.astimezone(zone).date():
        return f"{start}–{format_clock(ends_at, timezone)}"
    end_day = format_event_day(ends_at, language, timezone)
    return f"{start} – {end_day}, {format_clock(ends_at, timezone)}"
