"""Understanding an SMS reply: accept, decline, stop, start, help, or something else.

People answer on small keyboards in three languages: any case, stray spaces and punctuation,
and Latin letters typed into Cyrillic words (a Latin "O" in "ООБА") are all accepted.
"""

from __future__ import annotations

import enum
import unicodedata


class Intent(enum.StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    STOP = "stop"
    START = "start"
    HELP = "help"
    UNKNOWN = "unknown"


_KEYWORDS: dict[Intent, frozenset[str]] = {
    Intent.ACCEPT: frozenset({"yes", "y", "да", "ооба", "1"}),
    Intent.DECLINE: frozenset({"no", "n", "нет", "жок", "2"}),
    Intent.STOP: frozenset(
        {
            "stop",
            "stopall",
            "unsubscribe",
            "cancel",
            "end",
            "quit",
            "стоп",
            "отписаться",
            "токтот",
            "токтотуу",
        }
    ),
    Intent.START: frozenset({"start", "unstop", "старт"}),
    Intent.HELP: frozenset({"help", "info", "помощь", "жардам"}),
}
_BY_WORD = {word: intent for intent, words in _KEYWORDS.items() for word in words}

# Latin letters that look like Cyrillic ones, folded only inside a word that already has
# Cyrillic in it, so "no" stays English while "ДA" (Latin A) still reads as "да".
_LOOKALIKES = str.maketrans("aceopxykmthb", "асеорхукмтнв")


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(char for char in folded if char.isalnum())
    if any("а" <= char <= "я" or char in "ёөүң" for char in kept):
        kept = kept.translate(_LOOKALIKES)
    return kept


def parse_reply(text: str) -> Intent:
    return _BY_WORD.get(_normalise(text), Intent.UNKNOWN)
