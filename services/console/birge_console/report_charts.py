"""The report pages' charts, drawn from the API's report figures.

Each function takes the figures the reports service returned (already suppressed for the
reader's role) and returns SVG; a suppressed figure becomes a suppressed bar, never a number.
Texts are translated here, at render time, in the page's language.
"""

from __future__ import annotations

from markupsafe import Markup

from birge_api.reports.figures import CONFIDENCE, RATINGS
from birge_api.reports.schemas import (
    AttitudeChange,
    InvitationCounts,
    Mix,
    MixSummary,
    RatingDistribution,
)
from birge_console import charts
from birge_console.i18n import _
from birge_console.rendering import env

#: The attitude item is 1–5, so a change lies between −4 and +4.
ATTITUDE_RANGE = 4.0


def _number(value: float | None) -> str:
    number = env.filters["number"]
    return str(number(value))


def _percent(value: float | None) -> str:
    percent = env.filters["percent"]
    return str(percent(value))


def suppressed_text() -> str:
    return _("suppressed (fewer than 5)")


def funnel(chart_id: str, counts: InvitationCounts) -> Markup:
    steps = [
        (_("Invited"), counts.invited),
        (_("Accepted"), counts.accepted),
        (_("Attended"), counts.attended),
    ]
    bars = [
        charts.Bar(
            label=label,
            value=None if value is None else float(value),
            text=suppressed_text() if value is None else _number(value),
            colour=charts.COLOURS[index],
        )
        for index, (label, value) in enumerate(steps)
    ]
    largest = max([bar.value for bar in bars if bar.value is not None] + [1.0])
    description = "; ".join(f"{bar.label}: {bar.text}" for bar in bars)
    return charts.bar_chart(
        chart_id=chart_id,
        title=_("From invitation to attendance"),
        description=description,
        bars=bars,
        maximum=largest,
    )


def mix_against_band(chart_id: str, room: Mix) -> Markup:
    shares = [(_("Hosts"), room.host_share), (_("Migrants"), room.migrant_share)]
    bars = [
        charts.Bar(
            label=label,
            value=None if room.suppressed or share is None else share,
            text=suppressed_text()
            if room.suppressed
            else (_percent(share) if share is not None else _("nobody yet")),
            colour=charts.COLOURS[index],
        )
        for index, (label, share) in enumerate(shares)
    ]
    band_text = _("band %(low)s–%(high)s") % {
        "low": _percent(room.band_low),
        "high": _percent(room.band_high),
    }
    description = "; ".join(f"{bar.label}: {bar.text}" for bar in bars) + f"; {band_text}"
    return charts.bar_chart(
        chart_id=chart_id,
        title=_("The mix achieved against the band"),
        description=description,
        bars=bars,
        maximum=1.0,
        band=charts.Band(low=room.band_low, high=room.band_high, label=band_text),
    )


def events_in_band(chart_id: str, summary: MixSummary) -> Markup:
    """Over many events there is no one band: how many rooms held their own."""
    steps = [
        (_("Inside their band"), summary.events_in_band, charts.COLOURS[2]),
        (
            _("Outside their band"),
            summary.events_with_mix - summary.events_in_band,
            charts.COLOURS[1],
        ),
        (_("Mix suppressed"), summary.events_withheld, charts.COLOURS[4]),
    ]
    bars = [
        charts.Bar(label=label, value=float(value), text=_number(value), colour=colour)
        for label, value, colour in steps
    ]
    largest = max([bar.value or 0.0 for bar in bars] + [1.0])
    return charts.bar_chart(
        chart_id=chart_id,
        title=_("Events whose mix held its band"),
        description="; ".join(f"{bar.label}: {bar.text}" for bar in bars),
        bars=bars,
        maximum=largest,
    )


def ratings(chart_id: str, distribution: RatingDistribution) -> Markup:
    counts = distribution.counts
    bars = [
        charts.Bar(
            label=_("Rating %(rating)s") % {"rating": rating},
            value=None if counts is None else float(counts[index]),
            text=suppressed_text() if counts is None else _number(counts[index]),
            colour=charts.COLOURS[0],
        )
        for index, rating in enumerate(RATINGS)
    ]
    largest = max([bar.value for bar in bars if bar.value is not None] + [1.0])
    description = "; ".join(f"{bar.label}: {bar.text}" for bar in bars)
    return charts.bar_chart(
        chart_id=chart_id,
        title=_("How people rated the event"),
        description=description,
        bars=bars,
        maximum=largest,
    )


def attitude(chart_id: str, change: AttitudeChange) -> Markup:
    if change.suppressed or change.mean is None:
        text = suppressed_text()
    else:
        text = _("%(mean)s (%(level)s interval %(low)s to %(high)s)") % {
            "mean": signed(change.mean),
            "level": _percent(CONFIDENCE),
            "low": signed(change.low),
            "high": signed(change.high),
        }
    row = charts.Interval(
        label=_("After − before"),
        value=change.mean,
        low=change.low,
        high=change.high,
        text=signed(change.mean) if change.mean is not None else text,
    )
    return charts.interval_plot(
        chart_id=chart_id,
        title=_("Attitude after the event minus before, with its %(level)s interval")
        % {"level": _percent(CONFIDENCE)},
        description=text,
        rows=[row],
        low=-ATTITUDE_RANGE,
        high=ATTITUDE_RANGE,
        suppressed_text=suppressed_text(),
    )


def signed(value: float | None) -> str:
    """A change with its sign, two decimals: +0.45, −0.10."""
    if value is None:
        return ""
    text = _number(round(abs(value), 2))
    return ("+" if value > 0 else "−" if value < 0 else "") + text
