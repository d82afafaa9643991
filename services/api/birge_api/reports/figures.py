"""From tallies (the numbers SQL aggregates return) to the figures a report shows.

Pure functions over plain values, so suppression and the mix rules are tested without a
database, and the event report, the summary and the exports share one definition.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from birge_api.reports.schemas import (
    AttitudeChange,
    Figure,
    InvitationCounts,
    Mix,
    MixBasis,
    MixSummary,
    RatingDistribution,
)
from birge_shared.balance import in_band
from birge_shared.statistics import MIN_RESPONDENTS, student_t_quantile

#: The confidence of the attitude change's interval.
CONFIDENCE = 0.95

#: The overall rating's scale.
RATINGS = (1, 2, 3, 4, 5)

#: (pre attitude, post attitude) → how many people answered that way.
PairCounts = Counter[tuple[int, int]]


@dataclass(frozen=True)
class InvitationTally:
    """Invitation counts of one event (or summed over several).

    The first five honour the community filter; the room counts (`*_host`, `*_migrant`,
    `attendance_taken`) describe the whole room, which is what the mix is about. The last
    three say how many cells (event × community) the counts include and leave out, and how
    many rooms' mixes are withheld (see `cells.py`).
    """

    invited: int = 0
    accepted: int = 0
    declined: int = 0
    attended: int = 0
    no_show: int = 0
    attended_host: int = 0
    attended_migrant: int = 0
    accepted_host: int = 0
    accepted_migrant: int = 0
    attendance_taken: int = 0
    shown_cells: int = 0
    withheld_cells: int = 0
    mix_withheld: int = 0

    def plus(self, other: InvitationTally) -> InvitationTally:
        # Field by field with `fields` rather than `astuple`, which deep-copies: a summary adds
        # thousands of these.
        return InvitationTally(
            *(getattr(self, name) + getattr(other, name) for name in _TALLY_FIELDS)
        )

    @classmethod
    def sum_of(cls, tallies: Iterable[InvitationTally]) -> InvitationTally:
        """The tallies added up, column by column (a summary adds thousands)."""
        columns = zip(*(astuple_shallow(tally) for tally in tallies), strict=True)
        return cls(*(sum(column) for column in columns))

    def count_values(self) -> CountValues:
        """(invited, accepted, declined, attended, no_show, withheld), as `counts` shows them."""
        if self.withheld_cells and not self.shown_cells:
            # Every cell the counts would include is small: nothing to show, not zero.
            return (None, None, None, None, None, True)
        return (
            self.invited,
            self.accepted,
            self.declined,
            self.attended,
            self.no_show,
            bool(self.withheld_cells),
        )

    def counts(self) -> InvitationCounts:
        invited, accepted, declined, attended, no_show, withheld = self.count_values()
        return InvitationCounts(
            invited=invited,
            accepted=accepted,
            declined=declined,
            attended=attended,
            no_show=no_show,
            withheld=withheld,
        )

    def basis(self) -> tuple[MixBasis, int, int]:
        """(basis, host, migrant): attendees once attendance was taken, else accepted seats."""
        if self.attendance_taken:
            return "attended", self.attended_host, self.attended_migrant
        return "accepted", self.accepted_host, self.accepted_migrant


_TALLY_FIELDS = tuple(item.name for item in fields(InvitationTally))
#: What `InvitationTally.count_values` returns.
CountValues = tuple[int | None, int | None, int | None, int | None, int | None, bool]


def astuple_shallow(tally: InvitationTally) -> tuple[int, ...]:
    # Not `dataclasses.astuple`, which deep-copies.
    return tuple(getattr(tally, name) for name in _TALLY_FIELDS)


@dataclass(frozen=True)
class ChangeSums:
    """The attitude change's sufficient statistics: pairs, and the sums of post − pre and of
    its square, and the pairs whose value rose. SQL returns them per cell; the figure needs
    nothing else."""

    n: int = 0
    total: int = 0
    squares: int = 0
    positive: int = 0

    @classmethod
    def of_pairs(cls, pairs: PairCounts) -> ChangeSums:
        return cls(
            n=sum(pairs.values()),
            total=sum(count * (post - pre) for (pre, post), count in pairs.items()),
            squares=sum(count * (post - pre) ** 2 for (pre, post), count in pairs.items()),
            positive=sum(count for (pre, post), count in pairs.items() if post > pre),
        )

    def plus(self, other: ChangeSums) -> ChangeSums:
        return ChangeSums(
            self.n + other.n,
            self.total + other.total,
            self.squares + other.squares,
            self.positive + other.positive,
        )


@dataclass
class SurveyTally:
    """Post-survey sums and the attitude pairs of one event (or of a whole summary)."""

    post_respondents: int = 0
    rating_n: int = 0
    rating_sum: int = 0
    talk_n: int = 0
    talk_yes: int = 0
    pairs: PairCounts = field(default_factory=Counter)
    #: Pairs already summed (as the reports' SQL returns them), on top of `pairs`.
    change: ChangeSums = ChangeSums()
    #: Answers per rating, for RATINGS in order.
    rating_counts: tuple[int, ...] = (0, 0, 0, 0, 0)

    def paired(self) -> ChangeSums:
        """Every pre/post pair of the tally, whichever way it was counted."""
        return ChangeSums.of_pairs(self.pairs).plus(self.change) if self.pairs else self.change


def figure_values(numerator: float, denominator: int, *, n: int) -> tuple[float | None, int | None]:
    """(value, n) of `figure`: both None when suppressed (plain values for the exports)."""
    if n < MIN_RESPONDENTS:
        return None, None
    return (numerator / denominator if denominator else None), n


def figure(numerator: float, denominator: int, *, n: int) -> Figure:
    """numerator / denominator, suppressed when it rests on fewer than MIN_RESPONDENTS answers."""
    value, shown = figure_values(numerator, denominator, n=n)
    return Figure(value=value, n=shown, suppressed=shown is None)


def rating_distribution(counts: list[tuple[int, ...]]) -> RatingDistribution:
    """The summed counts per rating of the cells given (already chosen as large enough)."""
    n = sum(sum(cell) for cell in counts)
    if n < MIN_RESPONDENTS:
        return RatingDistribution(counts=None, n=None, suppressed=True)
    totals = [sum(cell[index] for cell in counts) for index in range(len(RATINGS))]
    return RatingDistribution(counts=totals, n=n, suppressed=False)


@functools.lru_cache(maxsize=4096)
def _t_quantile(df: int) -> float:
    # The bisection behind the quantile costs about a millisecond; an export of thousands of
    # events needs only a few hundred distinct degrees of freedom.
    return student_t_quantile(0.5 + CONFIDENCE / 2, df)


#: (mean, low, high, n) of an attitude change; all None when suppressed.
ChangeValues = tuple[float | None, float | None, float | None, int | None]
_NO_CHANGE: ChangeValues = (None, None, None, None)


def change_values(sums: ChangeSums) -> ChangeValues:
    """(mean, low, high, n) of `attitude_change` (plain values for the exports)."""
    n, total, squares = sums.n, sums.total, sums.squares
    if n < max(MIN_RESPONDENTS, 2):
        return _NO_CHANGE
    mean = total / n
    variance = (n * squares - total * total) / (n * (n - 1))
    margin = _t_quantile(n - 1) * math.sqrt(variance / n)
    return mean, mean - margin, mean + margin, n


def attitude_change(pairs: PairCounts | ChangeSums) -> AttitudeChange:
    """Mean of post − pre with its Student-t interval, from (pre, post) → count or their sums.

    The same figure as `paired_change` over the per-person pairs, computed from the counts:
    the sums of the integer differences and their squares are exact, so the variance is too.
    """
    sums = pairs if isinstance(pairs, ChangeSums) else ChangeSums.of_pairs(pairs)
    mean, low, high, n = change_values(sums)
    # The share rising rests on the same pairs, so it is suppressed with the mean.
    positive_share = None if n is None else sums.positive / n
    return AttitudeChange(
        mean=mean, low=low, high=high, n=n, positive_share=positive_share, suppressed=n is None
    )


#: (basis, host_share, migrant_share, band_low, band_high, held, suppressed) of a room's mix.
MixValues = tuple[MixBasis, float | None, float | None, float, float, bool | None, bool]


def mix_values(tally: InvitationTally, *, min_share: float) -> MixValues:
    """The fields of `mix`, in order (plain values for the exports)."""
    basis, host, migrant = tally.basis()
    if tally.mix_withheld:
        return (basis, None, None, min_share, 1 - min_share, None, True)
    declared = host + migrant
    return (
        basis,
        host / declared if declared else None,
        migrant / declared if declared else None,
        min_share,
        1 - min_share,
        in_band(host, migrant, min_share) if declared else None,
        False,
    )


def mix(tally: InvitationTally, *, min_share: float) -> Mix:
    basis, host_share, migrant_share, low, high, held, suppressed = mix_values(
        tally, min_share=min_share
    )
    return Mix(
        basis=basis,
        host_share=host_share,
        migrant_share=migrant_share,
        band_low=low,
        band_high=high,
        held=held,
        suppressed=suppressed,
    )


@dataclass(frozen=True)
class Rooms:
    """Events alike for the mix summary — same basis counts, band and withheld mix — and
    their invitation tallies summed (what `sums.invitation_rooms` returns per kind)."""

    tally: InvitationTally
    host: int
    migrant: int
    min_share: float
    withheld: bool
    events: int = 1

    @classmethod
    def of(cls, tally: InvitationTally, min_share: float) -> Rooms:
        _, host, migrant = tally.basis()
        return cls(tally, host, migrant, min_share, bool(tally.mix_withheld))


def mix_summary(rooms: list[tuple[InvitationTally, float]]) -> MixSummary:
    """Over (tally, min_share) per event: events that held their band, and pooled shares."""
    return mix_summary_of_rooms([Rooms.of(tally, min_share) for tally, min_share in rooms])


def mix_summary_of_rooms(rooms: Iterable[Rooms]) -> MixSummary:
    """Over kinds of rooms: events that held their band, and pooled shares.

    Rooms whose mix is withheld count in neither, as if nobody had declared a community.
    """
    with_mix = in_band_count = host_total = migrant_total = withheld = 0
    for kind in rooms:
        host, migrant, events = kind.host, kind.migrant, kind.events
        if kind.withheld:
            withheld += events
            continue
        if host + migrant == 0:
            continue
        with_mix += events
        in_band_count += events * in_band(host, migrant, kind.min_share)
        host_total += events * host
        migrant_total += events * migrant
    declared = host_total + migrant_total
    return MixSummary(
        events_with_mix=with_mix,
        events_in_band=in_band_count,
        events_withheld=withheld,
        host_share=host_total / declared if declared else None,
        migrant_share=migrant_total / declared if declared else None,
    )
