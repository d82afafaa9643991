"""The dataset's registry keeps within what SPSS and Stata take, whatever rows are added."""

from __future__ import annotations

import re

from birge_api.reports.dataset.codebook import variables
from birge_api.reports.dataset.files import LONG_HEADER, WIDE_HEADER
from birge_api.reports.dataset.registry import (
    ITEMS,
    MISSING_LABELS,
    WAVE_CODES,
    Missing,
    items_of,
)
from birge_shared import survey_items
from birge_shared.models import Language

#: Stata: names of at most 32 characters, letters, digits and underscores, not starting with
#: a digit; variable labels of at most 80 characters.
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")


def test_every_column_is_a_valid_name_described_once_in_the_codebook() -> None:
    described = [variable.name for variable in variables({})]
    assert len(described) == len(set(described))
    for name in {*LONG_HEADER, *WIDE_HEADER}:
        assert _NAME.match(name), name
        assert name in described, name
    assert len(WIDE_HEADER) == len(set(WIDE_HEADER))


def test_the_wide_files_labels_fit_stata() -> None:
    for variable in variables({}):
        if "wide" in variable.files:
            assert len(variable.label) <= 80, variable.name
            for text in (*variable.value_labels.values(), *variable.missing.values()):
                assert len(text) <= 32000


def test_items_are_asked_in_known_waves_and_no_value_is_a_missing_code() -> None:
    missing = {int(code) for code in Missing}
    assert set(MISSING_LABELS) == missing
    for item in ITEMS:
        assert set(item.waves) <= set(WAVE_CODES), item.code
        assert not missing & set(item.value_labels), item.code
        assert set(item.coding.values()) <= set(item.value_labels), item.code
        assert set(Language) == set(item.wording), item.code


def test_an_edited_question_replaces_the_default_wording() -> None:
    edited = {("survey_question_rating", Language.KY): "Иш-чара кандай өттү? 1–5."}
    rating = next(variable for variable in variables(edited) if variable.name == "rating_post")
    assert rating.wording[Language.KY].text == "Иш-чара кандай өттү? 1–5."
    assert "administrator" in rating.wording[Language.KY].source
    assert "default" in rating.wording[Language.RU].source


def test_the_follow_up_wave_and_the_bank_s_items_are_rows_of_the_dataset() -> None:
    assert WAVE_CODES == ("pre", "post", "followup")
    codes = {item.code for item in ITEMS}
    assert {item.code for item in survey_items.BANK} <= codes
    followup = {item.code for item in items_of("followup")}
    assert followup == {item.code for item in survey_items.BANK}
    assert {item.code for item in items_of("pre")} == {i.code for i in survey_items.ATTITUDE_ITEMS}
    for item in ITEMS:
        if item.code in survey_items.BY_CODE:
            bank = survey_items.BY_CODE[item.code]
            for language in Language:
                if item.template is None:  # the bank's own wording, and where it comes from
                    assert item.wording[language].source == bank.sources[language]
    met = next(item for item in ITEMS if item.code == "met_outside")
    assert (met.code_of(True), met.code_of(False), met.code_of(None)) == (1, 0, -9)
