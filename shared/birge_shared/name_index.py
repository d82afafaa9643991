"""A blind index of participants' names: search by name without names in the database.

A name is reduced to tokens that spell the same however it was typed: Unicode NFKC, case
folded, Cyrillic (Kyrgyz and Russian letters) transliterated to Latin, accents dropped, and a
few spelling variants folded together (`y` and `i`, `kh` and `h`, doubled letters), so
"Айгуль", "AIGUL" and "Aygul" all become `aigul`. Each token's prefixes of 2 to
`MAX_PREFIX` letters are stored only as keyed hashes (HMAC-SHA256 under a key derived from
PII_HASH_KEY, `PiiCipher.name_token_key`, cut to 16 bytes) in `participant_name_token`, so
"айг" finds Айгуль by one indexed look-up and the table holds nothing a reader without the
key can turn back into a name.

What the hashes do give away is how many prefixes a name has (roughly its tokens' lengths) and
which participants share a prefix; that is the price of searching without decrypting the city.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
import uuid
from collections.abc import Iterable

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from birge_shared.models import ParticipantNameToken

MIN_PREFIX = 2
# Longer tokens are matched on their first letters: a few more rows, no longer search terms.
MAX_PREFIX = 12
HASH_BYTES = 16

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "ң": "ng",
    "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ү": "u",
    "ф": "f", "х": "kh", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "",
    "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "і": "i", "ї": "i", "є": "e",
    "ә": "a", "ғ": "g", "қ": "k", "ұ": "u", "ў": "u", "ҳ": "h", "ҷ": "j",
}  # fmt: skip
# Latin spellings of one Cyrillic name differ in these ways; both sides are folded alike.
_FOLDS = (("kh", "h"), ("y", "i"), ("w", "v"), ("q", "k"), ("x", "ks"))
_REPEATS = re.compile(r"(.)\1+")
_TOKEN = re.compile(r"[a-z0-9]+")


def _latin(text: str) -> str:
    # Cyrillic first, while й and ё are still single letters (NFKD would split them).
    spelled = "".join(_CYRILLIC.get(char, char) for char in text)
    decomposed = unicodedata.normalize("NFKD", spelled)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def normalise_token(word: str) -> str:
    token = _latin(word)
    for variant, common in _FOLDS:
        token = token.replace(variant, common)
    return _REPEATS.sub(r"\1", token)


def tokens(name: str) -> list[str]:
    """The name's normalised tokens, in order, without repeats."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    words = _TOKEN.findall(_latin(folded))
    seen: dict[str, None] = {}
    for word in words:
        token = normalise_token(word)
        if token:
            seen.setdefault(token, None)
    return list(seen)


def prefixes(token: str) -> list[str]:
    return [token[:length] for length in range(MIN_PREFIX, min(len(token), MAX_PREFIX) + 1)]


def search_terms(typed: str) -> list[str]:
    """What a search box's text looks for: each token of 2 letters or more, cut to MAX_PREFIX."""
    return [token[:MAX_PREFIX] for token in tokens(typed) if len(token) >= MIN_PREFIX]


def token_hash(key: bytes, prefix: str) -> bytes:
    return hmac.new(key, prefix.encode(), hashlib.sha256).digest()[:HASH_BYTES]


def name_hashes(key: bytes, name: str) -> set[bytes]:
    """Every stored hash for a name: all prefixes of all its tokens."""
    return {token_hash(key, prefix) for token in tokens(name) for prefix in prefixes(token)}


def term_hashes(key: bytes, typed: str) -> list[bytes]:
    return list(dict.fromkeys(token_hash(key, term) for term in search_terms(typed)))


def index_rows(key: bytes, participant_id: uuid.UUID, name: str) -> list[dict[str, object]]:
    return [
        {"participant_id": participant_id, "token_hash": value}
        for value in sorted(name_hashes(key, name))
    ]


def forget(session: Session, participant_ids: Iterable[uuid.UUID]) -> None:
    ids = list(participant_ids)
    if ids:
        session.execute(
            delete(ParticipantNameToken).where(ParticipantNameToken.participant_id.in_(ids))
        )


def reindex(
    session: Session,
    key: bytes,
    names: Iterable[tuple[uuid.UUID, str | None]],
    *,
    new: bool = False,
) -> int:
    """Replace the tokens of each (participant, name); a None name (erased) leaves none.

    `new` says the participants were just created, so they have no tokens to delete yet.
    """
    pairs = list(names)
    if not new:
        forget(session, (participant_id for participant_id, _ in pairs))
    rows = [
        row
        for participant_id, name in pairs
        if name
        for row in index_rows(key, participant_id, name)
    ]
    if rows:
        session.execute(insert(ParticipantNameToken), rows)
    return len(rows)
