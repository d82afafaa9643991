"""Recognising the operators that do not join SMS parts, and the settings that name them."""

from __future__ import annotations

import phonenumbers
import pytest
from phonenumbers import carrier
from pydantic import ValidationError

from birge_shared.settings import Settings
from birge_shared.sms.operators import OPERATORS, brands, joins_parts, operator_of


@pytest.mark.parametrize(
    ("phone", "operator"),
    [
        # Beeline Kyrgyzstan (Sky Mobile): 22x, 77x and more.
        ("+996770123456", "437-01"),
        ("+996777123456", "437-01"),
        ("+996220123456", "437-01"),
        ("+996225123456", "437-01"),
        # MegaCom (Alfa Telecom): 55x, 75x, 99x.
        ("+996555123456", "437-05"),
        ("+996550123456", "437-05"),
        ("+996755123456", "437-05"),
        ("+996990123456", "437-05"),
        # O! (Nur Telecom): 50x, 70x.
        ("+996700123456", "437-09"),
        ("+996500123456", "437-09"),
        # A Bishkek landline, a Russian mobile and nonsense belong to no operator we know.
        ("+996312123456", None),
        ("+79001234567", None),
        ("not a number", None),
    ],
)
def test_the_number_prefix_names_the_operator(phone: str, operator: str | None) -> None:
    assert operator_of(phone) == operator


def test_only_the_listed_operators_need_one_segment() -> None:
    assert not joins_parts("+996770123456", ["437-01"])
    assert joins_parts("+996555123456", ["437-01"])
    assert joins_parts("+996770123456", [])
    assert not joins_parts("+996555123456", ["437-01", "437-05"])
    assert brands(["437-01", "437-09"]) == "Beeline, O!"


def test_beeline_is_the_default_operator_without_concatenation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SMS_SINGLE_SEGMENT_OPERATORS", raising=False)
    assert Settings().sms_single_segment_operators == ["437-01"]
    assert OPERATORS["437-01"].brand == "Beeline"


def test_operators_are_read_as_a_list_and_unknown_ones_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SMS_SINGLE_SEGMENT_OPERATORS", "437-01, 437-09")
    assert Settings().sms_single_segment_operators == ["437-01", "437-09"]
    monkeypatch.setenv("SMS_SINGLE_SEGMENT_OPERATORS", "")
    assert Settings().sms_single_segment_operators == []
    monkeypatch.setenv("SMS_SINGLE_SEGMENT_OPERATORS", "437-01,999-99")
    with pytest.raises(ValidationError, match="unknown operators 999-99"):
        Settings()


@pytest.mark.parametrize("sender", ["Birge", "BIRGE KG", "Birge2026", "+996555000000", "A"])
def test_a_number_or_an_alphanumeric_sender_id_is_accepted(
    monkeypatch: pytest.MonkeyPatch, sender: str
) -> None:
    monkeypatch.setenv("TWILIO_FROM_NUMBER", sender)
    monkeypatch.delenv("SMS_TWO_WAY", raising=False)
    assert Settings().twilio_from_number == sender


@pytest.mark.parametrize(
    "sender",
    ["Birge Kyrgyzstan", "12345", "Birge-KG", "Бирге", "996555000000", "+0996555", "Birge!"],
)
def test_a_sender_twilio_would_refuse_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, sender: str
) -> None:
    monkeypatch.setenv("TWILIO_FROM_NUMBER", sender)
    with pytest.raises(ValidationError, match="alphanumeric sender ID of at most 11"):
        Settings()


def test_replies_default_to_off_for_an_alphanumeric_sender(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SMS_TWO_WAY", raising=False)
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "Birge")
    assert Settings().sms_replies is False
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "+996555000000")
    assert Settings().sms_replies is True
    monkeypatch.setenv("SMS_TWO_WAY", "false")
    assert Settings().sms_replies is False


def test_replies_cannot_be_switched_on_for_an_alphanumeric_sender(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "Birge")
    monkeypatch.setenv("SMS_TWO_WAY", "true")
    with pytest.raises(ValidationError, match="nobody can reply to a sender ID"):
        Settings()


def test_a_public_address_too_long_for_a_one_segment_link_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://" + "a" * 60 + ".kg")
    with pytest.raises(ValidationError, match="PUBLIC_BASE_URL must be at most 50"):
        Settings()
    monkeypatch.setenv("SMS_SINGLE_SEGMENT_OPERATORS", "")
    assert Settings().public_base_url.startswith("https://aaa")


def test_reading_an_e164_number_directly_finds_what_parsing_finds() -> None:
    # Every three-digit prefix of a Kyrgyz number, and numbers too short or too long: the
    # direct reading of a stored number must name the operator `parse` would.
    phones = [f"+996{prefix:03d}123456" for prefix in range(1000)]
    phones += ["+99677012345", "+9967701234567", "+996077012345", "+99831234567"]
    for phone in phones:
        number = phonenumbers.parse(phone)
        expected = next(
            (
                code
                for code, operator in OPERATORS.items()
                if operator.region == phonenumbers.region_code_for_number(number)
                and operator.carrier_name == carrier.name_for_number(number, "en")
            ),
            None,
        )
        assert operator_of(phone) == expected, phone
