"""Asking a provider whether it already has a message: Twilio (via the fake), simulator, fake."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import pytest

from birge_shared.models import utcnow
from birge_workers.sms.fake import FakeSmsProvider
from birge_workers.sms.provider import (
    PermanentProviderError,
    TemporaryProviderError,
    same_text,
)
from birge_workers.sms.simulator import SmsSimulator
from tests.fakes.fake_messages_api import FakeMessagesApi, ScriptedAnswer
from tests.integration.sending.conftest import twilio_for

NUMBER = "+996555000111"
OTHER = "+996555000222"


def invitation_text(token: str) -> str:
    return f"Birge: приглашаем на «Плов вместе»! 12 марта, 18:00, Кухня. Ответить: https://b.kg/p/{token}"


def test_twilio_finds_the_message_by_number_text_and_time(messages_api: FakeMessagesApi) -> None:
    provider = twilio_for(messages_api)
    before = utcnow() - timedelta(seconds=2)
    wanted = invitation_text(secrets.token_urlsafe(32))
    sent = provider.send(to=NUMBER, body=wanted, status_callback=None, validity_period=None)
    provider.send(to=NUMBER, body="Birge: другое", status_callback=None, validity_period=None)
    provider.send(to=OTHER, body=wanted, status_callback=None, validity_period=None)

    found = provider.find_sent(to=NUMBER, body=wanted, sent_after=before)

    assert [receipt.sid for receipt in found] == [sent.sid]
    assert found[0].status == "queued"
    assert provider.find_sent(to=NUMBER, body=invitation_text("x" * 43), sent_after=before) == []
    assert provider.find_sent(to="+996555000333", body=wanted, sent_after=before) == []
    # Created before the attempt began: some earlier message, not this attempt's.
    later = utcnow() + timedelta(minutes=1)
    assert provider.find_sent(to=NUMBER, body=wanted, sent_after=later) == []
    assert messages_api.lists == 4
    assert messages_api.total_creates == 3


def test_twilio_finds_a_text_it_re_encoded(messages_api: FakeMessagesApi) -> None:
    provider = twilio_for(messages_api)
    ours = invitation_text(secrets.token_urlsafe(32))
    # Smart Encoding sends « » as plain quotes; the lookup must still recognise the text.
    provider.send(
        to=NUMBER,
        body=ours.replace("«", '"').replace("»", '"'),
        status_callback=None,
        validity_period=None,
    )
    found = provider.find_sent(to=NUMBER, body=ours, sent_after=utcnow() - timedelta(minutes=1))
    assert len(found) == 1


def test_the_same_short_text_twice_is_found_twice_newest_first(
    messages_api: FakeMessagesApi,
) -> None:
    provider = twilio_for(messages_api)
    help_text = "Birge: ответьте ДА или НЕТ на приглашение. СТОП — отписаться."
    first = provider.send(to=NUMBER, body=help_text, status_callback=None, validity_period=None)
    second = provider.send(to=NUMBER, body=help_text, status_callback=None, validity_period=None)
    found = provider.find_sent(
        to=NUMBER, body=help_text, sent_after=utcnow() - timedelta(minutes=1)
    )
    assert [receipt.sid for receipt in found] == [second.sid, first.sid]


def test_a_lookup_twilio_cannot_answer_is_an_error(messages_api: FakeMessagesApi) -> None:
    provider = twilio_for(messages_api)
    messages_api.answer_next(ScriptedAnswer(503, 503, "Service Unavailable"))
    with pytest.raises(TemporaryProviderError):
        provider.find_sent(to=NUMBER, body="Birge", sent_after=utcnow())
    messages_api.answer_next(ScriptedAnswer(401, 20003, "Authenticate"))
    with pytest.raises(PermanentProviderError):
        provider.find_sent(to=NUMBER, body="Birge", sent_after=utcnow())


def test_a_lookup_that_gets_no_answer_is_temporary(messages_api: FakeMessagesApi) -> None:
    provider = twilio_for(messages_api, read_timeout=0.2)
    messages_api.delay = 1.0
    with pytest.raises(TemporaryProviderError):
        provider.find_sent(to=NUMBER, body="Birge", sent_after=utcnow())


def test_the_simulator_finds_what_it_wrote(tmp_path: Path) -> None:
    simulator = SmsSimulator(tmp_path, auth_token="simulator-token")
    before = utcnow() - timedelta(seconds=1)
    assert simulator.find_sent(to=NUMBER, body="Birge: hello", sent_after=before) == []
    sent = simulator.send(
        to=NUMBER, body="Birge: hello", status_callback=None, validity_period=None
    )
    simulator.send(to=OTHER, body="Birge: hello", status_callback=None, validity_period=None)
    with simulator.outbox_path.open("a", encoding="utf-8") as outbox:
        outbox.write('{"sid": "SMcut-short", "to": "+9965')  # a write cut short by a crash

    found = simulator.find_sent(to=NUMBER, body="Birge: hello", sent_after=before)

    assert [receipt.sid for receipt in found] == [sent.sid]
    assert simulator.find_sent(to=NUMBER, body="Birge: bye", sent_after=before) == []
    assert simulator.find_sent(to=NUMBER, body="Birge: hello", sent_after=utcnow()) == []


def test_the_in_memory_fake_finds_what_it_sent() -> None:
    fake = FakeSmsProvider()
    before = utcnow() - timedelta(seconds=1)
    sent = fake.send(to=NUMBER, body="Birge: hello", status_callback=None, validity_period=None)
    fake.fail_next(1, TemporaryProviderError(None, "down"))
    with pytest.raises(TemporaryProviderError):
        fake.send(to=NUMBER, body="Birge: again", status_callback=None, validity_period=None)

    assert fake.find_sent(to=NUMBER, body="Birge: hello", sent_after=before) == [sent]
    assert fake.find_sent(to=NUMBER, body="Birge: again", sent_after=before) == []


@pytest.mark.parametrize(
    ("ours", "theirs", "same"),
    [
        ("Birge: hello", "Birge: hello", True),
        (invitation_text("T" * 43), invitation_text("T" * 43).replace("«", '"'), True),
        (invitation_text("T" * 43), invitation_text("U" * 43), False),
        # Cyrillic texts without a link have too few latin letters to tell apart loosely.
        ("Birge: вы отписаны.", "Birge: ответьте ДА или НЕТ.", False),
        ("Birge: «да»", 'Birge: "да"', False),
    ],
)
def test_which_texts_count_as_the_same(ours: str, theirs: str, same: bool) -> None:
    assert same_text(ours, theirs) is same
