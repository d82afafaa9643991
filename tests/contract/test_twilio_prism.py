"""TwilioProvider, through the real SDK, against Twilio's own OpenAPI contract served by Prism.

Prism answers valid requests with the contract's canned example (always the same sid), and
rejects requests that break the contract: that rejection is what these tests rely on.
"""

from __future__ import annotations

import re

import pytest

from birge_workers.sms.provider import PermanentProviderError
from birge_workers.sms.twilio_provider import TwilioProvider

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
STATUS_CALLBACK = "https://birge.example.org/webhooks/twilio/status"
RECIPIENT = "+996555123456"
BODY = "Салам! Кулинардык кече 12.10, 18:00. Жооп: https://birge.example.org/i/Xy7kQ2"


def provider(base_url: str, **overrides: str | None) -> TwilioProvider:
    options: dict[str, str | None] = {
        "account_sid": ACCOUNT_SID,
        "auth_token": "contract-test-token",
        "from_number": "+15005550006",
        "messaging_service_sid": None,
    } | overrides
    return TwilioProvider(
        api_base=base_url,
        account_sid=options["account_sid"] or "",
        auth_token=options["auth_token"] or "",
        from_number=options["from_number"],
        messaging_service_sid=options["messaging_service_sid"],
    )


def test_a_create_from_a_number_is_accepted(prism_base_url: str) -> None:
    sent = provider(prism_base_url).send(
        to=RECIPIENT, body=BODY, status_callback=STATUS_CALLBACK, validity_period=600
    )
    assert re.fullmatch(r"SM[0-9a-fA-F]{32}", sent.sid)
    assert sent.status == "queued"
    assert sent.segments == 1  # the contract's example, not our count


def test_a_create_from_an_alphanumeric_sender_id_is_accepted(prism_base_url: str) -> None:
    # Where replies cannot come back (SMS_TWO_WAY=false), the sender may be a name.
    sent = provider(prism_base_url, from_number="Birge").send(
        to=RECIPIENT, body=BODY, status_callback=STATUS_CALLBACK, validity_period=600
    )
    assert re.fullmatch(r"SM[0-9a-fA-F]{32}", sent.sid)


def test_a_create_through_a_messaging_service_is_accepted(prism_base_url: str) -> None:
    sent = provider(prism_base_url, from_number=None, messaging_service_sid="MG" + "ab" * 16).send(
        to=RECIPIENT, body=BODY, status_callback=STATUS_CALLBACK, validity_period=36000
    )
    assert re.fullmatch(r"SM[0-9a-fA-F]{32}", sent.sid)


def test_a_create_without_callback_or_validity_is_accepted(prism_base_url: str) -> None:
    sent = provider(prism_base_url).send(
        to=RECIPIENT, body="Birge", status_callback=None, validity_period=None
    )
    assert sent.sid.startswith("SM")


def test_a_status_callback_that_is_not_a_uri_is_a_permanent_error(prism_base_url: str) -> None:
    with pytest.raises(PermanentProviderError) as caught:
        provider(prism_base_url).send(
            to=RECIPIENT, body=BODY, status_callback="not a url", validity_period=None
        )
    assert caught.value.code == "http-422"
    assert caught.value.reason == "Twilio refused the request (HTTP 422)"


def test_a_messaging_service_sid_of_the_wrong_shape_is_a_permanent_error(
    prism_base_url: str,
) -> None:
    with pytest.raises(PermanentProviderError) as caught:
        provider(prism_base_url, from_number=None, messaging_service_sid="MG-not-a-sid").send(
            to=RECIPIENT, body=BODY, status_callback=None, validity_period=None
        )
    assert caught.value.code == "http-422"


def test_an_account_sid_of_the_wrong_shape_is_a_permanent_error(prism_base_url: str) -> None:
    with pytest.raises(PermanentProviderError) as caught:
        provider(prism_base_url, account_sid="AC-wrong").send(
            to=RECIPIENT, body=BODY, status_callback=None, validity_period=None
        )
    assert caught.value.code == "http-422"


def test_missing_credentials_are_refused_and_mapped(prism_base_url: str) -> None:
    # Without an auth token the SDK sends no Authorization header, which the contract forbids.
    with pytest.raises(PermanentProviderError) as caught:
        provider(prism_base_url, auth_token="").send(
            to=RECIPIENT, body=BODY, status_callback=None, validity_period=None
        )
    assert caught.value.code == "http-401"
    assert caught.value.reason == "Twilio refused the account credentials"


def test_errors_never_carry_the_number_or_the_body(prism_base_url: str) -> None:
    with pytest.raises(PermanentProviderError) as caught:
        provider(prism_base_url).send(
            to=RECIPIENT, body=BODY, status_callback="not a url", validity_period=None
        )
    assert RECIPIENT not in str(caught.value)
    assert BODY not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
