"""WhatsApp people and templates for the tests of what the preview counts on each channel."""

from __future__ import annotations

from dataclasses import replace

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
from birge_shared.outbound.channels import CHANNELS
from tests.factories import make_participant


@pytest.fixture
def whatsapp_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    """WhatsApp switched on in the planner's table, as in a deployment with a WhatsApp sender.

    The previews plan and queue nothing, so no message is ever sent.
    """
    monkeypatch.setitem(
        CHANNELS,
        MessageChannel.WHATSAPP,
        replace(CHANNELS[MessageChannel.WHATSAPP], available=lambda: True),
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
