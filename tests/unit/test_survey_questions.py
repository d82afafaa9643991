"""The survey's questions, scales and SMS answers, the same for the page and for SMS."""

from __future__ import annotations

import pytest

from birge_shared.models import Language
from birge_shared.sms.segments import count_segments
from birge_shared.sms.templates import DEFAULT_TEMPLATES, PLACEHOLDERS, check_template
from birge_shared.surveys import (
    QUESTION_PURPOSES,
    QUESTIONS,
    SURVEY_PURPOSES,
    SURVEY_REPLIES,
    Question,
    SurveyKind,
    is_valid,
    parse_number,
    question_text,
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
    assert set(QUESTIONS[SurveyKind.POST]) == set(Question)


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
    for question in Question:
        text = question_text(question, language, {})
        assert count_segments(text).segments <= 2
        assert "1" in text
        assert ("2" if question is Question.TALK else "5") in text


def test_an_administrators_edit_is_the_question() -> None:
    edited = {("survey_question_rating", Language.RU): "Оцените встречу от 1 до 5."}
    assert question_text(Question.RATING, Language.RU, edited) == "Оцените встречу от 1 до 5."
    assert question_text(Question.RATING, Language.KY, edited).startswith("Иш-чараны")
