"""Composing a WhatsApp message: a template with its values, free text in the session window,
and the refusals that send the message on the person's next channel."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from birge_shared.crypto import get_cipher
from birge_shared.models import (
    ActivityType,
    Channel,
    Community,
    Event,
    Invitation,
    Language,
    Message,
    MessageChannel,
    MessageDirection,
    MessagePurpose,
    MessageStatus,
    Participant,
    ParticipantChannel,
)
from birge_shared.models.whatsapp_template import TemplateCategory
from birge_shared.providers.twilio import reported_status
from birge_shared.settings import get_settings
from birge_shared.sms.render import SmsRoute, personal_link
from birge_shared.whatsapp_templates import ApprovedTemplate
from birge_shared.whatsapp_window import SESSION_WINDOW
from birge_workers.callbacks.status import moves_forward
from birge_workers.outbound.channel import Facts
from birge_workers.outbound.provider import (
    PermanentProviderError,
    SentMessage,
    TemporaryProviderError,
)
from birge_workers.outbound.wanted import channel_on
from birge_workers.sms.channel import render_text
from birge_workers.sms.twilio_provider import map_twilio_error
from birge_workers.whatsapp.channel import Templates, WhatsAppChannel
from birge_workers.whatsapp.provider import WhatsAppContent

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
PHONE = "+996555123456"
# 19:00 in Bishkek (UTC+6) on 5 December.
STARTS = datetime(2026, 12, 5, 13, 0, tzinfo=UTC)
INVITE = ApprovedTemplate(
    content_sid="HX" + "a" * 32,
    category=TemplateCategory.UTILITY,
    variables=("title", "starts", "venue", "link"),
    buttons=("accept", "decline"),
)


class NoProvider:
    def send(self, content: WhatsAppContent) -> SentMessage:
        raise AssertionError("composing never calls the provider")

    def find_sent(self, *, to: str, body: str | None, sent_after: datetime) -> list[SentMessage]:
        raise AssertionError("composing never calls the provider")


def facts(
    *, last_inbound_at: datetime | None = None, reason: str | None = None
) -> tuple[Facts, Invitation]:
    cipher = get_cipher()
    person = Participant(
        id=uuid.uuid4(),
        phone_encrypted=cipher.encrypt(PHONE),
        phone_hash=cipher.lookup_hash("phone", PHONE),
        language=Language.RU,
        city_code="bishkek",
        community=Community.HOST,
    )
    event = Event(
        id=uuid.uuid4(),
        city_code="bishkek",
        title={"ru": "Плов вместе", "en": "Cooking plov together"},
        activity_type=ActivityType.COOKING,
        venue_name="Community kitchen",
        venue_address="Chuy Avenue 1",
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=2),
        capacity=10,
        cancel_reason=reason,
    )
    invitation = Invitation(id=uuid.uuid4(), event_id=event.id, participant_id=person.id)
    row = ParticipantChannel(
        participant_id=person.id,
        channel=Channel.WHATSAPP,
        last_inbound_at=last_inbound_at,
        opted_in_at=NOW - timedelta(days=30),
    )
    return (
        Facts(
            participant=person,
            invitation=invitation,
            event=event,
            overrides={},
            changes=[],
            timezone="Asia/Bishkek",
            rows={Channel.WHATSAPP: row},
        ),
        invitation,
    )


def message(purpose: MessagePurpose, *, body_encrypted: str | None = None) -> Message:
    return Message(
        id=uuid.uuid4(),
        direction=MessageDirection.OUTBOUND,
        channel=MessageChannel.WHATSAPP,
        purpose=purpose.value,
        body_encrypted=body_encrypted,
    )


def channel(templates: Templates) -> WhatsAppChannel:
    return WhatsAppChannel(NoProvider(), templates=templates)


def content_of(composed: object) -> WhatsAppContent:
    assert isinstance(composed, WhatsAppContent)
    return composed


def test_a_template_goes_as_its_content_sid_with_its_values_in_order() -> None:
    settings = get_settings()
    the_facts, invitation = facts()
    composed = channel({("invitation", Language.RU): INVITE}).compose(
        message=message(MessagePurpose.INVITATION), facts=the_facts, settings=settings, now=NOW
    )
    content = content_of(composed.content)
    assert content.to == "whatsapp:" + PHONE
    assert content.content_sid == INVITE.content_sid
    assert content.body is None
    assert content.status_callback.endswith("/webhooks/twilio/status")
    assert content.variables is not None
    variables = json.loads(content.variables)
    assert list(variables) == ["1", "2", "3", "4"]
    assert variables["1"] == "Плов вместе"
    # The city's local time, not UTC.
    assert "19:00" in variables["2"]
    assert "5" in variables["2"]
    assert variables["3"] == "Community kitchen"
    assert variables["4"] == personal_link(settings.public_base_url, invitation.token)
    # Nothing of ours to compare at the provider: a template is settled by number and time.
    assert composed.body is None


def test_a_template_is_used_even_inside_the_window_for_its_buttons() -> None:
    the_facts, _ = facts(last_inbound_at=NOW - timedelta(hours=1))
    composed = channel({("invitation", Language.RU): INVITE}).compose(
        message=message(MessagePurpose.INVITATION),
        facts=the_facts,
        settings=get_settings(),
        now=NOW,
    )
    assert content_of(composed.content).content_sid == INVITE.content_sid


def test_an_empty_value_is_sent_as_a_dash_which_whatsapp_accepts() -> None:
    cancelled = ApprovedTemplate(
        content_sid="HX" + "b" * 32,
        category=TemplateCategory.UTILITY,
        variables=("title", "reason"),
        buttons=(),
    )
    the_facts, _ = facts(reason=None)
    composed = channel({("event_cancelled", Language.RU): cancelled}).compose(
        message=message(MessagePurpose.EVENT_CANCELLED),
        facts=the_facts,
        settings=get_settings(),
        now=NOW,
    )
    variables = content_of(composed.content).variables
    assert variables is not None
    assert json.loads(variables) == {"1": "Плов вместе", "2": "-"}


def test_a_template_in_another_language_is_not_used() -> None:
    the_facts, _ = facts()
    with pytest.raises(PermanentProviderError) as refused:
        channel({("invitation", Language.KY): INVITE}).compose(
            message=message(MessagePurpose.INVITATION),
            facts=the_facts,
            settings=get_settings(),
            now=NOW,
        )
    assert refused.value.falls_back
    assert refused.value.code == "no-template"


def test_without_a_template_inside_the_window_the_sms_text_goes_worded_for_replies() -> None:
    settings = get_settings().model_copy(update={"sms_two_way": False})
    the_facts, invitation = facts(last_inbound_at=NOW - SESSION_WINDOW + timedelta(minutes=1))
    composed = channel({}).compose(
        message=message(MessagePurpose.INVITATION), facts=the_facts, settings=settings, now=NOW
    )
    content = content_of(composed.content)
    assert content.content_sid is None
    assert content.body is not None
    assert "Плов вместе" in content.body
    assert personal_link(settings.public_base_url, invitation.token) in content.body
    # The text SMS would send, but worded for a channel that can be answered, whatever
    # SMS_TWO_WAY says of the SMS sender.
    sms = message(MessagePurpose.INVITATION)
    assert content.body == render_text(
        message=sms, facts=the_facts, settings=settings, route=SmsRoute(two_way=True)
    )
    # Stored, so that the sweeper can find it by its text.
    assert composed.body == content.body


def test_a_coordinators_own_words_go_as_text_only_inside_the_window() -> None:
    words = get_cipher().encrypt("Не забудьте фартук")
    own = {("event_message", Language.RU): INVITE}
    inside, _ = facts(last_inbound_at=NOW - timedelta(hours=2))
    composed = channel(own).compose(
        message=message(MessagePurpose.EVENT_MESSAGE, body_encrypted=words),
        facts=inside,
        settings=get_settings(),
        now=NOW,
    )
    assert content_of(composed.content).body == "Не забудьте фартук"
    outside, _ = facts(last_inbound_at=NOW - timedelta(hours=25))
    with pytest.raises(PermanentProviderError) as refused:
        channel(own).compose(
            message=message(MessagePurpose.EVENT_MESSAGE, body_encrypted=words),
            facts=outside,
            settings=get_settings(),
            now=NOW,
        )
    assert refused.value.falls_back


@pytest.mark.parametrize(
    "last_inbound_at", [None, NOW - SESSION_WINDOW, NOW - timedelta(days=3)], ids=str
)
def test_outside_the_window_without_a_template_whatsapp_refuses_and_falls_back(
    last_inbound_at: datetime | None,
) -> None:
    the_facts, _ = facts(last_inbound_at=last_inbound_at)
    with pytest.raises(PermanentProviderError) as refused:
        channel({}).compose(
            message=message(MessagePurpose.REMINDER),
            facts=the_facts,
            settings=get_settings(),
            now=NOW,
        )
    assert refused.value.falls_back
    # The reason names no number and no text.
    assert PHONE not in refused.value.reason


def test_a_template_naming_a_value_the_message_lacks_falls_back() -> None:
    needs_link = ApprovedTemplate(
        content_sid="HX" + "c" * 32,
        category=TemplateCategory.UTILITY,
        variables=("link",),
        buttons=(),
    )
    the_facts, _ = facts()
    plain = Facts(
        participant=the_facts.participant,
        invitation=None,
        event=None,
        overrides={},
        changes=[],
        timezone="Asia/Bishkek",
        rows=the_facts.rows,
    )
    with pytest.raises(PermanentProviderError) as refused:
        channel({("help", Language.RU): needs_link}).compose(
            message=message(MessagePurpose.HELP),
            facts=plain,
            settings=get_settings(),
            now=NOW,
        )
    assert refused.value.falls_back
    assert refused.value.code == "template-values"


@pytest.mark.parametrize(
    ("code", "falls_back"),
    [(63003, True), (63016, True), (63027, True), (21211, False)],
)
def test_twilio_refusals_of_whatsapp_fall_back_and_others_do_not(
    code: int, falls_back: bool
) -> None:
    error = map_twilio_error(status=400, code=code)
    assert isinstance(error, PermanentProviderError)
    assert error.falls_back is falls_back
    assert error.code == str(code)


def test_a_whatsapp_rate_limit_is_temporary() -> None:
    assert isinstance(map_twilio_error(status=400, code=63018), TemporaryProviderError)


def test_a_read_receipt_is_the_one_step_after_delivery_and_nothing_comes_after_it() -> None:
    assert moves_forward(MessageStatus.DELIVERED, MessageStatus.READ)
    # A read that overtakes delivery counts too.
    assert moves_forward(MessageStatus.SENT, MessageStatus.READ)
    assert moves_forward(MessageStatus.QUEUED, MessageStatus.READ)
    assert not moves_forward(MessageStatus.READ, MessageStatus.DELIVERED)
    assert not moves_forward(MessageStatus.READ, MessageStatus.FAILED)
    assert not moves_forward(MessageStatus.DELIVERED, MessageStatus.FAILED)
    assert not moves_forward(MessageStatus.DELIVERED, MessageStatus.SENT)
    assert reported_status("read") is MessageStatus.READ


def test_a_person_who_switched_whatsapp_off_since_planning_is_written_to_elsewhere() -> None:
    # The still-wanted rules skip it (and plan it once on the next channel), before composing.
    the_facts, _ = facts()
    assert channel_on(MessageChannel.WHATSAPP, the_facts.rows)
    the_facts.rows[Channel.WHATSAPP].opted_out_at = NOW - timedelta(minutes=5)
    assert not channel_on(MessageChannel.WHATSAPP, the_facts.rows)
    # Without its own opt-in row WhatsApp is never on; SMS is, by the registration.
    assert not channel_on(MessageChannel.WHATSAPP, {})
    assert channel_on(MessageChannel.SMS, {})
