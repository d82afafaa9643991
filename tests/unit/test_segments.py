from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from birge_shared.sms.segments import (
    SegmentCount,
    count_segments,
    estimate_price,
    fits_one_segment,
)

CYRILLIC = "д"


@pytest.mark.parametrize(
    ("length", "segments"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
)
def test_gsm7_uses_160_for_one_message_and_153_per_part(length: int, segments: int) -> None:
    assert count_segments("a" * length) == SegmentCount("GSM-7", length, segments)


@pytest.mark.parametrize(
    ("length", "segments"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)]
)
def test_cyrillic_is_ucs2_with_70_for_one_message_and_67_per_part(
    length: int, segments: int
) -> None:
    assert count_segments(CYRILLIC * length) == SegmentCount("UCS-2", length, segments)


def test_an_extension_character_counts_two_septets() -> None:
    assert count_segments("a" * 158 + "€") == SegmentCount("GSM-7", 160, 1)
    assert count_segments("a" * 159 + "€") == SegmentCount("GSM-7", 161, 2)


@pytest.mark.parametrize("char", ["€", "[", "]", "{", "}", "^", "~", "\\", "|", "\f"])
def test_every_extension_character_stays_gsm7_at_two_septets(char: str) -> None:
    assert count_segments(char) == SegmentCount("GSM-7", 2, 1)


def test_the_gsm7_basic_table_is_one_septet_each() -> None:
    text = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./09:;<=>?¡AZÄÖÑÜ§¿azäöñüà"
    assert count_segments(text) == SegmentCount("GSM-7", len(text), 1)


def test_an_extension_character_is_not_split_across_parts() -> None:
    # 152 septets leave one free in the first part: the two septets of € go to the second.
    text = "a" * 152 + "€" + "a" * 153
    assert count_segments(text) == SegmentCount("GSM-7", 307, 3)


@pytest.mark.parametrize("letter", ["ө", "ү", "ң", "Ө", "Ү", "Ң"])
def test_kyrgyz_letters_make_the_message_ucs2(letter: str) -> None:
    assert count_segments("Birge " + letter).encoding == "UCS-2"


def test_one_character_outside_gsm7_turns_the_whole_message_ucs2() -> None:
    result = count_segments("a" * 100 + "ç")  # lower-case c cedilla is not in the GSM table
    assert result == SegmentCount("UCS-2", 101, 2)


def test_an_emoji_is_two_utf16_code_units() -> None:
    assert count_segments("👍") == SegmentCount("UCS-2", 2, 1)
    assert count_segments("a" * 68 + "👍") == SegmentCount("UCS-2", 70, 1)
    assert count_segments("a" * 69 + "👍") == SegmentCount("UCS-2", 71, 2)


def test_a_surrogate_pair_is_not_split_across_parts() -> None:
    text = "a" * 66 + "👍" + "a" * 67
    assert count_segments(text) == SegmentCount("UCS-2", 135, 3)


def test_an_empty_text_costs_nothing() -> None:
    assert count_segments("") == SegmentCount("GSM-7", 0, 0)


def test_a_realistic_russian_invitation() -> None:
    text = (
        "Приглашаем на кулинарный вечер 12.10 в 18:00, Бишкек. "
        "Ответьте ДА или НЕТ: https://birge.kg/i/Xy7kQ2"
    )
    result = count_segments(text)
    assert result.encoding == "UCS-2"
    assert result.characters == len(text)
    assert result.segments == 2


def test_price_is_segments_times_the_rate() -> None:
    assert estimate_price(3, Decimal("0.0450")) == Decimal("0.1350")
    assert estimate_price(0, Decimal("0.0450")) == Decimal("0")


def test_price_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError, match="negative"):
        estimate_price(-1, Decimal("0.0450"))


texts = st.text(alphabet=st.sampled_from("aZ0 €[{ёдөү👍\n"), max_size=400)


@given(prefix=texts, suffix=texts)
def test_segments_never_fall_when_text_is_appended(prefix: str, suffix: str) -> None:
    assert count_segments(prefix + suffix).segments >= count_segments(prefix).segments


@given(text=st.text(min_size=1, max_size=500))
def test_non_empty_text_is_at_least_one_segment_and_parts_hold_their_limit(text: str) -> None:
    result = count_segments(text)
    assert result.segments >= 1
    part = 153 if result.encoding == "GSM-7" else 67
    # Greedy filling wastes at most one unit per part, so the count stays near the plain ratio.
    assert result.segments <= max(1, -(-result.characters // (part - 1)))


def test_the_quick_one_segment_check_agrees_with_the_full_count() -> None:
    alphabet = "abcАБВ€[😀 öz"
    rng = random.Random(12)
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 180)))
        assert fits_one_segment(text) == (count_segments(text).segments <= 1), text
    assert fits_one_segment("x" * 160)
    assert not fits_one_segment("x" * 159 + "€")  # the euro sign takes two septets
    assert fits_one_segment("ж" * 70)
    assert not fits_one_segment("ж" * 69 + "😀")  # an emoji takes two UTF-16 units
