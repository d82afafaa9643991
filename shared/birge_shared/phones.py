"""Phone numbers: parsed with `phonenumbers`, Kyrgyz local forms accepted, mobiles only."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

DEFAULT_REGION = "KG"
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class InvalidPhoneError(ValueError):
    """Raised with a reason that never repeats the number itself."""


def normalise_mobile(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """Return the E.164 form of a mobile number: `0555 123 456` -> `+996555123456`."""
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException as exc:
        raise InvalidPhoneError("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneError("not a valid phone number")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise InvalidPhoneError("not a mobile number: SMS cannot reach it")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(e164: str) -> str:
    """`+996555123456` -> `+996 555 *** 456`: enough to recognise, not enough to call."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return "***"
    country = f"+{number.country_code}"
    national = str(number.national_number)
    if len(national) < 6:
        return f"{country} ***"
    return f"{country} {national[:3]} {'*' * 3} {national[-3:]}"
