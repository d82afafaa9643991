from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from birge_shared.settings import Settings
from birge_workers.sms.factory import provider_from_settings
from birge_workers.sms.fake import FakeSmsProvider
from birge_workers.sms.provider import (
    PermanentProviderError,
    SmsProvider,
    TemporaryProviderError,
)
from birge_workers.sms.simulator import SmsSimulator
from birge_workers.sms.twilio_provider import TwilioProvider


def send_invitation(provider: SmsProvider) -> str:
    return provider.send(
        to="+996555123456", body="Birge", status_callback=None, validity_period=None
    ).sid


def test_the_fake_fails_as_told_then_sends() -> None:
    fake = FakeSmsProvider()
    fake.fail_next(2, TemporaryProviderError("http-503", "Twilio is unavailable (HTTP 503)"))
    fake.fail_next(1, PermanentProviderError("21610", "the recipient has unsubscribed"))

    with pytest.raises(TemporaryProviderError):
        send_invitation(fake)
    with pytest.raises(TemporaryProviderError):
        send_invitation(fake)
    with pytest.raises(PermanentProviderError):
        send_invitation(fake)
    sid = send_invitation(fake)

    assert len(fake.calls) == 4
    assert [call.sid for call in fake.sent] == [sid]
    assert fake.sent[0].to == "+996555123456"


def test_the_fake_counts_segments_like_twilio() -> None:
    sent = FakeSmsProvider().send(
        to="+996555123456", body="д" * 71, status_callback=None, validity_period=None
    )
    assert sent.segments == 2


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]  # pydantic-settings' init


def test_without_twilio_settings_the_simulator_is_chosen(tmp_path: Path) -> None:
    provider = provider_from_settings(settings(twilio_account_sid=None), simulator_folder=tmp_path)
    assert isinstance(provider, SmsSimulator)
    assert provider.outbox_path == tmp_path / "sms-outbox.jsonl"


def test_with_an_account_sid_twilio_is_chosen(tmp_path: Path) -> None:
    provider = provider_from_settings(
        settings(
            twilio_account_sid="AC" + "1" * 32,
            twilio_auth_token=SecretStr("real-token"),
            twilio_messaging_service_sid="MG" + "1" * 32,
            twilio_api_base="http://127.0.0.1:4010",
        ),
        simulator_folder=tmp_path,
    )
    assert isinstance(provider, TwilioProvider)
    assert not (tmp_path / "sms-outbox.jsonl").exists()
