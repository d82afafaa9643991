"""Verifying that a webhook really comes from Twilio (or the local simulator)."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from starlette.datastructures import ImmutableMultiDict
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
    # With `getlist` the SDK signs every value of a repeated field; a plain dict holding a
    # list would make it fail (a 500) instead of refusing the request.
    fields = ImmutableMultiDict(
        [(name, value) for name, held in params.items() for value in _values(held)]
    )
    # The URL as configured first: one HMAC. The SDK's check then also tries the URL with the
    # default port added or removed (Twilio signs either form), two HMACs and three URL parses
    # that an ordinary callback need not pay.
    if hmac.compare_digest(validator.compute_signature(url, fields), signature):
        return True
    return bool(validator.validate(url, fields, signature))


def _values(held: str | list[str]) -> list[str]:
    return [held] if isinstance(held, str) else held
