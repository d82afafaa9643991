"""What the WhatsApp tests share: WhatsApp switched on against a Twilio double, approved
templates, a person's explicit opt-in, and `whatsapp.send` run in this process."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from birge_shared.db import session_scope
from birge_shared.models import (
    Channel,
    ChannelOptInMethod,
    Language,
    ParticipantChannel,
    TemplateApproval,
    WhatsAppTemplate,
    utcnow,
)
from birge_shared.models.whatsapp_template import TemplateCategory
from birge_shared.settings import Settings, get_settings
from birge_shared.tasks import WhatsAppSend
from birge_shared.whatsapp_templates import ACCEPT_BUTTON, DECLINE_BUTTON, approved_templates
from birge_workers.outbound.lifecycle import Outcome, send_chunk
from birge_workers.sending.pacing import LocalTokenBucket
from birge_workers.sms.twilio_provider import TwilioMessages
from birge_workers.whatsapp.channel import WhatsAppChannel
from birge_workers.whatsapp.provider import TwilioWhatsApp
from tests.integration.sending.conftest import FROM_NUMBER, Rows, any_hour_settings, drain

#: Twilio's WhatsApp sandbox number: the sender as WHATSAPP_FROM names it.
WHATSAPP_FROM = "+14155238886"
INVITATION_SID = "HX" + "1" * 32
REMINDER_SID = "HX" + "2" * 32


@contextmanager
def whatsapp_switched_on(
    monkeypatch: pytest.MonkeyPatch, *, account_sid: str, auth_token: str, api_base: str
) -> Iterator[Settings]:
    """Settings with Twilio and a WhatsApp sender, as a deployment that uses WhatsApp has."""
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", auth_token)
    monkeypatch.setenv("TWILIO_API_BASE", api_base)
    monkeypatch.setenv("TWILIO_FROM_NUMBER", FROM_NUMBER)
    monkeypatch.setenv("WHATSAPP_FROM", WHATSAPP_FROM)
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        get_settings.cache_clear()


@contextmanager
def approved_invitation_templates(engine: Engine) -> Iterator[None]:
    """The invitation's and reminder's templates in Russian, approved, with Accept/Decline."""
    rows = [
        WhatsAppTemplate(
            purpose=purpose,
            language=Language.RU,
            content_sid=sid,
            friendly_name=f"birge_{purpose}_ru",
            category=TemplateCategory.UTILITY,
            variables=["title", "starts", "venue", "link"],
            buttons=[ACCEPT_BUTTON, DECLINE_BUTTON],
            approval=TemplateApproval.APPROVED,
        )
        for purpose, sid in (("invitation", INVITATION_SID), ("reminder", REMINDER_SID))
    ]
    with Session(engine) as session:
        session.add_all(rows)
        session.commit()
    try:
        yield
    finally:
        with Session(engine) as session:
            session.execute(
                delete(WhatsAppTemplate).where(
                    WhatsAppTemplate.content_sid.in_([INVITATION_SID, REMINDER_SID])
                )
            )
            session.commit()


def opt_in(session: Session, participant_id: uuid.UUID) -> None:
    """The person's explicit WhatsApp opt-in, first in their order."""
    session.add(
        ParticipantChannel(
            participant_id=participant_id,
            channel=Channel.WHATSAPP,
            position=0,
            opted_in_at=utcnow(),
            opt_in_method=ChannelOptInMethod.PAPER_FORM,
        )
    )
    session.commit()


def whatsapp_channel(
    *, account_sid: str, auth_token: str, api_base: str, timeout: tuple[float, float] = (2.0, 5.0)
) -> WhatsAppChannel:
    """The WhatsApp channel as `whatsapp.send` builds it: the real SDK, the templates now."""
    provider = TwilioWhatsApp(
        TwilioMessages(
            account_sid=account_sid, auth_token=auth_token, api_base=api_base, timeout=timeout
        ),
        sender=WHATSAPP_FROM,
    )
    with session_scope() as session:
        templates = approved_templates(session)
    return WhatsAppChannel(provider, templates=templates)


def drain_whatsapp(rows: Rows, channel: WhatsAppChannel) -> Counter[Outcome]:
    """Run every queued `whatsapp.send`, and those they queue, as a worker would."""
    return drain(
        rows,
        lambda message_ids: send_chunk(
            message_ids=message_ids,
            transaction=session_scope,
            channel=channel,
            pacer=LocalTokenBucket(1000, capacity=1000),
            settings=any_hour_settings(),
        ),
        task=WhatsAppSend,
    )
