"""The WhatsApp provider, through the real SDK, against Twilio's published Messages contract
served by Prism: a Content template (`ContentSid`, `ContentVariables`) and a free text, from a
`whatsapp:` sender or a Messaging Service, to a `whatsapp:` address, are accepted; a template
id that is not one is refused, so the checks are real."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from birge_workers.outbound.provider import PermanentProviderError
from birge_workers.sms.twilio_provider import TwilioMessages
from birge_workers.whatsapp.provider import TwilioWhatsApp, WhatsAppContent

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
STATUS_CALLBACK = "https://birge.example.org/webhooks/twilio/status"
RECIPIENT = "whatsapp:+996555123456"
TEMPLATE = "HX" + "0123456789abcdef" * 2
VARIABLES = json.dumps(
    {
        "1": "Плов вместе",
        "2": "5 декабря, 19:00",
        "3": "Community kitchen",
        "4": "https://b.kg/p/x",
    },
    ensure_ascii=False,
)


def provider(base_url: str, **options: str) -> TwilioWhatsApp:
    return TwilioWhatsApp(
        TwilioMessages(
            account_sid=ACCOUNT_SID, auth_token="contract-test-token", api_base=base_url
        ),
        sender=options.get("sender"),
        messaging_service_sid=options.get("messaging_service_sid"),
    )


def test_a_template_from_a_whatsapp_sender_is_accepted(prism_base_url: str) -> None:
    sent = provider(prism_base_url, sender="+14155238886").send(
        WhatsAppContent(
            to=RECIPIENT,
            status_callback=STATUS_CALLBACK,
            content_sid=TEMPLATE,
            variables=VARIABLES,
        )
    )
    assert re.fullmatch(r"SM[0-9a-fA-F]{32}", sent.sid)


def test_a_template_through_a_messaging_service_is_accepted(prism_base_url: str) -> None:
    sent = provider(prism_base_url, messaging_service_sid="MG" + "ab" * 16).send(
        WhatsAppContent(
            to=RECIPIENT,
            status_callback=STATUS_CALLBACK,
            content_sid=TEMPLATE,
            variables=VARIABLES,
        )
    )
    assert re.fullmatch(r"SM[0-9a-fA-F]{32}", sent.sid)


def test_free_text_in_the_window_is_accepted(prism_base_url: str) -> None:
    sent = provider(prism_base_url, sender="+14155238886").send(
        WhatsAppContent(
            to=RECIPIENT, status_callback=STATUS_CALLBACK, body="Вы записаны на «Плов вместе»."
        )
    )
    assert re.fullmatch(r"SM[0-9a-fA-F]{32}", sent.sid)


def test_a_template_id_that_is_not_one_is_refused_by_the_contract(prism_base_url: str) -> None:
    with pytest.raises(PermanentProviderError) as refused:
        provider(prism_base_url, sender="+14155238886").send(
            WhatsAppContent(
                to=RECIPIENT,
                status_callback=STATUS_CALLBACK,
                content_sid="HX-not-a-template",
                variables=VARIABLES,
            )
        )
    assert refused.value.code == "http-422"


def test_the_lookup_of_a_whatsapp_address_is_accepted(prism_base_url: str) -> None:
    # Prism's example is dated years ago: nothing since the attempt began, so nothing found.
    found = provider(prism_base_url, sender="+14155238886").find_sent(
        to=RECIPIENT, body=None, sent_after=datetime(2100, 1, 1, tzinfo=UTC)
    )
    assert found == []
