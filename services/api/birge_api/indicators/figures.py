"""The report figures a formula may name, and their values for one city and period.

Every value is read through the reports' public service functions (`summary_report`,
`contacts_report`), so it is the figure the reports show to the same caller, with the same
small-cell suppression: a figure the reports withhold is None here, and so is every
indicator that reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from birge_api.contacts.service import ContactFilter, contacts_report
from birge_api.deps import Actor
from birge_api.indicators.periods import Period
from birge_api.reports.service import ReportFilter, summary_report


@dataclass(frozen=True)
class FigureInfo:
    name: str
    description: str


#: Every name a formula may use, with what it means; the API's documentation lists them.
FIGURES: tuple[FigureInfo, ...] = (
    FigureInfo("events_held", "Events starting in the period, cancelled ones left out."),
    FigureInfo(
        "participants_invited",
        "Invitations that reached someone (sent, answered, attended or no-show).",
    ),
    FigureInfo(
        "participants_accepted",
        "Accepted invitations, including those later marked attended or no-show.",
    ),
    FigureInfo("participants_declined", "Declined invitations."),
    FigureInfo("participants_attended", "Invitations marked attended."),
    FigureInfo("participants_no_show", "Invitations marked no-show."),
    FigureInfo("response_rate", "Post-survey respondents per attendee (0–1)."),
    FigureInfo("mean_rating", "Mean overall rating in the post survey (1–5)."),
    FigureInfo(
        "cross_group_talk_share",
        "Share of post answers reporting a real conversation across communities (0–1).",
    ),
    FigureInfo(
        "attitude_change_mean",
        "Mean of post − pre on the attitude item (1–5 scale) over people who answered both.",
    ),
    FigureInfo("attitude_change_n", "People with both a pre and a post attitude answer."),
    FigureInfo(
        "attitude_positive_change_share",
        "Share of the people with both a pre and a post attitude answer whose answer rose.",
    ),
    FigureInfo("events_with_mix", "Events whose room has people who declared a community."),
    FigureInfo("events_in_band", "Of those, events whose mix held the event's band."),
    FigureInfo("host_share", "Host-community share of the rooms, pooled (0–1)."),
    FigureInfo("migrant_share", "Migrant share of the rooms, pooled (0–1)."),
    FigureInfo(
        "contact_participants",
        "People with a recorded group contact, summed over the period's months.",
    ),
    FigureInfo(
        "cross_contact_share",
        "Share of those with at least one cross-group contact, pooled over the months (0–1).",
    ),
    FigureInfo(
        "repeated_cross_pairs",
        "Cross-group pairs meeting for the second time, summed over the months.",
    ),
    FigureInfo(
        "buddy_pairs_met_three",
        "Buddy pairs whose third meeting fell in the period, summed over the months.",
    ),
)

FIGURE_NAMES: frozenset[str] = frozenset(info.name for info in FIGURES)


def _count(value: int | None) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class FigureValues:
    #: Every figure; None when not available.
    values: dict[str, float | None]
    #: The figures that are None because small-cell suppression withholds them.
    suppressed: frozenset[str]


def figure_values(*, session: Session, actor: Actor, city: str, period: Period) -> FigureValues:
    """Every figure for one city and period, as the reports show them to `actor`."""
    summary = summary_report(
        session=session,
        actor=actor,
        filters=ReportFilter(city=city, date_from=period.first, date_to=period.last),
    )
    invitations, survey, mix = summary.invitations, summary.survey, summary.mix
    values: dict[str, float | None] = {
        "events_held": float(summary.events),
        "participants_invited": _count(invitations.invited),
        "participants_accepted": _count(invitations.accepted),
        "participants_declined": _count(invitations.declined),
        "participants_attended": _count(invitations.attended),
        "participants_no_show": _count(invitations.no_show),
        "response_rate": survey.response_rate.value,
        "mean_rating": survey.mean_rating.value,
        "cross_group_talk_share": survey.cross_group_talk_share.value,
        "attitude_change_mean": survey.attitude_change.mean,
        "attitude_change_n": _count(survey.attitude_change.n),
        "attitude_positive_change_share": survey.attitude_change.positive_share,
        "events_with_mix": float(mix.events_with_mix),
        "events_in_band": float(mix.events_in_band),
        "host_share": mix.host_share,
        "migrant_share": mix.migrant_share,
    }
    months = period.months()
    contacts = contacts_report(
        session=session,
        actor=actor,
        filters=ContactFilter(city=city, month_from=months[0], month_to=months[-1]),
    ).months
    # A withheld month is left out of the sums, as a small cell is left out of every report
    # figure; a figure every recorded month withholds is withheld too. No month recorded at
    # all is a true zero.
    people = [m.participants for m in contacts if m.participants is not None]
    values["contact_participants"] = float(sum(people)) if people or not contacts else None
    shares = [
        (m.cross_contact_share.value, m.participants)
        for m in contacts
        if m.cross_contact_share.value is not None and m.participants
    ]
    weight = sum(n for _, n in shares)
    values["cross_contact_share"] = (
        sum(share * n for share, n in shares) / weight if weight else None
    )
    repeated = [m.repeated_cross_pairs for m in contacts if m.repeated_cross_pairs is not None]
    values["repeated_cross_pairs"] = float(sum(repeated)) if repeated or not contacts else None
    buddies = [m.buddy_pairs_met_three for m in contacts if m.buddy_pairs_met_three is not None]
    values["buddy_pairs_met_three"] = float(sum(buddies)) if buddies or not contacts else None
    withheld = {
        "response_rate": survey.response_rate.suppressed,
        "mean_rating": survey.mean_rating.suppressed,
        "cross_group_talk_share": survey.cross_group_talk_share.suppressed,
        "attitude_change_mean": survey.attitude_change.suppressed,
        "attitude_change_n": survey.attitude_change.suppressed,
        "attitude_positive_change_share": survey.attitude_change.suppressed,
        "host_share": mix.host_share is None and mix.events_withheld > 0,
        "migrant_share": mix.migrant_share is None and mix.events_withheld > 0,
        "cross_contact_share": values["cross_contact_share"] is None and bool(contacts),
    }
    for name in (
        "participants_invited",
        "participants_accepted",
        "participants_declined",
        "participants_attended",
        "participants_no_show",
        "contact_participants",
        "repeated_cross_pairs",
        "buddy_pairs_met_three",
    ):
        withheld[name] = values[name] is None
    return FigureValues(
        values=values, suppressed=frozenset(name for name, held in withheld.items() if held)
    )
