"""The name normaliser and blind index: one spelling in, the same tokens out, whoever typed it."""

from __future__ import annotations

import string
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from birge_shared import name_index
from birge_shared.crypto import PiiCipher

KEY = PiiCipher(
    encryption_keys=["ZGV2LXBpaS1rZXktMzItYnl0ZXMtbG9uZy0tLS0tLS0="], hash_key="test-hash-key"
).name_token_key


def finds(name: str, typed: str, key: bytes = KEY) -> bool:
    stored = name_index.name_hashes(key, name)
    wanted = name_index.term_hashes(key, typed)
    return bool(wanted) and all(value in stored for value in wanted)


def test_cyrillic_and_latin_spellings_meet() -> None:
    assert name_index.tokens("Айгуль") == name_index.tokens("Aigul") == ["aigul"]
    assert name_index.tokens("Aygul") == ["aigul"]
    assert name_index.tokens("Айгүл Асанова") == ["aigul", "asanova"]
    assert name_index.tokens("Хасан") == name_index.tokens("Khasan") == name_index.tokens("Hasan")
    assert name_index.tokens("Юлия") == name_index.tokens("Yuliya") == name_index.tokens("Yulia")
    assert name_index.tokens("Анна") == name_index.tokens("ANNA")
    assert name_index.tokens("Ёлка Şükür") == ["elka", "sukur"]


def test_case_width_and_punctuation_fold() -> None:
    # Full-width letters (NFKC), capitals, hyphens and apostrophes.
    assert name_index.tokens("ＡＩＧＵＬ") == ["aigul"]
    assert name_index.tokens("Aida-Nur O'Neil") == ["aida", "nur", "o", "neil"]
    assert name_index.tokens("  ") == []


def test_prefixes_of_two_letters_up_to_the_cap() -> None:
    assert name_index.prefixes("aigul") == ["ai", "aig", "aigu", "aigul"]
    assert name_index.prefixes("a") == []
    long = "a" + "b" * 30
    assert len(name_index.prefixes(long)[-1]) == name_index.MAX_PREFIX


def test_search_by_prefix_in_either_alphabet() -> None:
    assert finds("Айгүл Асанова", "aig")
    assert finds("Айгүл Асанова", "Асан айг")
    assert finds("Aigul Asanova", "айгуль")
    assert not finds("Айгүл Асанова", "aigerim")
    assert not finds("Айгүл Асанова", "nova")  # a prefix, not any substring
    # A word shorter than two letters searches nothing.
    assert name_index.term_hashes(KEY, "a") == []


def test_hashes_are_keyed_and_hold_no_name() -> None:
    other = PiiCipher(
        encryption_keys=["ZGV2LXBpaS1rZXktMzItYnl0ZXMtbG9uZy0tLS0tLS0="], hash_key="another"
    ).name_token_key
    assert name_index.name_hashes(KEY, "Aigul") != name_index.name_hashes(other, "Aigul")
    # A hash made under another key finds nothing.
    assert name_index.term_hashes(other, "aig")[0] not in name_index.name_hashes(KEY, "Aigul")
    for value in name_index.name_hashes(KEY, "Aigul"):
        assert len(value) == name_index.HASH_BYTES
        assert b"aig" not in value


LATIN = st.text(alphabet=string.ascii_letters, min_size=2, max_size=20)
CYRILLIC = st.text(alphabet="абвгдеёжзийклмнңоөпрстуүфхцчшщыэюяАБВГДЕЁЖЗИЙКЛМНОӨПРСТУҮ", min_size=2)


@given(st.lists(st.one_of(LATIN, CYRILLIC), min_size=1, max_size=4))
def test_every_word_prefix_finds_its_name(words: list[str]) -> None:
    name = " ".join(words)
    for word in words:
        token = name_index.normalise_token(word.casefold())
        for cut in range(2, len(word) + 1):
            typed_token = name_index.normalise_token(word[:cut].casefold())
            # A cut through a letter pair that folds (`k|h`) may not be a prefix; skip those.
            if len(typed_token) >= 2 and token.startswith(typed_token):
                assert finds(name, word[:cut])


@given(st.one_of(LATIN, CYRILLIC))
def test_case_never_matters(word: str) -> None:
    assert name_index.tokens(word.upper()) == name_index.tokens(word.lower())


@given(st.text(max_size=60))
def test_tokens_are_words_of_letters_marks_and_digits(text: str) -> None:
    for token in name_index.tokens(text):
        assert token
        assert all(unicodedata.category(char)[0] in "LMN" for char in token)
        assert token == "".join(token.split())


def test_arabic_and_persian_script_names_fold_their_marks_and_letter_forms() -> None:
    # Vowel signs (shadda), hamza seats and the Persian yeh are folded: one name, two keyboards.
    assert name_index.tokens("محمّد رضایی") == name_index.tokens("محمد رضائي")
    assert name_index.tokens("أحمد") == name_index.tokens("احمد")
    assert name_index.tokens("فاطمـــة") == name_index.tokens("فاطمه")  # tatweel, taa marbuta
    assert finds("محمد رضایی", "رضا")
    assert finds("محمد رضایی", "مح رض")
    assert not finds("محمد رضایی", "ضا")  # a prefix of a word, as in Latin
    # A zero-width non-joiner inside a Persian word does not split it.
    assert name_index.tokens("مهر\u200cناز") == ["مهرناز"]


def test_chinese_names_are_found_by_any_part_even_one_character() -> None:
    assert name_index.tokens("王小明") == ["王小明"]
    assert finds("王小明", "王")
    assert finds("王小明", "小明")
    assert finds("王小明", "明")
    assert not finds("王小明", "小红")
    # Next to Latin letters it is a word of its own.
    assert name_index.tokens("李Li") == ["李", "li"]
    assert finds("Li Na 李娜", "娜")


def test_korean_and_japanese_names_with_or_without_spaces() -> None:
    assert finds("김민수", "민수")
    assert finds("김 민수", "김민수")
    assert finds("김민수", "김 민수")
    assert finds("さくら たなか", "くら")
    assert finds("タナカ", "タナ")
    assert not finds("김민수", "박")


def test_devanagari_keeps_its_vowel_signs() -> None:
    assert name_index.tokens("प्रिया शर्मा") == ["प्रिया", "शर्मा"]
    assert finds("प्रिया शर्मा", "प्रि")
    # Dropping the sign would make another name: पर is not प्रि.
    assert not finds("प्रिया शर्मा", "पर")


def test_other_latin_letters_stay_in_one_word() -> None:
    assert name_index.tokens("Søren Ødegård") == ["soren", "odegard"]
    assert name_index.tokens("Łukasz Straße") == ["lukasz", "strase"]
    assert name_index.tokens("Oʻzbek Gʻulom") == name_index.tokens("Ozbek Gulom")
