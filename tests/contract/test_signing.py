from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from birge_workers.sms.signing import sign_and_post, signature
from tests.contract.webhook_receiver import WebhookReceiver

TOKEN = "signing-test-token"
INBOUND = {
    "MessageSid": "SM" + "ab" * 16,
    "From": "+996555123456",
    "To": "+15005550006",
    "Body": "ООБА",
    "AccountSid": "AC" + "0" * 32,
}


def test_a_posted_webhook_carries_a_signature_twilios_validator_accepts() -> None:
    with WebhookReceiver() as receiver:
        url = receiver.base_url + "/webhooks/twilio/inbound"
        assert sign_and_post(url, INBOUND, TOKEN) == 204
        hook = receiver.wait_for(1)[0]
    assert hook.params == INBOUND  # Cyrillic survives the form encoding
    assert hook.signature == signature(url, INBOUND, TOKEN)
    assert RequestValidator(TOKEN).validate(url, hook.params, hook.signature)


def test_the_signature_covers_the_url() -> None:
    assert signature("https://a.example/x", INBOUND, TOKEN) != signature(
        "https://a.example/y", INBOUND, TOKEN
    )


def test_an_error_answer_is_returned_not_raised() -> None:
    with WebhookReceiver(answer_status=403) as receiver:
        assert sign_and_post(receiver.base_url + "/w", INBOUND, TOKEN) == 403


def test_only_http_urls_are_posted_to() -> None:
    with pytest.raises(ValueError, match="http"):
        sign_and_post("file:///etc/passwd", INBOUND, TOKEN)
