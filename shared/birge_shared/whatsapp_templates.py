"""Which Twilio Content template a WhatsApp message of a purpose and language goes as.

Only an approved template is ever used: WhatsApp refuses any other outside the person's
24-hour session window, and a paused or rejected one may cost the sender its quality rating.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.models import Language, MessagePurpose, TemplateApproval, WhatsAppTemplate
from birge_shared.models.whatsapp_template import TemplateCategory
from birge_shared.sms.keywords import Intent
from birge_shared.sms.templates import PLACEHOLDERS

#: The purposes that go to WhatsApp as templates: what Birge writes first, outside a person's
#: 24-hour session window. Answers to a person's own text (help, opt-out, thanks) and a
#: coordinator's own words go inside the window, as free text, and need none.
TEMPLATE_PURPOSES: frozenset[MessagePurpose] = frozenset(
    {
        MessagePurpose.INVITATION,
        MessagePurpose.INVITATION_WAITING,
        MessagePurpose.ACCEPTED,
        MessagePurpose.DECLINED,
        MessagePurpose.WAITLISTED,
        MessagePurpose.EVENT_CHANGED,
        MessagePurpose.EVENT_CANCELLED,
        MessagePurpose.REMINDER,
        MessagePurpose.BUDDY_NUDGE,
        MessagePurpose.SURVEY_QUESTION_ATTITUDE,
        MessagePurpose.SURVEY_QUESTION_RATING,
        MessagePurpose.SURVEY_QUESTION_TALK,
        MessagePurpose.SURVEY_POST,
        MessagePurpose.SURVEY_REMINDER,
        MessagePurpose.SURVEY_FOLLOWUP,
    }
)


def template_variables(purpose: MessagePurpose) -> frozenset[str]:
    """The values a template of this purpose may name: those the SMS text is filled with.

    None of them names a person: a template's text is reviewed by Meta and its values pass
    through Twilio's logs, so a participant's name is never among them.
    """
    return PLACEHOLDERS.get(purpose.value, frozenset())


_ANSWERS = frozenset({"accept", "decline"})
_SCALE = frozenset(str(value) for value in range(1, 6))

#: The quick-reply button ids a template of each purpose may carry: a button reply comes back
#: with its id as the payload, which must answer the question the message asked.
TEMPLATE_BUTTONS: dict[MessagePurpose, frozenset[str]] = {
    MessagePurpose.INVITATION: _ANSWERS,
    MessagePurpose.INVITATION_WAITING: _ANSWERS,
    MessagePurpose.EVENT_CHANGED: _ANSWERS,
    MessagePurpose.REMINDER: _ANSWERS,
    MessagePurpose.SURVEY_QUESTION_ATTITUDE: _SCALE,
    MessagePurpose.SURVEY_QUESTION_RATING: _SCALE,
    MessagePurpose.SURVEY_QUESTION_TALK: frozenset({"yes", "no"}),
}


def template_buttons(purpose: MessagePurpose) -> frozenset[str]:
    return TEMPLATE_BUTTONS.get(purpose, frozenset())


#: The ids of the quick-reply buttons of an invitation's templates (its reminder's, its change
#: notice's): a tap answers the invitation as YES or NO would. A survey question's buttons
#: carry the answer itself ("1"…"5", or YES and NO), read as the typed answer would be.
ACCEPT_BUTTON = "accept"
DECLINE_BUTTON = "decline"
BUTTON_INTENTS: dict[str, Intent] = {ACCEPT_BUTTON: Intent.ACCEPT, DECLINE_BUTTON: Intent.DECLINE}


@dataclass(frozen=True, slots=True)
class ApprovedTemplate:
    content_sid: str
    category: TemplateCategory
    #: The value names its `{{1}}`, `{{2}}`… take, in order.
    variables: tuple[str, ...]
    #: Its quick-reply buttons' ids, which a button reply carries back.
    buttons: tuple[str, ...]


def approved_templates(session: Session) -> dict[tuple[str, Language], ApprovedTemplate]:
    """Every approved template by purpose and language; loaded once per chunk or preview."""
    return {
        (row.purpose, row.language): ApprovedTemplate(
            content_sid=row.content_sid,
            category=row.category,
            variables=tuple(row.variables),
            buttons=tuple(row.buttons),
        )
        for row in session.scalars(
            select(WhatsAppTemplate).where(WhatsAppTemplate.approval == TemplateApproval.APPROVED)
        )
    }


def approved_template(
    session: Session, purpose: MessagePurpose | str, language: Language
) -> ApprovedTemplate | None:
    """The approved template of one purpose and language, or None when there is none."""
    return approved_templates(session).get((str(purpose), language))
