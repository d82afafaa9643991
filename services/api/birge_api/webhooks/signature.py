"""Verifying that a webhook really comes from Twilio (or the local simulator)."""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator

from birge_shared.settings import Settings


def public_url(settings: Settings, path: str, query: str) -> str:
    """The URL Twilio signed: the public address, not the one this process sees.

    Behind a TLS-terminating proxy the request arrives as http://internal-host/..., but Twilio
    signed https://public-host/..., so the public base URL from settings is what counts.
    """
    url = settings.public_base_url + path
    return f"{url}?{query}" if query else url


def is_signed(
    *, settings: Settings, url: str, params: Mapping[str, str | list[str]], signature: str | None
) -> bool:
    if not signature:
        return False
    validator = RequestValidator(settings.twilio_auth_token.get_secret_value())
    return bool(validator.validate(url, dict(params), signature))
