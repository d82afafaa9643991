"""Which mobile operator a number belongs to, for the operators that do not join SMS parts.

An operator is named by its MCC-MNC (what the settings list) and recognised by the number's
prefix with the carrier data of `phonenumbers`, which names operators by their legal entity:
Beeline Kyrgyzstan is "Sky mobile", MegaCom is "ALFA Telecom", O! is "Nur Telecom". The
prefix tells the operator a number was first given by; a number ported to another operator
keeps its prefix, so a ported number is treated as its first operator's (no lookup service
reaches past that without a paid query per number).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import phonenumbers
from phonenumbers import carrier


@dataclass(frozen=True, slots=True)
class Operator:
    region: str
    #: The name `phonenumbers.carrier.name_for_number` gives the operator's prefixes.
    carrier_name: str
    #: The name people know it by.
    brand: str


#: The operators Birge can name in SMS_SINGLE_SEGMENT_OPERATORS, by MCC-MNC.
OPERATORS: dict[str, Operator] = {
    "437-01": Operator(region="KG", carrier_name="Sky mobile", brand="Beeline"),
    "437-05": Operator(region="KG", carrier_name="ALFA Telecom", brand="MegaCom"),
    "437-09": Operator(region="KG", carrier_name="Nur Telecom", brand="O!"),
}


#: The country calling codes of the operators' regions: a number under any other code has
#: none of them, whatever its prefix.
_CALLING_CODES: dict[str, str] = {
    str(phonenumbers.country_code_for_region(region)): region
    for region in {operator.region for operator in OPERATORS.values()}
}


def _number(phone: str) -> phonenumbers.PhoneNumber | None:
    """The number of an E.164 string under one of the operators' calling codes, else None.

    Stored numbers are E.164 already, so their country code and national number are read
    off directly (what `parse` would find, at a twentieth of the cost: the fan-out looks up
    every recipient); anything else goes through `parse`.
    """
    for code in _CALLING_CODES:
        national = phone[1 + len(code) :]
        if phone.startswith(f"+{code}") and national.isdigit() and not national.startswith("0"):
            return phonenumbers.PhoneNumber(country_code=int(code), national_number=int(national))
    if phone.startswith("+") and phone[1:].isdigit():
        return None  # E.164 under another calling code: no operator listed here
    try:
        return phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return None


def operator_of(phone: str) -> str | None:
    """The MCC-MNC of the operator whose prefix `phone` (E.164) has, or None when unknown."""
    number = _number(phone)
    if number is None:
        return None
    region = phonenumbers.region_code_for_number(number)
    name = carrier.name_for_number(number, "en")
    for code, operator in OPERATORS.items():
        if operator.region == region and operator.carrier_name == name:
            return code
    return None


def joins_parts(phone: str, single_segment_operators: Collection[str]) -> bool:
    """False when the number's operator is one that delivers the parts of a long SMS apart."""
    return operator_of(phone) not in single_segment_operators


def brands(codes: Collection[str]) -> str:
    """ "Beeline, O!": the operators named by these MCC-MNC codes, as people know them."""
    return ", ".join(OPERATORS[code].brand for code in codes if code in OPERATORS)
