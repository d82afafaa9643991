"""How many SMS segments a text costs, by the GSM 03.38 rules carriers and Twilio bill by.

A text that fits the GSM-7 alphabet (basic table plus the extension table) is sent in 7-bit
septets: 160 in a single message, 153 per part once it has to be concatenated (the user data
header takes the rest). A single character outside that alphabet — any Cyrillic letter, the
Kyrgyz ө ү ң, an emoji — turns the whole message into UCS-2: 70 UTF-16 code units in a single
message, 67 per part.

Parts are filled greedily without splitting what a handset must receive whole: an extension
character (escape septet plus its own) or a surrogate pair (an emoji is two code units) that
does not fit at the end of a part moves to the next one, as carriers do. For text of plain
characters this is exactly `ceil(length / 153)` or `ceil(length / 67)`.

An empty text is counted as 0 segments: Birge never sends an empty body (Twilio refuses a
message without a body or media), so it costs nothing rather than a phantom segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 default alphabet (3GPP TS 23.038, 6.2.1), in table order. 0x1B (escape) is left
# out: it is not a character a text can contain, only the prefix of the extension table.
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each of these is sent as escape + character, so it costs two septets.
_GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")

_GSM7_SINGLE = 160
_GSM7_PART = 153
_UCS2_SINGLE = 70
_UCS2_PART = 67


@dataclass(frozen=True, slots=True)
class SegmentCount:
    """The encoding a text needs, its length in that encoding's units, and its segments.

    `characters` is in septets for GSM-7 (an extension character counts two) and in UTF-16
    code units for UCS-2 (a character beyond the Basic Multilingual Plane counts two).
    """

    encoding: Encoding
    characters: int
    segments: int


_GSM7_ALL = _GSM7_BASIC | _GSM7_EXTENDED


def is_gsm7(text: str) -> bool:
    """Whether every character of `text` is in the GSM-7 alphabet (basic or extension table)."""
    return _GSM7_ALL.issuperset(text)


def fits_one_segment(text: str) -> bool:
    """`count_segments(text).segments <= 1`, without packing parts (called often when fitting)."""
    if len(text) > _GSM7_SINGLE:
        return False  # a character is at least one septet or one UTF-16 unit
    if is_gsm7(text):
        return len(text) + sum(char in _GSM7_EXTENDED for char in text) <= _GSM7_SINGLE
    return len(text) + sum(ord(char) > 0xFFFF for char in text) <= _UCS2_SINGLE


def count_segments(text: str) -> SegmentCount:
    if is_gsm7(text):
        widths = [2 if char in _GSM7_EXTENDED else 1 for char in text]
        return _pack("GSM-7", widths, single=_GSM7_SINGLE, part=_GSM7_PART)
    widths = [2 if ord(char) > 0xFFFF else 1 for char in text]
    return _pack("UCS-2", widths, single=_UCS2_SINGLE, part=_UCS2_PART)


def estimate_price(segments: int, price_per_segment: Decimal) -> Decimal:
    """The price of sending `segments` segments; Twilio bills every segment at the same rate."""
    if segments < 0:
        raise ValueError("a segment count cannot be negative")
    return price_per_segment * segments


def _pack(encoding: Encoding, widths: list[int], *, single: int, part: int) -> SegmentCount:
    total = sum(widths)
    if total == 0:
        return SegmentCount(encoding=encoding, characters=0, segments=0)
    if total <= single:
        return SegmentCount(encoding=encoding, characters=total, segments=1)
    segments, used = 1, 0
    for width in widths:
        if used + width > part:
            segments, used = segments + 1, 0
        used += width
    return SegmentCount(encoding=encoding, characters=total, segments=segments)
