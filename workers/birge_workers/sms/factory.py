"""Choosing the SMS provider from settings: Twilio when it is configured, else the simulator."""

from __future__ import annotations

from pathlib import Path

from birge_shared.settings import Settings
from birge_workers.sms.provider import SmsProvider
from birge_workers.sms.simulator import SIMULATOR_FROM_NUMBER, SmsSimulator
from birge_workers.sms.twilio_provider import TwilioProvider


def provider_from_settings(
    settings: Settings, *, simulator_folder: Path = Path("var")
) -> SmsProvider:
    """Build the provider once per process and reuse it: both keep connections or a thread."""
    auth_token = settings.twilio_auth_token.get_secret_value()
    if settings.uses_twilio and settings.twilio_account_sid is not None:
        return TwilioProvider(
            account_sid=settings.twilio_account_sid,
            auth_token=auth_token,
            api_base=settings.twilio_api_base,
            from_number=settings.twilio_from_number,
            messaging_service_sid=settings.twilio_messaging_service_sid,
        )
    return SmsSimulator(
        simulator_folder,
        auth_token=auth_token,
        from_number=settings.twilio_from_number or SIMULATOR_FROM_NUMBER,
    )
