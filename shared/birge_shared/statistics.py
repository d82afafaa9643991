"""The figures an evaluator reads: paired attitude change with its confidence interval.

Each respondent answers the same Likert item before (at RSVP) and after the event; the change
is measured per person (post − pre), so people who answered only once do not bias it. The 95 %
interval uses Student's t with n − 1 degrees of freedom; its quantile is computed here from the
regularised incomplete beta function, so the service needs no numerical library.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

#: Figures computed from fewer respondents are suppressed: with so few people a figure could
#: point at someone, and it says little anyway.
MIN_RESPONDENTS = 5


@dataclass(frozen=True)
class MeanWithInterval:
    n: int
    mean: float
    low: float
    high: float


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    # Lentz's method for the continued fraction of the incomplete beta function.
    tiny, epsilon = 1e-300, 3e-16
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 400):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        result *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        result *= delta
        if abs(delta - 1.0) < epsilon:
            break
    return result


def regularised_incomplete_beta(a: float, b: float, x: float) -> float:
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    # The continued fraction converges fast only on one side of the mean; use the symmetry
    # I_x(a, b) = 1 − I_{1−x}(b, a) on the other.
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1.0 - front * _beta_continued_fraction(b, a, 1.0 - x) / b


def student_t_cdf(t: float, df: float) -> float:
    tail = 0.5 * regularised_incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def student_t_quantile(probability: float, df: float) -> float:
    """The t value below which `probability` of Student's t distribution lies."""
    if not 0.0 < probability < 1.0:
        raise ValueError("probability must lie strictly between 0 and 1")
    if probability < 0.5:
        return -student_t_quantile(1.0 - probability, df)
    low, high = 0.0, 1.0
    while student_t_cdf(high, df) < probability:
        high *= 2.0
    for _ in range(200):  # bisection: slow but certain, and only run once per figure
        middle = (low + high) / 2.0
        if student_t_cdf(middle, df) < probability:
            low = middle
        else:
            high = middle
        if high - low < 1e-12:
            break
    return (low + high) / 2.0


def mean_with_interval(
    values: Sequence[float], *, confidence: float = 0.95, minimum: int = MIN_RESPONDENTS
) -> MeanWithInterval | None:
    """Mean and two-sided t interval, or None below `minimum` values (suppressed)."""
    n = len(values)
    if n < max(minimum, 2):
        return None
    mean = math.fsum(values) / n
    variance = math.fsum((value - mean) ** 2 for value in values) / (n - 1)
    margin = student_t_quantile(0.5 + confidence / 2.0, n - 1) * math.sqrt(variance / n)
    return MeanWithInterval(n=n, mean=mean, low=mean - margin, high=mean + margin)


def paired_change(
    pairs: Sequence[tuple[float, float]],
    *,
    confidence: float = 0.95,
    minimum: int = MIN_RESPONDENTS,
) -> MeanWithInterval | None:
    """Mean of (post − pre) over people who answered both, with its interval."""
    return mean_with_interval(
        [post - pre for pre, post in pairs], confidence=confidence, minimum=minimum
    )
