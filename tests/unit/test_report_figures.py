"""From tallies to figures: suppression below five answers, the attitude pairs and the mix."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from scipy import stats

from birge_api.reports.cells import survey_figures_of_cells
from birge_api.reports.figures import (
    InvitationTally,
    SurveyTally,
    attitude_change,
    figure,
    mix,
    mix_summary,
)
from birge_shared.statistics import paired_change


def test_a_figure_from_four_answers_is_suppressed_and_from_five_is_shown() -> None:
    assert figure(12, 4, n=4).model_dump() == {"value": None, "n": None, "suppressed": True}
    assert figure(15, 5, n=5).model_dump() == {"value": 3.0, "n": 5, "suppressed": False}
    assert figure(0, 0, n=0).suppressed is True


def test_a_figure_without_a_denominator_is_null_but_not_suppressed() -> None:
    # Five answers but no attendee marked: the rate has no meaning, nothing is hidden.
    assert figure(5, 0, n=5).model_dump() == {"value": None, "n": 5, "suppressed": False}


def test_the_attitude_change_from_pair_counts_equals_the_per_person_computation() -> None:
    pairs = Counter({(2, 3): 4, (3, 3): 2, (4, 2): 1, (1, 4): 3})
    changes = [1] * 4 + [0] * 2 + [-2] + [3] * 3
    mean = sum(changes) / len(changes)
    low, high = stats.t.interval(0.95, len(changes) - 1, loc=mean, scale=stats.sem(changes))

    change = attitude_change(pairs)

    assert change.n == 10
    assert change.mean == pytest.approx(mean)
    assert change.low == pytest.approx(low, abs=1e-9)
    assert change.high == pytest.approx(high, abs=1e-9)
    assert change.suppressed is False


@pytest.mark.parametrize("seed", range(20))
def test_the_attitude_change_from_counts_equals_paired_change_on_the_pairs(seed: int) -> None:
    rng = random.Random(seed)
    pairs = Counter((rng.randint(1, 5), rng.randint(1, 5)) for _ in range(rng.randint(5, 400)))
    per_person = [
        (float(pre), float(post)) for (pre, post), count in pairs.items() for _ in range(count)
    ]
    reference = paired_change(per_person)
    assert reference is not None

    change = attitude_change(pairs)

    assert change.n == reference.n
    assert change.mean == pytest.approx(reference.mean, abs=1e-12)
    assert change.low == pytest.approx(reference.low, abs=1e-9)
    assert change.high == pytest.approx(reference.high, abs=1e-9)


def test_identical_changes_have_an_interval_of_width_zero() -> None:
    change = attitude_change(Counter({(2, 3): 7}))
    assert (change.mean, change.low, change.high) == (1.0, 1.0, 1.0)


def test_four_pairs_suppress_the_attitude_change() -> None:
    change = attitude_change(Counter({(2, 4): 4}))
    assert change.model_dump() == {
        "mean": None,
        "low": None,
        "high": None,
        "n": None,
        "positive_share": None,
        "suppressed": True,
    }


def test_the_positive_share_counts_the_pairs_that_rose() -> None:
    # Three rose, one fell, two stayed: 3 of 6.
    change = attitude_change(Counter({(2, 4): 2, (1, 2): 1, (4, 3): 1, (3, 3): 2}))
    assert change.n == 6
    assert change.positive_share == 0.5


def test_survey_figures_each_suppress_on_their_own() -> None:
    survey = SurveyTally(
        post_respondents=6, rating_n=6, rating_sum=24, talk_n=4, talk_yes=3, pairs=Counter()
    )
    figures = survey_figures_of_cells({"cell": survey}, {"cell": 8})
    assert figures.response_rate.value == pytest.approx(0.75)
    assert figures.mean_rating.value == pytest.approx(4.0)
    assert figures.cross_group_talk_share.suppressed is True
    assert figures.attitude_change.suppressed is True


def test_the_mix_is_of_attendees_once_attendance_is_taken() -> None:
    tally = InvitationTally(
        attended=9,
        attended_host=4,
        attended_migrant=4,
        accepted_host=8,
        accepted_migrant=2,
        attendance_taken=10,
    )
    room = mix(tally, min_share=0.4)
    assert room.basis == "attended"
    assert room.host_share == pytest.approx(0.5)
    assert room.held is True


def test_before_attendance_the_mix_is_of_accepted_seats() -> None:
    room = mix(InvitationTally(accepted_host=8, accepted_migrant=2), min_share=0.4)
    assert room.basis == "accepted"
    assert room.migrant_share == pytest.approx(0.2)
    assert room.band_low == 0.4
    assert room.band_high == pytest.approx(0.6)
    assert room.held is False


def test_the_band_edge_is_inside_and_an_empty_room_has_no_mix() -> None:
    # 2 of 5 is exactly 40 %: inside a 0.4 band, though 0.4 is not exact in binary.
    assert mix(InvitationTally(accepted_host=2, accepted_migrant=3), min_share=0.4).held is True
    empty = mix(InvitationTally(), min_share=0.4)
    assert (empty.host_share, empty.migrant_share, empty.held) == (None, None, None)


def test_the_mix_summary_pools_rooms_and_counts_those_in_their_band() -> None:
    balanced = InvitationTally(attended_host=5, attended_migrant=5, attendance_taken=10)
    lopsided = InvitationTally(accepted_host=9, accepted_migrant=1)
    empty = InvitationTally(invited=3)
    summary = mix_summary([(balanced, 0.4), (lopsided, 0.4), (empty, 0.4)])
    assert summary.events_with_mix == 2
    assert summary.events_in_band == 1
    assert summary.host_share == pytest.approx(14 / 20)
    # A wide band (min_share 0) holds any room.
    assert mix_summary([(lopsided, 0.0)]).events_in_band == 1


def test_invitation_tallies_add_up_field_by_field() -> None:
    one = InvitationTally(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
    assert one.plus(one) == InvitationTally(2, 4, 6, 8, 10, 12, 14, 16, 18, 20)


def test_the_rating_distribution_leaves_out_cells_with_a_count_between_one_and_four() -> None:
    even = SurveyTally(post_respondents=10, rating_n=10, rating_counts=(0, 0, 5, 5, 0))
    lopsided = SurveyTally(post_respondents=6, rating_n=6, rating_counts=(1, 0, 0, 0, 5))
    figures = survey_figures_of_cells({"a": even, "b": lopsided}, {"a": 10, "b": 6})
    assert figures.rating_distribution.model_dump() == {
        "counts": [0, 0, 5, 5, 0],
        "n": 10,
        "suppressed": False,
    }
    # The lopsided cell still counts in the mean rating, which hides who gave what.
    assert figures.mean_rating.n == 16


def test_a_rating_distribution_with_no_cell_left_is_suppressed() -> None:
    lopsided = SurveyTally(post_respondents=6, rating_n=6, rating_counts=(1, 0, 0, 0, 5))
    figures = survey_figures_of_cells({"b": lopsided}, {"b": 6})
    assert figures.rating_distribution.model_dump() == {
        "counts": None,
        "n": None,
        "suppressed": True,
    }
