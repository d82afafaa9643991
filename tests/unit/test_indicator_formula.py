"""The indicators' formula language refuses everything but numbers, + - * /, parentheses and
whitelisted figure names, and gives "not available" rather than a wrong number."""

from __future__ import annotations

import pytest

from birge_api.indicators.figures import FIGURE_NAMES
from birge_api.indicators.formula import FormulaError, evaluate, parse
from birge_api.indicators.periods import parse_period

ALLOWED = frozenset({"events_held", "participants_attended", "participants_invited"})


def test_arithmetic_with_precedence_and_parentheses() -> None:
    formula = parse("(participants_attended + 2) / participants_invited * 100 - -1", ALLOWED)
    assert formula.names == ("participants_attended", "participants_invited")
    value = evaluate(formula, {"participants_attended": 8.0, "participants_invited": 20.0})
    assert value == pytest.approx(51.0)


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("events_held.__class__", "attribute access not allowed", 1),
        ("__import__('os').system('id')", "function calls not allowed", 1),
        ("abs(events_held)", "function calls not allowed", 1),
        ("events_held[0]", "subscripts not allowed", 1),
        ("events_held ** 2", "only + - * / are allowed", 1),
        ("events_held // 2", "only + - * / are allowed", 1),
        ("events_held > 2", "comparisons not allowed", 1),
        ("'text'", "only numbers and figure names are allowed", 1),
        ("True + 1", "only numbers and figure names are allowed", 1),
        ("~events_held", "only + - * / are allowed", 1),
        ("lambda: 1", "lambda not allowed", 1),
        ("[events_held]", "list not allowed", 1),
        ("1 if events_held else 2", "ifexp not allowed", 1),
    ],
)
def test_refuses_what_is_not_arithmetic(text: str, message: str, column: int) -> None:
    with pytest.raises(FormulaError) as caught:
        parse(text, ALLOWED)
    assert caught.value.message == message
    assert caught.value.column == column


def test_names_the_unknown_figure_and_where_it_is() -> None:
    with pytest.raises(FormulaError) as caught:
        parse("events_held / city_budget", ALLOWED)
    assert caught.value.name == "city_budget"
    assert caught.value.column == 15
    assert "unknown figure 'city_budget'" in str(caught.value)


def test_builtins_are_names_like_any_other() -> None:
    for text in ("__builtins__", "open", "print"):
        with pytest.raises(FormulaError) as caught:
            parse(text, ALLOWED)
        assert caught.value.name == text


@pytest.mark.parametrize(
    ("text", "column"), [("events_held +", 14), ("(events_held", 1), ("1 2", 3), ("", 1)]
)
def test_syntax_errors_say_where(text: str, column: int) -> None:
    with pytest.raises(FormulaError) as caught:
        parse(text, ALLOWED)
    assert caught.value.column == column


def test_too_long_and_too_large_are_refused() -> None:
    with pytest.raises(FormulaError):
        parse("1+" * 300 + "1", ALLOWED)
    with pytest.raises(FormulaError, match="too large"):
        parse("9" * 400, ALLOWED)


def test_division_by_zero_is_not_available() -> None:
    formula = parse("participants_attended / participants_invited", ALLOWED)
    assert evaluate(formula, {"participants_attended": 3.0, "participants_invited": 0.0}) is None


def test_a_suppressed_input_suppresses_the_result() -> None:
    formula = parse("events_held + participants_attended * 0", ALLOWED)
    assert evaluate(formula, {"events_held": 4.0, "participants_attended": None}) is None


def test_a_result_that_is_not_finite_is_not_available() -> None:
    formula = parse("1e308 * 10 * events_held", ALLOWED)
    assert evaluate(formula, {"events_held": 1.0}) is None


def test_the_documented_figures_are_the_whitelist() -> None:
    assert "participants_attended" in FIGURE_NAMES
    assert "cross_contact_share" in FIGURE_NAMES
    assert "attitude_positive_change_share" in FIGURE_NAMES  # the summary's share that rose


@pytest.mark.parametrize(
    ("label", "first", "last"),
    [
        ("2026", "2026-01-01", "2026-12-31"),
        ("2026-Q4", "2026-10-01", "2026-12-31"),
        ("2024-02", "2024-02-01", "2024-02-29"),
    ],
)
def test_periods(label: str, first: str, last: str) -> None:
    period = parse_period(label)
    assert period is not None
    assert (period.first.isoformat(), period.last.isoformat()) == (first, last)


def test_period_months() -> None:
    period = parse_period("2026-Q1")
    assert period is not None
    assert period.months() == ["2026-01", "2026-02", "2026-03"]
    assert parse_period("2026-Q5") is None
    assert parse_period("1999") is None
