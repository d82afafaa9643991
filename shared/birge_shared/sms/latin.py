"""Russian and Kyrgyz text in Latin letters of the GSM-7 alphabet, for one-segment SMS.

A single Cyrillic letter makes a whole SMS UCS-2, 70 characters a segment; the same words in
Latin letters are GSM-7, 160 a segment. Texts in Latin letters are how many people here write
SMS anyway, so an invitation to an operator that does not join parts is sent that way when its
Cyrillic text cannot fit one segment.

Written here rather than taken from a transliteration library because the target is GSM-7,
not ASCII: GSM-7 holds ö, ü and ñ, which keep Kyrgyz ө, ү and ң apart from о, у and н (as the
Kyrgyz Latin alphabets write them), where ASCII transliterators fold them together. Russian
follows the common passport-style letters (ж zh, х kh, ц ts, щ shch).
"""

from __future__ import annotations

import unicodedata

from birge_shared.sms.segments import is_gsm7

_LETTERS = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "yo",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    # Kyrgyz
    "ө": "ö",
    "ү": "ü",
    "ң": "ñ",
}
# Punctuation outside GSM-7 that has a plain equivalent in it.
_PUNCTUATION = {
    "«": '"',
    "»": '"',
    "„": '"',
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "—": "-",
    "–": "-",
    "…": "...",
    "№": "No",
    "\u00a0": " ",
}


def _letter(char: str) -> str:
    lower = char.lower()
    if lower in _LETTERS:
        latin = _LETTERS[lower]
        return latin.capitalize() if char != lower else latin
    if char in _PUNCTUATION:
        return _PUNCTUATION[char]
    if is_gsm7(char):
        return char
    # An accented letter GSM-7 lacks loses its accent ("ş" -> "s"); a symbol it cannot
    # show at all (an emoji) is left out rather than turning the whole text into UCS-2.
    base = unicodedata.normalize("NFKD", char)[:1]
    return base if base and is_gsm7(base) else ""


def to_gsm7_latin(text: str) -> str:
    """`text` with every character in GSM-7: Cyrillic in Latin letters, the rest kept or plain."""
    return "".join(_letter(char) for char in text)
