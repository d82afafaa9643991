"""The short check-in code of an event: easy to read aloud, to copy from a board, to type.

Six characters from an alphabet without look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 6/G, 8/B),
about 113 million codes, so guessing is hopeless within the five tries an hour a participant
gets. What people type is forgiven: lower case, spaces and dashes, and Cyrillic letters that
look like the Latin ones (a Russian or Kyrgyz keyboard's С, Е, Н, К, М, Р, Т, Х, У, А).
"""

from __future__ import annotations

import hmac
import secrets
import unicodedata

ALPHABET = "ACDEFHJKMNPRTUVWXY3479"
CODE_LENGTH = 6

_CYRILLIC_LOOKALIKES = str.maketrans("АВСЕНКМОРТХУ", "ABCEHKMOPTXY")


def new_checkin_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str:
    folded = unicodedata.normalize("NFKC", typed).upper().translate(_CYRILLIC_LOOKALIKES)
    return "".join(char for char in folded if char.isalnum())


def code_matches(typed: str, expected: str) -> bool:
    # Compared in constant time, so response times say nothing about a partly right code.
    return hmac.compare_digest(normalise_code(typed).encode(), expected.encode())
