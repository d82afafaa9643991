"""TwilioProvider through the real SDK against the fake Messages API.

Prism cannot answer with Twilio's error bodies (21211, 21610…), stall, or vanish; the fake
can, so the mapping from what Twilio says to what the caller does is tested here.
"""

from __future__ import annotations

import logging
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from birge_shared.providers.twilio_http import RebasedHttpClient
from birge_workers.sms.provider import PermanentProviderError, TemporaryProviderError
from birge_workers.sms.twilio_provider import TwilioProvider
from tests.fakes.fake_messages_api import FakeMessagesApi, ScriptedAnswer

RECIPIENT = "+996700111222"
BODY = "Birge: you are invited to a cooking evening. Reply YES or NO."
CALLBACK = "https://birge.example.org/webhooks/twilio/status"


def provider_for(
    api: FakeMessagesApi,
    *,
    messaging_service_sid: str | None = None,
    auth_token: str | None = None,
    timeout: tuple[float, float] = (3.05, 10.0),
) -> TwilioProvider:
    return TwilioProvider(
        account_sid=api.account_sid,
        auth_token=auth_token or api.auth_token,
        api_base=api.base_url,
        from_number="+15005550006",
        messaging_service_sid=messaging_service_sid,
        timeout=timeout,
    )


def send(provider: TwilioProvider, validity_period: int | None = 600) -> None:
    provider.send(
        to=RECIPIENT, body=BODY, status_callback=CALLBACK, validity_period=validity_period
    )


def test_a_send_creates_one_message_with_the_fields_twilio_expects(
    messages_api: FakeMessagesApi,
) -> None:
    sent = provider_for(messages_api).send(
        to=RECIPIENT, body=BODY, status_callback=CALLBACK, validity_period=600
    )
    assert sent.sid.startswith("SM")
    assert sent.segments == 1
    assert messages_api.creates_by_to == {RECIPIENT: 1}
    assert messages_api.recent_forms[-1] == {
        "To": RECIPIENT,
        "Body": BODY,
        "From": "+15005550006",
        "StatusCallback": CALLBACK,
        "ValidityPeriod": "600",
    }


def test_a_messaging_service_is_used_instead_of_the_number(
    messages_api: FakeMessagesApi,
) -> None:
    service = "MG" + "cd" * 16
    sent = provider_for(messages_api, messaging_service_sid=service).send(
        to=RECIPIENT, body=BODY, status_callback=None, validity_period=None
    )
    assert sent.status == "accepted"
    form = messages_api.recent_forms[-1]
    assert form["MessagingServiceSid"] == service
    assert "From" not in form
    assert "StatusCallback" not in form
    assert "ValidityPeriod" not in form


def test_a_validity_at_or_beyond_twilios_maximum_is_left_to_its_default(
    messages_api: FakeMessagesApi,
) -> None:
    send(provider_for(messages_api), validity_period=90_000)
    assert "ValidityPeriod" not in messages_api.recent_forms[-1]


def test_a_validity_that_has_run_out_is_refused_before_sending(
    messages_api: FakeMessagesApi,
) -> None:
    with pytest.raises(ValueError, match="at least one second"):
        send(provider_for(messages_api), validity_period=0)
    assert messages_api.requests == 0


def test_without_a_sender_the_provider_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="TWILIO_FROM_NUMBER"):
        TwilioProvider(account_sid="AC" + "1" * 32, auth_token="token")


@pytest.mark.parametrize(
    ("code", "message", "reason"),
    [
        (21211, f"The 'To' number {RECIPIENT} is not a valid phone number.", "not a valid"),
        (21614, f"'To' number {RECIPIENT} is not a valid mobile number", "not a mobile"),
        (21610, "Attempt to send to unsubscribed recipient", "unsubscribed"),
        (21408, f"Permission to send an SMS has not been enabled for {RECIPIENT}", "region"),
        (99999, f"Something new about {RECIPIENT}", "Twilio refused the request (HTTP 400)"),
    ],
    ids=["invalid-number", "not-mobile", "unsubscribed", "region", "unknown-code"],
)
def test_twilio_refusals_are_permanent_and_keep_the_number_out(
    messages_api: FakeMessagesApi,
    caplog: pytest.LogCaptureFixture,
    code: int,
    message: str,
    reason: str,
) -> None:
    messages_api.refuse_number(RECIPIENT, ScriptedAnswer(400, code, message))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PermanentProviderError) as caught:
        send(provider_for(messages_api))
    assert caught.value.code == str(code)
    assert reason in caught.value.reason
    assert RECIPIENT not in str(caught.value)
    assert RECIPIENT not in caplog.text
    assert BODY not in caplog.text


def test_wrong_credentials_are_a_permanent_error(messages_api: FakeMessagesApi) -> None:
    with pytest.raises(PermanentProviderError) as caught:
        send(provider_for(messages_api, auth_token="not-the-token"))
    assert caught.value.code == "20003"
    assert caught.value.reason == "Twilio refused the account credentials"


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (ScriptedAnswer(429, 20429, "Too Many Requests"), "20429"),
        (ScriptedAnswer(500, 20500, "Internal Server Error"), "20500"),
        (ScriptedAnswer(503, 503, "Service Unavailable"), "http-503"),
    ],
    ids=["rate-limited", "server-error", "unavailable"],
)
def test_rate_limits_and_outages_are_temporary_and_the_retry_goes_through(
    messages_api: FakeMessagesApi, answer: ScriptedAnswer, code: str
) -> None:
    provider = provider_for(messages_api)
    messages_api.answer_next(answer)
    with pytest.raises(TemporaryProviderError) as caught:
        send(provider)
    assert caught.value.code == code
    assert not caught.value.may_have_been_sent
    send(provider)
    assert messages_api.creates_by_to == {RECIPIENT: 1}


def test_a_read_timeout_is_temporary_and_says_the_message_may_have_gone(
    messages_api: FakeMessagesApi,
) -> None:
    messages_api.delay = 1.0
    with pytest.raises(TemporaryProviderError) as caught:
        send(provider_for(messages_api, timeout=(3.05, 0.2)))
    assert caught.value.may_have_been_sent
    assert caught.value.reason == "Twilio did not answer in time"


def test_a_refused_connection_is_temporary_and_nothing_was_sent() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    provider = TwilioProvider(
        account_sid="AC" + "1" * 32,
        auth_token="token",
        api_base=f"http://127.0.0.1:{closed_port}",
        from_number="+15005550006",
    )
    with pytest.raises(TemporaryProviderError) as caught:
        send(provider)
    assert caught.value.code is None
    assert not caught.value.may_have_been_sent
    assert caught.value.reason == "could not connect to Twilio"


def test_a_connection_closed_before_the_answer_says_the_message_may_have_gone() -> None:
    # A server that reads the request and hangs up: Twilio may have taken the message.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def hang_up() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    provider = TwilioProvider(
        account_sid="AC" + "1" * 32,
        auth_token="token",
        api_base=f"http://127.0.0.1:{port}",
        from_number="+15005550006",
    )
    try:
        with pytest.raises(TemporaryProviderError) as caught:
            send(provider)
    finally:
        thread.join(timeout=10)
        listener.close()
    assert caught.value.may_have_been_sent
    assert caught.value.reason == "the connection to Twilio broke before it answered"


def test_creates_from_many_threads_share_the_process_loop(
    messages_api: FakeMessagesApi,
) -> None:
    # The lifecycle's sending threads each hand their create to the one event loop.
    provider = provider_for(messages_api)
    numbers = [f"+99670011{index:04d}" for index in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(
            pool.map(
                lambda to: provider.send(
                    to=to, body=BODY, status_callback=CALLBACK, validity_period=600
                ),
                numbers,
            )
        )
    assert messages_api.creates_by_to == dict.fromkeys(numbers, 1)


def test_every_twilio_url_is_moved_to_the_configured_base() -> None:
    client = RebasedHttpClient("https://double.example.org/twilio/")
    assert (
        client.rebase("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=5")
        == "https://double.example.org/twilio/2010-04-01/Accounts/AC1/Messages.json?PageSize=5"
    )
    assert client.timeout == (3.05, 10.0)


@pytest.mark.parametrize("base", ["ftp://api.example.org", "api.twilio.com", "http://"])
def test_a_base_that_is_not_an_http_url_is_refused(base: str) -> None:
    with pytest.raises(ValueError, match="TWILIO_API_BASE"):
        RebasedHttpClient(base)


def test_an_alphanumeric_sender_id_is_sent_as_the_from(messages_api: FakeMessagesApi) -> None:
    provider = TwilioProvider(
        account_sid=messages_api.account_sid,
        auth_token=messages_api.auth_token,
        api_base=messages_api.base_url,
        from_number="Birge",
    )
    provider.send(to=RECIPIENT, body="Birge: hello", status_callback=CALLBACK, validity_period=None)
    assert messages_api.recent_forms[-1]["From"] == "Birge"
