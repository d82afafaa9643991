from __future__ import annotations

import pytest

from birge_shared.phones import InvalidPhoneError, mask, normalise_mobile


@pytest.mark.parametrize(
    "raw",
    [
        "0555 123 456",
        "0555123456",
        "555 123 456",
        "+996 555 123 456",
        "996555123456",
        "00996555123456",
        "(0555) 12-34-56",
    ],
)
def test_kyrgyz_local_and_international_forms_become_e164(raw: str) -> None:
    assert normalise_mobile(raw) == "+996555123456"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0700 123 456", "+996700123456"),
        ("0770 123 456", "+996770123456"),
        ("0990 123 456", "+996990123456"),
        ("+7 701 123 4567", "+77011234567"),
        ("+7 916 123 4567", "+79161234567"),
    ],
)
def test_other_kyrgyz_operators_and_foreign_mobiles_are_accepted(raw: str, e164: str) -> None:
    assert normalise_mobile(raw) == e164


@pytest.mark.parametrize("landline", ["0312 123456", "+996 312 123 456", "03222 12345"])
def test_landlines_are_refused_because_sms_cannot_reach_them(landline: str) -> None:
    with pytest.raises(InvalidPhoneError, match="not a mobile number"):
        normalise_mobile(landline)


@pytest.mark.parametrize("raw", ["", "abc", "12", "0555 123 45", "+996 555 123 456 789"])
def test_garbage_and_wrong_lengths_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhoneError):
        normalise_mobile(raw)


def test_the_reason_never_repeats_the_number() -> None:
    with pytest.raises(InvalidPhoneError) as caught:
        normalise_mobile("0312 123456")
    assert "123456" not in str(caught.value)
    assert "0312" not in str(caught.value)


def test_mask_keeps_country_prefix_and_last_digits_only() -> None:
    assert mask("+996555123456") == "+996 555 *** 456"
    assert mask("+77011234567") == "+7 701 *** 567"


def test_mask_of_something_unparseable_reveals_nothing() -> None:
    assert mask("not a number") == "***"
