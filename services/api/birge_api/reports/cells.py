"""Small-cell suppression that differencing cannot undo.

Every filter a report accepts (city, dates, activity type, community, and the caller's own
cities) selects whole events and whole communities, so every figure is a sum over *cells*:
one event × one community (host, migrant, or not declared). The rule is applied to the cells,
never to the totals: a cell that rests on fewer than `MIN_RESPONDENTS` people is left out of
every figure, in every report and export, for every filter. Then any figure is a sum over
cells of at least five people, and so is the difference of any two figures (or any other
combination of them): no combination of queries can isolate fewer than five people.

- Survey answers (no role reads them one by one): a cell enters a figure only when that
  figure's own count in the cell is at least five — respondents for the response rate (with
  the cell's attendees, its denominator, not between one and four), ratings for the mean
  rating, answers to the cross-group question for its share, pre/post pairs for the attitude
  change.
  The rating distribution is a set of counts, so a cell enters it only when it has at least
  five ratings and each of its counts per rating is zero or at least five.
- Invitation counts and the mix (`protect=True`: for viewers; coordinators and administrators
  read the invitations themselves): the published counts are sums of five disjoint status
  counts per cell (unanswered, accepted, declined, attended, no-show), so a cell is shown
  only when each of them is zero or at least five; otherwise the whole cell is withheld from
  every count and from the mix. A room's mix is shown only when both its host and its
  migrant cells are.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from birge_api.reports.figures import (
    ChangeSums,
    InvitationTally,
    SurveyTally,
    attitude_change,
    figure,
    rating_distribution,
)
from birge_api.reports.schemas import SurveyFigures
from birge_shared.models import Community
from birge_shared.statistics import MIN_RESPONDENTS

#: One event × one community; the community is the participant's for invitations and the one
#: an answer was given as for survey answers.
CellKey = tuple[uuid.UUID, Community | None]
K = TypeVar("K")


def large(count: int) -> bool:
    """Zero or at least MIN_RESPONDENTS: a count that points at nobody."""
    return count == 0 or count >= MIN_RESPONDENTS


@dataclass(frozen=True)
class StatusCell:
    """Invitation statuses of one cell, as disjoint counts: the published counts sum them."""

    unanswered: int = 0  # sent or expired
    accepted: int = 0  # accepted, attendance not taken
    declined: int = 0
    attended: int = 0
    no_show: int = 0

    def counts(self) -> tuple[int, int, int, int, int]:
        # Spelled out rather than `astuple`, which deep-copies: a summary reads thousands.
        return (self.unanswered, self.accepted, self.declined, self.attended, self.no_show)

    def publishable(self) -> bool:
        return all(large(count) for count in self.counts())


def invitation_tally(
    cells: Mapping[Community | None, StatusCell],
    *,
    community: Community | None,
    protect: bool,
) -> InvitationTally:
    """One event's tally from its cells; with `protect`, small cells are withheld."""
    shown = {key: cell for key, cell in cells.items() if not protect or cell.publishable()}
    wanted = [key for key in cells if community is None or key is community]
    counted = [shown[key] for key in wanted if key in shown]
    host = shown.get(Community.HOST, StatusCell())
    migrant = shown.get(Community.MIGRANT, StatusCell())
    return InvitationTally(
        invited=sum(sum(cell.counts()) for cell in counted),
        accepted=sum(cell.accepted + cell.attended + cell.no_show for cell in counted),
        declined=sum(cell.declined for cell in counted),
        attended=sum(cell.attended for cell in counted),
        no_show=sum(cell.no_show for cell in counted),
        attended_host=host.attended,
        attended_migrant=migrant.attended,
        accepted_host=host.accepted + host.attended + host.no_show,
        accepted_migrant=migrant.accepted + migrant.attended + migrant.no_show,
        attendance_taken=sum(cell.attended + cell.no_show for cell in shown.values()),
        shown_cells=len(counted),
        withheld_cells=len(wanted) - len(counted),
        mix_withheld=int(
            any(key in cells and key not in shown for key in (Community.HOST, Community.MIGRANT))
        ),
    )


def included(cells: Mapping[K, SurveyTally], measure: Callable[[SurveyTally], int]) -> list[K]:
    """The cells whose count for one figure is large enough to enter it."""
    return [key for key, cell in cells.items() if measure(cell) >= MIN_RESPONDENTS]


def respondents(cell: SurveyTally) -> int:
    return cell.post_respondents


def ratings(cell: SurveyTally) -> int:
    return cell.rating_n


def talks(cell: SurveyTally) -> int:
    return cell.talk_n


def pairs(cell: SurveyTally) -> int:
    return cell.paired().n


def distribution_cells(cells: Mapping[K, SurveyTally]) -> list[K]:
    """The rating distribution's cells: enough ratings, and no count between one and four."""
    return [
        key
        for key in included(cells, ratings)
        if all(large(count) for count in cells[key].rating_counts)
    ]


def rate_cells(cells: Mapping[K, SurveyTally], attended: Mapping[K, int]) -> list[K]:
    """The response rate's cells: enough respondents, and attendees not between one and four."""
    return [key for key in included(cells, respondents) if large(attended.get(key, 0))]


def survey_figures_of_cells(
    cells: Mapping[K, SurveyTally], attended: Mapping[K, int]
) -> SurveyFigures:
    """The survey figures over the given cells, each from its large cells only."""

    def chosen(keys: Iterable[K]) -> list[SurveyTally]:
        return [cells[key] for key in keys]

    rate = rate_cells(cells, attended)
    answered = sum(cells[key].post_respondents for key in rate)
    rated = chosen(included(cells, ratings))
    talked = chosen(included(cells, talks))
    paired = ChangeSums()
    for cell in chosen(included(cells, pairs)):
        paired = paired.plus(cell.paired())
    return SurveyFigures(
        response_rate=figure(answered, sum(attended.get(key, 0) for key in rate), n=answered),
        mean_rating=figure(
            sum(cell.rating_sum for cell in rated),
            sum(cell.rating_n for cell in rated),
            n=sum(cell.rating_n for cell in rated),
        ),
        rating_distribution=rating_distribution(
            [cells[key].rating_counts for key in distribution_cells(cells)]
        ),
        cross_group_talk_share=figure(
            sum(cell.talk_yes for cell in talked),
            sum(cell.talk_n for cell in talked),
            n=sum(cell.talk_n for cell in talked),
        ),
        attitude_change=attitude_change(paired),
    )
