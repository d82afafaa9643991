"""The participant search and filter form, read once: windows, typed terms, and a saved
filter's round trip through the form."""

from __future__ import annotations

import pytest

from birge_api.participant_filters.schemas import FilterCriteria
from birge_console.participant_criteria import Criteria, invited_window, search_term
from birge_shared.models import Community, Language


@pytest.mark.parametrize(
    ("code", "window"),
    [
        ("30", (30, True)),
        ("not90", (90, False)),
        ("not45", (45, False)),
        ("", None),
        ("not", None),
        ("0", None),
        ("3651", None),
        ("-5", None),
        ("soon", None),
    ],
)
def test_invited_windows(code: str, window: tuple[int, bool] | None) -> None:
    assert invited_window(code) == window


def test_a_typed_term_is_one_stripped_line_or_nothing() -> None:
    assert search_term("  Айгүл  ") == "Айгүл"
    assert search_term("Айгүл\nАсанова") == ""
    assert search_term("a\u2028b") == ""


def test_a_saved_filter_applies_as_the_form_that_saves_it() -> None:
    form = Criteria(
        name="Айгүл",
        phone="0555 123 456",
        city="osh",
        language="ky",
        community="migrant",
        opted_out="no",
        invited="not45",
    )
    saved = form.saved()
    assert saved == FilterCriteria(
        language=Language.KY,
        community=Community.MIGRANT,
        opted_out=False,
        not_invited_within_days=45,
    )
    # What is kept has no typed name, no number and no city.
    assert set(saved.stored()) == {"language", "community", "opted_out", "not_invited_within_days"}
    again = Criteria.of(saved, city="osh")
    assert again == Criteria(
        city="osh", language="ky", community="migrant", opted_out="no", invited="not45"
    )
    assert again.query() == "city=osh&language=ky&community=migrant&opted_out=no&invited=not45"


def test_values_the_form_never_offers_mean_any() -> None:
    form = Criteria(language="fr", community="tourist", opted_out="maybe", invited="soon")
    assert form.saved().stored() == {}
    assert not form.has_choices
    filters = form.filters()
    assert (filters.language, filters.community, filters.opted_out) == (None, None, None)
    assert filters.invited_since is None
    assert filters.not_invited_since is None
