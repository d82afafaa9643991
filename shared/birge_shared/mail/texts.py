"""The words of Birge's e-mails, for each purpose, as gettext texts.

The texts are msgids in English marked with `N_`; their Kyrgyz and Russian wordings live in
the catalogues (`birge_shared/locale/<language>/LC_MESSAGES/birge.po`) beside the console's and
the participant page's, and `texts_for` reads them in the reader's language. `%(title)s` is the
event's title in that language, `%(changes)s` what a change notice is about (time, place,
title); the rest of each e-mail (when, where, the personal link) is laid out by
`birge_shared.mail.invitation`. A cancellation carries neither the link nor the calendar note:
there is nothing to answer and nothing to add.

How a person can answer depends on whether Birge reads calendar replies (a reply mailbox is
configured, `birge_shared.calendar_replies`): then their calendar's Accept and Decline reach
Birge too; without one only the personal link does, and the e-mail says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from birge_shared.i18n import N_, gettext_for
from birge_shared.models.enums import Language

#: The e-mail purposes, and the calendar method each one carries.
PURPOSES = ("invitation", "event_changed", "event_cancelled")


@dataclass(frozen=True)
class PurposeTexts:
    subject: str
    lead: str


@dataclass(frozen=True)
class MailTexts:
    when: str
    where: str
    open_page: str
    #: How to answer: with the calendar's buttons or the link, or with the link only.
    how_to_answer: str
    calendar_note: str
    #: The label of the coordinator's reason in a cancellation.
    reason: str
    signature: str
    purposes: dict[str, PurposeTexts]


WHEN = N_("When")
WHERE = N_("Where")
OPEN_PAGE = N_("Answer and details")
ANSWER_IN_CALENDAR = N_(
    "To answer, press Accept or Decline in your calendar, or open your personal link below."
)
ANSWER_ON_PAGE = N_("To answer, open your personal link below.")
CALENDAR_NOTE = N_("To add the event to your calendar, open the attached invite.ics file.")
REASON = N_("Reason")
SIGNATURE = N_("The Birge team")

#: Subject and lead of each purpose; `%(title)s` and `%(changes)s` are filled in when sent.
PURPOSE_TEXTS: dict[str, tuple[str, str]] = {
    "invitation": (N_("Invitation: %(title)s"), N_("You are invited to %(title)s!")),
    "event_changed": (
        N_("Updated: %(title)s"),
        N_("%(title)s has changed (%(changes)s). Here is what holds now:"),
    ),
    "event_cancelled": (
        N_("Cancelled: %(title)s"),
        N_("We are sorry: %(title)s is cancelled."),
    ),
}


def texts_for(language: Language, *, reads_replies: bool) -> MailTexts:
    """The e-mail words in `language`; `reads_replies` says calendar answers reach Birge."""

    def _(message: str) -> str:
        return gettext_for(language, message)

    return MailTexts(
        when=_(WHEN),
        where=_(WHERE),
        open_page=_(OPEN_PAGE),
        how_to_answer=_(ANSWER_IN_CALENDAR if reads_replies else ANSWER_ON_PAGE),
        calendar_note=_(CALENDAR_NOTE),
        reason=_(REASON),
        signature=_(SIGNATURE),
        purposes={
            purpose: PurposeTexts(subject=_(subject), lead=_(lead))
            for purpose, (subject, lead) in PURPOSE_TEXTS.items()
        },
    )


@dataclass(frozen=True)
class SurveyTexts:
    subject: str
    lead: str
    open_page: str
    signature: str


#: Subject and lead of each survey e-mail; `%(title)s` is the event's title.
SURVEY_TEXTS: dict[str, tuple[str, str]] = {
    "survey_post": (
        N_("A few questions about %(title)s"),
        N_("Thank you for coming to %(title)s! Please answer a few short questions."),
    ),
    "survey_followup": (
        N_("Some weeks after %(title)s: a few questions"),
        N_(
            "Some weeks have passed since %(title)s. Please answer a few short questions "
            "again: your answers help us see what the meetings change."
        ),
    ),
}
OPEN_SURVEY = N_("Open the questions")


def survey_texts_for(language: Language, purpose: str) -> SurveyTexts:
    """The words of a survey e-mail (`survey_post` or `survey_followup`) in `language`."""
    subject, lead = SURVEY_TEXTS[purpose]
    return SurveyTexts(
        subject=gettext_for(language, subject),
        lead=gettext_for(language, lead),
        open_page=gettext_for(language, OPEN_SURVEY),
        signature=gettext_for(language, SIGNATURE),
    )
