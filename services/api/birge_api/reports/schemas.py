"""What the reports return: aggregates only, never a name, number, comment or pseudonym.

Every figure is a sum over cells (one event × one community), and a cell of fewer than
`MIN_RESPONDENTS` (5) people is left out of it everywhere, so that no two reports can be
subtracted to isolate fewer than five people (see `cells.py`). A survey figure with no cell
left has `suppressed: true` and null in place of its value and of its `n`. For viewers,
invitation counts and the mix are protected in the same way.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from birge_shared.models import ActivityType, Community, EventStatus
from birge_shared.statistics import MIN_RESPONDENTS

_SUPPRESSED = (
    f"True when fewer than {MIN_RESPONDENTS} answers exist (none included); the value and n "
    "are then null."
)


class InvitationCounts(BaseModel):
    """How far invitations got. Each invitation counts once, by its current status."""

    invited: int | None = Field(
        description="Invitations that reached the participant: sent, accepted, declined, "
        "expired, attended or no-show (not planned, waitlisted, failed or withdrawn)."
    )
    accepted: int | None = Field(
        description="Accepted, including those later marked attended or no-show."
    )
    declined: int | None
    attended: int | None
    no_show: int | None
    withheld: bool = Field(
        description=f"Viewers only: true when some event × community groups are left out "
        f"because one of their statuses holds between 1 and {MIN_RESPONDENTS - 1} people; "
        "the counts are then those of the other groups, or null when none is left."
    )


class Figure(BaseModel):
    """One survey figure and the number of answers it rests on."""

    value: float | None = Field(description="Null when suppressed or when it has no denominator.")
    n: int | None = Field(description="The answers the figure is computed from.")
    suppressed: bool = Field(description=_SUPPRESSED)


class AttitudeChange(BaseModel):
    """Mean of (post − pre) on the attitude item (1–5) over people who answered both.

    Pre and post answers are matched by pseudonym within the event; the interval is Student's
    t at 95 %.
    """

    mean: float | None
    low: float | None = Field(description="Lower end of the 95 % confidence interval.")
    high: float | None = Field(description="Upper end of the 95 % confidence interval.")
    n: int | None = Field(description="People with both a pre and a post attitude answer.")
    positive_share: float | None = Field(
        default=None,
        description="Share of those people whose answer rose (a positive paired difference).",
    )
    suppressed: bool = Field(description=_SUPPRESSED)


MixBasis = Literal["attended", "accepted"]


class Mix(BaseModel):
    """The achieved mix of the room against the event's band.

    Shares are among people who declared a community, as the band itself is. The basis is the
    attendees once attendance has been taken (anyone marked attended or no-show), before that
    the accepted seats.
    """

    basis: MixBasis
    host_share: float | None = Field(description="Null when nobody in the basis declared one.")
    migrant_share: float | None
    band_low: float = Field(description="min_share: each community's lowest allowed share.")
    band_high: float = Field(description="1 − min_share: each community's highest share.")
    held: bool | None = Field(description="Both shares inside the band; null without shares.")
    suppressed: bool = Field(
        description="Viewers only: true when the host or migrant counts of the room are "
        "withheld (see `InvitationCounts.withheld`); shares and `held` are then null."
    )


class MixSummary(BaseModel):
    """The mix over many events: how many held their band, and the pooled shares."""

    events_with_mix: int = Field(description="Events whose basis has declared people.")
    events_in_band: int
    events_withheld: int = Field(
        description="Events whose mix is suppressed; they count in none of these figures."
    )
    host_share: float | None = Field(description="Pooled over those events' bases.")
    migrant_share: float | None


class RatingDistribution(BaseModel):
    """How many post answers gave each overall rating, 1 to 5.

    A cell (event × community) enters only when it has at least five ratings and each of its
    five counts is zero or at least five, so no count, and no difference of two, rests on
    fewer than five people.
    """

    counts: list[int] | None = Field(
        description="Answers per rating, for ratings 1, 2, 3, 4 and 5; null when suppressed."
    )
    n: int | None = Field(description="The ratings counted.")
    suppressed: bool = Field(description=_SUPPRESSED)


class SurveyFigures(BaseModel):
    """The survey figures, each suppressed on its own when it rests on too few answers."""

    response_rate: Figure = Field(
        description="Post-survey respondents per attendee; n is the respondents."
    )
    mean_rating: Figure = Field(description="Mean overall rating (1–5) in the post survey.")
    rating_distribution: RatingDistribution
    cross_group_talk_share: Figure = Field(
        description="Share of post answers reporting a real conversation across communities."
    )
    attitude_change: AttitudeChange


class EventReport(BaseModel):
    event_id: uuid.UUID
    title: dict[str, str] = Field(description="Per language code (ky, ru, en).")
    city: str
    activity_type: ActivityType
    status: EventStatus
    starts_at: datetime = Field(description="UTC")
    start_date_local: date = Field(description="The start date in the city's time zone.")
    # Written as HH:MM: a JSON "time" would need an offset, and this is a wall-clock time.
    start_time_local: str = Field(
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        examples=["18:30"],
        description="The start time in the city's time zone, HH:MM.",
    )
    venue_name: str
    venue_address: str
    capacity: int
    invitations: InvitationCounts
    survey: SurveyFigures
    mix: Mix


class SummaryFilters(BaseModel):
    city: str | None
    from_: date | None = Field(serialization_alias="from")
    to: date | None
    activity_type: ActivityType | None
    community: Community | None


class WaveChange(BaseModel):
    """One item's mean change from one wave to a later one, over people answering both."""

    item: str = Field(description="Item code of the item bank (survey_items).")
    earlier: str = Field(description="pre, post or followup")
    later: str = Field(description="post or followup")
    change: AttitudeChange


class SummaryReport(BaseModel):
    """Events in the filters and the caller's cities, cancelled events left out.

    With `community`, invitation counts are of participants of that community and survey
    figures of answers given as that community; the mix is about the whole room and ignores it.
    """

    filters: SummaryFilters
    events: int
    invitations: InvitationCounts
    survey: SurveyFigures
    mix: MixSummary
    wave_changes: list[WaveChange] = Field(
        default_factory=list,
        description="Per attitude item and pair of waves (pre:post, post:followup, "
        "pre:followup), the paired change with its 95 % interval and n.",
    )


class ReviewItem(BaseModel):
    """A participant due for a retention review: no name, number or e-mail."""

    participant_id: uuid.UUID
    city: str
    registered_on: date = Field(description="Registration date (Asia/Bishkek).")
    last_invited_on: date | None = Field(
        description="Date of the last invitation created (Asia/Bishkek); null if never invited."
    )
