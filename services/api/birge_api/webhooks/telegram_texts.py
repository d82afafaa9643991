"""What the bot says in the chat, in the person's language (gettext msgids, English)."""

from __future__ import annotations

from birge_shared.i18n import N_, gettext_for
from birge_shared.models import InvitationStatus, Language

LINKED = N_(
    "Done: you will get your Birge invitations here, with buttons to answer them. "
    "Send /stop to stop messages on Telegram."
)
LINK_REFUSED = N_(
    "This link has expired or was already used. Please open the Telegram link on your "
    "invitation page again."
)
STOPPED = N_(
    "You will get no more messages on Telegram. To start again, open the Telegram link on your "
    "invitation page."
)
HELP = N_(
    "This bot sends your Birge invitations. Answer with the buttons under an invitation; "
    "send /stop to stop messages on Telegram."
)
BUTTON_UNKNOWN = N_("This button no longer works. Please use the link in your invitation.")
ANSWER_CLOSED = N_("This invitation can no longer be answered.")
SURVEY_SAVED = N_("Thank you! We've saved your answer to the survey.")
SURVEY_CLOSED = N_("This survey question can no longer be answered.")

ANSWERED: dict[InvitationStatus, str] = {
    InvitationStatus.ACCEPTED: N_("Thank you! We've saved your answer: you're coming."),
    InvitationStatus.DECLINED: N_("Thank you for letting us know. We've saved your answer."),
    InvitationStatus.WAITLISTED: N_(
        "Thank you! We can't offer you a place right now, so you're on the waiting list."
    ),
}


def in_language(message: str, language: Language | None) -> str:
    """The text in the person's language; in all three when it is not known."""
    if language is not None:
        return gettext_for(language, message)
    return "\n\n".join(gettext_for(each, message) for each in Language)


def language_of(code: str | None) -> Language | None:
    """Telegram's `language_code` of the user, when it is one of Birge's languages."""
    try:
        return Language((code or "")[:2].lower())
    except ValueError:
        return None
