"""A blind index of participants' names: search by name without names in the database.

A name is reduced to tokens that spell the same however it was typed: Unicode NFKC, case
folded, format characters (zero-width joiners, direction marks), the Arabic tatweel and
Uzbek's modifier apostrophe (ʻ) dropped, then split into words at anything that is not a
letter, a mark or a digit. Then, by script:

- Cyrillic (Kyrgyz and Russian letters) is transliterated to Latin and accents are dropped,
  with a few spelling variants folded together (`y` and `i`, `kh` and `h`, doubled letters),
  so "Айгуль", "AIGUL" and "Aygul" all become `aigul`.
- Arabic-script names (Arabic, Persian, Urdu, Uyghur) lose their vowel signs and hamza seats
  (marks, as accents are), and the letters Persian and Arabic write differently are folded
  (`ی`/`ي`/`ى`, `ک`/`ك`, `ة`/`ه`), so "محمّد" finds "محمد" and a Persian keyboard finds an
  Arabic spelling. Greek and Hebrew drop their marks likewise.
- Scripts whose marks are letters (Devanagari and the other Indic scripts, Thai, …) keep them:
  dropping a vowel sign would turn one name into another.
- Scripts written without spaces inside a name (Chinese characters, Japanese kana, Korean
  Hangul) are cut from a neighbouring Latin or Cyrillic word, and indexed as every substring
  rather than every prefix: "王小明" is found by "小明" as well as by "王", and "김민수" by
  "민수". A single character is a search term there (a Chinese given name is often one), and a
  name written with spaces between its parts ("김 민수") is also indexed joined up, so typing
  it either way finds it.

Each token's prefixes (substrings for the scripts without spaces) of up to `MAX_PREFIX`
letters are stored only as keyed hashes (HMAC-SHA256 under a key derived from PII_HASH_KEY,
`PiiCipher.name_token_key`, cut to 16 bytes) in `participant_name_token`, so "айг" finds
Айгуль by one indexed look-up and the table holds nothing a reader without the key can turn
back into a name.

What the hashes do give away is how many prefixes a name has (roughly its tokens' lengths) and
which participants share a prefix; that is the price of searching without decrypting the city.
For Chinese, Japanese and Korean names that includes sharing one character (a common surname),
which is what searching by it needs.
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
#: In the scripts without spaces one character is already a syllable, often a whole name.
MIN_UNSPACED = 1
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
# Latin letters that NFKD does not split into a letter and an accent.
_LATIN = {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"}
# One Arabic-script letter written two ways (Persian and Arabic keyboards, final forms).
_ARABIC = {"ی": "ي", "ى": "ي", "ې": "ي", "ک": "ك", "ة": "ه", "ۀ": "ه", "ە": "ه"}
# Latin spellings of one Cyrillic name differ in these ways; both sides are folded alike.
_FOLDS = (("kh", "h"), ("y", "i"), ("w", "v"), ("q", "k"), ("x", "ks"))
_REPEATS = re.compile(r"([a-z])\1+")
#: Dropped inside words: the Arabic tatweel (a stretch of the line) and the apostrophe-like
#: modifier letters of Uzbek and other Latin orthographies (Oʻzbek is typed Ozbek too).
_JOINED = frozenset("\u0640\u02b9\u02bb\u02bc")
#: Scripts whose marks are accents or vowel signs a name is also written without.
_MARKS_DROPPED = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARABIC", "HEBREW"})
#: Scripts written without spaces between a name's syllables (the first word of the names).
_UNSPACED = frozenset({"CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA", "HANGUL"})


def _script(char: str) -> str:
    """The script of a letter, as the first word of its Unicode name (`ARABIC`, `CJK`…)."""
    return unicodedata.name(char, "").split(" ", 1)[0]


def _unspaced(char: str) -> bool:
    return _script(char) in _UNSPACED


def _words(folded: str) -> list[str]:
    """Runs of letters, marks and digits; a script without spaces makes runs of its own."""
    words: list[str] = []
    current: list[str] = []
    for char in folded:
        kind = unicodedata.category(char)[0]
        if kind == "M":
            if current:  # a mark belongs to the letter before it
                current.append(char)
            continue
        if kind not in "LN":
            if current:
                words.append("".join(current))
            current = []
            continue
        if current and _unspaced(current[-1]) != _unspaced(char):
            words.append("".join(current))
            current = []
        current.append(char)
    if current:
        words.append("".join(current))
    return words


def _spell(word: str) -> str:
    """Transliterate Cyrillic and drop the marks of the scripts that write names without."""
    spelled: list[str] = []
    base = ""
    for char in word:
        if unicodedata.combining(char) or unicodedata.category(char)[0] == "M":
            if base not in _MARKS_DROPPED:
                spelled.append(char)
            continue
        base = _script(char)
        # Cyrillic first, while й and ё are still single letters (NFKD would split them).
        letter = _CYRILLIC.get(char, char)
        if base in _MARKS_DROPPED:
            decomposed = unicodedata.normalize("NFKD", letter)
            letter = "".join(part for part in decomposed if not unicodedata.combining(part))
            letter = _LATIN.get(letter, letter)
            letter = _ARABIC.get(letter, letter)
        spelled.append(letter)
    return "".join(spelled)


def normalise_token(word: str) -> str:
    token = _spell(word)
    for variant, common in _FOLDS:
        token = token.replace(variant, common)
    return _REPEATS.sub(r"\1", token)


def tokens(name: str) -> list[str]:
    """The name's normalised tokens, in order, without repeats."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    folded = "".join(
        char for char in folded if unicodedata.category(char) != "Cf" and char not in _JOINED
    )
    seen: dict[str, None] = {}
    for word in _words(folded):
        token = normalise_token(word)
        if token:
            seen.setdefault(token, None)
    return list(seen)


def _shortest(token: str) -> int:
    return MIN_UNSPACED if _unspaced(token[0]) else MIN_PREFIX


def prefixes(token: str) -> list[str]:
    return [token[:length] for length in range(_shortest(token), min(len(token), MAX_PREFIX) + 1)]


def _indexed(token: str) -> list[str]:
    """What is hashed for a token: its prefixes, or every substring in a script without spaces."""
    if not _unspaced(token[0]):
        return prefixes(token)
    return [prefix for start in range(len(token)) for prefix in prefixes(token[start:])]


def search_terms(typed: str) -> list[str]:
    """What a search box's text looks for: each token long enough to search, cut to MAX_PREFIX."""
    return [token[:MAX_PREFIX] for token in tokens(typed) if len(token) >= _shortest(token)]


def token_hash(key: bytes, prefix: str) -> bytes:
    return hmac.new(key, prefix.encode(), hashlib.sha256).digest()[:HASH_BYTES]


def name_hashes(key: bytes, name: str) -> set[bytes]:
    """Every stored hash for a name: all prefixes (or substrings) of all its tokens."""
    words = tokens(name)
    unspaced = [token for token in words if _unspaced(token[0])]
    if len(unspaced) > 1:
        # "김 민수" is also typed "김민수".
        words.append("".join(unspaced))
    return {token_hash(key, piece) for token in words for piece in _indexed(token)}


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
