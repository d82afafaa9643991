from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from birge_shared.statistics import (
    mean_with_interval,
    paired_change,
    student_t_cdf,
    student_t_quantile,
)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 9, 19, 49, 199, 5000])
@pytest.mark.parametrize("probability", [0.6, 0.9, 0.95, 0.975, 0.995])
def test_t_quantile_matches_scipy(df: int, probability: float) -> None:
    assert student_t_quantile(probability, df) == pytest.approx(
        scipy_stats.t.ppf(probability, df), rel=1e-9, abs=1e-9
    )


@pytest.mark.parametrize("df", [1, 3, 10, 100])
@pytest.mark.parametrize("t", [-4.0, -1.0, 0.0, 0.5, 2.0, 7.5])
def test_t_cdf_matches_scipy(df: int, t: float) -> None:
    assert student_t_cdf(t, df) == pytest.approx(scipy_stats.t.cdf(t, df), abs=1e-12)


def test_paired_change_equals_the_reference_computation() -> None:
    pre = [2, 3, 3, 4, 2, 1, 3, 4, 2, 3, 5, 2]
    post = [3, 4, 3, 5, 3, 2, 4, 4, 3, 3, 5, 4]
    result = paired_change(list(zip(pre, post, strict=True)))
    assert result is not None
    differences = [b - a for a, b in zip(pre, post, strict=True)]
    mean = statistics.fmean(differences)
    reference = scipy_stats.t.interval(
        0.95, len(differences) - 1, loc=mean, scale=scipy_stats.sem(differences)
    )
    assert result.n == 12
    assert result.mean == pytest.approx(mean)
    assert (result.low, result.high) == pytest.approx(reference, rel=1e-9)


def test_fewer_than_five_respondents_are_suppressed() -> None:
    assert paired_change([(1, 2), (2, 3), (3, 3), (4, 5)]) is None
    assert paired_change([(1, 2), (2, 3), (3, 3), (4, 5), (2, 2)]) is not None


def test_identical_changes_give_a_zero_width_interval() -> None:
    result = mean_with_interval([1.0] * 6)
    assert result is not None
    assert (result.low, result.mean, result.high) == (1.0, 1.0, 1.0)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-4, 4), min_size=5, max_size=200))
def test_interval_matches_scipy_for_any_sample(differences: list[int]) -> None:
    result = mean_with_interval([float(d) for d in differences])
    assert result is not None
    mean = statistics.fmean(differences)
    spread = statistics.stdev(differences)
    if spread == 0:
        assert result.low == result.high == mean
        return
    low, high = scipy_stats.t.interval(
        0.95, len(differences) - 1, loc=mean, scale=spread / math.sqrt(len(differences))
    )
    assert result.low == pytest.approx(low, rel=1e-9, abs=1e-9)
    assert result.high == pytest.approx(high, rel=1e-9, abs=1e-9)
