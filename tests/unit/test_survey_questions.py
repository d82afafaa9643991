"""The survey's questions, scales and SMS answers, the same for the page and for SMS."""

from __future__ import annotations

import pytest

from birge_shared import rollups, survey_items
from birge_shared.models import Language
from birge_shared.sms.segments import count_segments
from birge_shared.sms.templates import DEFAULT_TEMPLATES, PLACEHOLDERS, check_template
from birge_shared.surveys import (
    QUESTION_PURPOSES,
    QUESTIONS,
    SCALES,
    SURVEY_PURPOSES,
    SURVEY_REPLIES,
    Question,
    SurveyKind,
    is_valid,
    parse_number,
    question_text,
    questions_of,
)


@pytest.mark.parametrize(
    ("text", "number"),
    [("4", 4), (" 4 ", 4), ("4.", 4), ("(2)", 2), ("４", 4), ("1!", 1), ("5\n", 5)],
)
def test_a_single_number_is_an_answer(text: str, number: int) -> None:
    assert parse_number(text) == number


@pytest.mark.parametrize("text", ["", "yes", "ДА", "12", "4 5", "four", "4a", "-3", "3.5"])
def test_anything_else_is_not(text: str) -> None:
    assert parse_number(text) is None


def test_scales() -> None:
    for question in (Question.ATTITUDE, Question.RATING):
        assert [value for value in range(7) if is_valid(question, value)] == [1, 2, 3, 4, 5]
    assert [value for value in range(7) if is_valid(Question.TALK, value)] == [1, 2]


def test_the_pre_survey_asks_the_attitude_item_the_post_survey_asks_it_again() -> None:
    assert QUESTIONS[SurveyKind.PRE] == (Question.ATTITUDE,)
    assert QUESTIONS[SurveyKind.POST][-1] is Question.ATTITUDE
    # The SMS asks the questions that have a template; the bank's others are page-only.
    assert set(QUESTIONS[SurveyKind.POST]) == set(QUESTION_PURPOSES)


def test_the_page_asks_the_event_s_items_in_every_wave_and_behaviour_at_follow_up() -> None:
    chosen = ["thermometer", "attitude"]
    assert questions_of(SurveyKind.PRE, None) == (Question.ATTITUDE,)
    assert questions_of(SurveyKind.PRE, chosen) == (Question.ATTITUDE, Question.THERMOMETER)
    assert questions_of(SurveyKind.POST, chosen) == (
        Question.RATING,
        Question.TALK,
        Question.ATTITUDE,
        Question.THERMOMETER,
    )
    assert questions_of(SurveyKind.FOLLOWUP, chosen) == (
        Question.ATTITUDE,
        Question.THERMOMETER,
        Question.MET_OUTSIDE,
        Question.JOIN_AGAIN,
    )
    with pytest.raises(survey_items.UnknownItemError):
        questions_of(SurveyKind.PRE, ["met_outside"])  # behavioural: not a choice


def test_the_bank_s_scales_and_sources() -> None:
    assert [value for value in range(-1, 102) if is_valid(Question.THERMOMETER, value)] == list(
        range(101)
    )
    assert SCALES[Question.JOIN_AGAIN] == (1, 2, 3)
    for item in survey_items.BANK:
        assert set(item.sources) == set(Language), item.code
        assert set(item.value_labels) <= set(item.values), item.code
        assert item.wording
        # Every attitude item is paired across the three waves in the rollups.
        if item.family is survey_items.Family.ATTITUDE:
            waves = {p.wave for p in rollups.PAIRED_ITEMS if p.item.code == item.code}
            assert waves == {"pre:post", "post:followup", "pre:followup"}


def test_every_survey_text_is_an_editable_template_in_every_language() -> None:
    assert SURVEY_PURPOSES.issubset(PLACEHOLDERS)
    assert SURVEY_REPLIES.issubset(SURVEY_PURPOSES)
    for purpose in SURVEY_PURPOSES:
        assert set(DEFAULT_TEMPLATES[purpose]) == set(Language)
        for body in DEFAULT_TEMPLATES[purpose].values():
            check_template(purpose, body)
    for purpose in QUESTION_PURPOSES.values():
        # The page shows the question texts too: nothing to fill in.
        assert PLACEHOLDERS[purpose] == frozenset()


@pytest.mark.parametrize("language", list(Language))
def test_each_question_fits_in_two_segments_and_names_its_scale(language: Language) -> None:
    for question in QUESTION_PURPOSES:
        text = question_text(question, language, {})
        assert count_segments(text).segments <= 2
        assert "1" in text
        assert ("2" if question is Question.TALK else "5") in text


def test_an_administrators_edit_is_the_question() -> None:
    edited = {("survey_question_rating", Language.RU): "Оцените встречу от 1 до 5."}
    assert question_text(Question.RATING, Language.RU, edited) == "Оцените встречу от 1 до 5."
    assert question_text(Question.RATING, Language.KY, edited).startswith("Иш-чараны")
