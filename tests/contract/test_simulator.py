"""The simulator's delivery reports must pass the same signature check Twilio's would."""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from birge_workers.sms.provider import PermanentProviderError
from birge_workers.sms.simulator import SIMULATOR_ACCOUNT_SID, SmsSimulator
from tests.contract.webhook_receiver import WebhookReceiver

AUTH_TOKEN = "simulator-test-token"
RECIPIENT = "+996555123456"
BODY = "Саламатсызбы! Birge: ашкана кечеси 12.10, 18:00. Жооп берүү: https://b.kg/i/Q2"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as server:
        yield server


@pytest.fixture
def simulator(tmp_path: Path) -> SmsSimulator:
    return SmsSimulator(tmp_path / "var", auth_token=AUTH_TOKEN, step_delay=0.01)


def test_status_callbacks_arrive_signed_and_in_order(
    simulator: SmsSimulator, receiver: WebhookReceiver
) -> None:
    callback = receiver.base_url + "/webhooks/twilio/status?invitation=42"
    sent = simulator.send(to=RECIPIENT, body=BODY, status_callback=callback, validity_period=600)

    assert simulator.wait_for_callbacks(timeout=10)
    webhooks = receiver.wait_for(3)
    assert [hook.params["MessageStatus"] for hook in webhooks] == ["queued", "sent", "delivered"]
    validator = RequestValidator(AUTH_TOKEN)
    for hook in webhooks:
        assert hook.url == callback
        assert hook.content_type is not None
        assert hook.content_type.startswith("application/x-www-form-urlencoded")
        assert hook.signature is not None
        assert validator.validate(hook.url, hook.params, hook.signature)
        assert not RequestValidator("another-token").validate(hook.url, hook.params, hook.signature)
        assert hook.params["MessageSid"] == hook.params["SmsSid"] == sent.sid
        assert hook.params["To"] == RECIPIENT
        assert hook.params["From"] == "+15005550006"
        assert hook.params["AccountSid"] == SIMULATOR_ACCOUNT_SID
        assert hook.params["ApiVersion"] == "2010-04-01"


def test_a_tampered_report_fails_the_signature_check(
    simulator: SmsSimulator, receiver: WebhookReceiver
) -> None:
    simulator.send(
        to=RECIPIENT, body=BODY, status_callback=receiver.base_url + "/s", validity_period=None
    )
    hook = receiver.wait_for(1)[0]
    assert hook.signature is not None
    forged = hook.params | {"MessageStatus": "undelivered"}
    assert not RequestValidator(AUTH_TOKEN).validate(hook.url, forged, hook.signature)
    assert simulator.wait_for_callbacks(timeout=10)


def test_each_message_is_written_to_the_outbox_file(simulator: SmsSimulator) -> None:
    first = simulator.send(to=RECIPIENT, body=BODY, status_callback=None, validity_period=60)
    second = simulator.send(
        to="+996700111222", body="Hi", status_callback=None, validity_period=None
    )

    assert re.fullmatch(r"SM[0-9a-f]{32}", first.sid)
    assert first.sid != second.sid
    assert (first.status, first.segments) == ("queued", 2)
    assert second.segments == 1
    lines = simulator.outbox_path.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [record["sid"] for record in records] == [first.sid, second.sid]
    assert records[0]["body"] == BODY
    assert records[0]["to"] == RECIPIENT
    assert records[0]["encoding"] == "UCS-2"
    assert records[0]["validity_period"] == 60
    assert simulator.outbox_path.name == "sms-outbox.jsonl"


@pytest.mark.parametrize(
    ("number", "code"),
    [("+15005550001", "21211"), ("+15005550004", "21610"), ("+15005550009", "21614")],
)
def test_twilios_test_numbers_are_refused_as_twilio_refuses_them(
    simulator: SmsSimulator, number: str, code: str
) -> None:
    with pytest.raises(PermanentProviderError) as caught:
        simulator.send(to=number, body=BODY, status_callback=None, validity_period=None)
    assert caught.value.code == code
    assert number not in str(caught.value)
    assert not simulator.outbox_path.exists()


def test_a_webhook_that_is_down_never_reaches_the_sender(
    simulator: SmsSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    caplog.set_level(logging.WARNING, logger="birge_workers.sms.simulator")

    sent = simulator.send(
        to=RECIPIENT,
        body=BODY,
        status_callback=f"http://127.0.0.1:{closed_port}/webhooks/twilio/status",
        validity_period=None,
    )

    assert sent.sid.startswith("SM")
    assert simulator.wait_for_callbacks(timeout=10)
    assert len(caplog.records) == 3
    assert {record.message for record in caplog.records} == {
        "simulated status callback not delivered"
    }
    assert RECIPIENT not in caplog.text
    assert BODY not in caplog.text


def test_a_webhook_that_refuses_is_logged_without_the_number(
    simulator: SmsSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="birge_workers.sms.simulator")
    with WebhookReceiver(answer_status=403) as refusing:
        simulator.send(
            to=RECIPIENT, body=BODY, status_callback=refusing.base_url + "/s", validity_period=None
        )
        assert simulator.wait_for_callbacks(timeout=10)
    assert [getattr(record, "http_status", None) for record in caplog.records] == [403] * 3
    assert RECIPIENT not in caplog.text
