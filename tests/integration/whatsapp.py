"""WhatsApp people and templates for the tests of what the preview counts on each channel."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from birge_shared.channels import ChannelChoice, set_channels
from birge_shared.models import (
    Channel,
    ChannelOptInMethod,
    Language,
    MessageChannel,
    Participant,
    TemplateApproval,
    TemplateCategory,
    WhatsAppTemplate,
)
from birge_shared.outbound.channels import CHANNELS, ChannelSpec
from birge_shared.tasks import SmsSend
from birge_shared.whatsapp_templates import TEMPLATE_PURPOSES
from tests.factories import make_participant


@pytest.fixture
def whatsapp_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    """WhatsApp as a channel of the planner's table, where the sending side has none yet.

    The previews plan and queue nothing, so the send task is never called.
    """
    if MessageChannel.WHATSAPP not in CHANNELS:
        monkeypatch.setitem(
            CHANNELS,  # type: ignore[arg-type]  # a dict behind its Mapping type
            MessageChannel.WHATSAPP,
            ChannelSpec(
                channel=MessageChannel.WHATSAPP,
                purposes=TEMPLATE_PURPOSES,
                reachable=lambda person: person.phone_encrypted is not None,
                send_task=lambda ids: SmsSend(message_ids=ids),
            ),
        )


def on_whatsapp(db: Session, language: Language) -> Participant:
    """A participant who opted in to WhatsApp on paper: their first channel."""
    person = make_participant(db, language=language)
    set_channels(
        session=db,
        participant=person,
        choices=[ChannelChoice(Channel.WHATSAPP, opt_in=ChannelOptInMethod.PAPER_FORM)],
    )
    return person


def invitation_template(
    db: Session, language: Language, category: TemplateCategory, approval: TemplateApproval
) -> WhatsAppTemplate:
    row = WhatsAppTemplate(
        purpose="invitation",
        language=language,
        content_sid="HX" + language.value * 16,
        friendly_name=f"invitation_{language.value}",
        category=category,
        variables=["title", "link"],
        buttons=["accept", "decline"],
        approval=approval,
    )
    db.add(row)
    db.flush()
    return row
