"""WhatsApp's settings: on only with Twilio and a sender; the sender is a number."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from birge_shared.models import MessageChannel, MessagePurpose
from birge_shared.outbound.channels import CHANNELS
from birge_shared.settings import Settings
from birge_shared.tasks import WhatsAppSend


def settings(**values: str) -> Settings:
    return Settings(environment="development", _env_file=None, **values)  # type: ignore[arg-type]


def test_whatsapp_is_off_without_a_sender_or_without_twilio() -> None:
    assert not settings().uses_whatsapp
    # `make run`: no Twilio, so the SMS simulator, and no WhatsApp.
    assert not settings(whatsapp_from="+14155238886").uses_whatsapp
    assert not settings(twilio_account_sid="AC" + "1" * 32).uses_whatsapp


@pytest.mark.parametrize(
    "sender",
    [{"whatsapp_from": "+14155238886"}, {"whatsapp_messaging_service_sid": "MG" + "a" * 32}],
)
def test_whatsapp_is_on_with_twilio_and_a_sender(sender: dict[str, str]) -> None:
    assert settings(twilio_account_sid="AC" + "1" * 32, **sender).uses_whatsapp


@pytest.mark.parametrize("sender", ["whatsapp:+14155238886", "Birge", "0555123456"])
def test_a_whatsapp_sender_that_is_not_an_e164_number_stops_start_up(sender: str) -> None:
    with pytest.raises(ValidationError, match="WHATSAPP_FROM"):
        settings(whatsapp_from=sender)


def test_a_blank_whatsapp_sender_is_unset() -> None:
    assert settings(whatsapp_from=" ").whatsapp_from is None


def test_whatsapp_carries_every_outbound_purpose_and_sends_by_its_own_task() -> None:
    spec = CHANNELS[MessageChannel.WHATSAPP]
    assert spec.messenger
    assert spec.purposes == CHANNELS[MessageChannel.SMS].purposes
    assert MessagePurpose.ACCEPTED in spec.purposes
    assert not any(purpose.value.startswith("reply:") for purpose in spec.purposes)
    assert isinstance(spec.send_task([]), WhatsAppSend)
