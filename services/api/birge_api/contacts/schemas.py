from __future__ import annotations

from pydantic import BaseModel, Field

from birge_api.reports.schemas import Figure

_SUPPRESSED = "True when the figure rests on 1–4 people or pairs and is withheld."


class ContactDistribution(BaseModel):
    """People by how many distinct cross-group contacts they had in the month."""

    counts: dict[str, int] | None = Field(
        description="People per band of distinct contacts: `0`, `1`, `2`, `3-4`, `5-9`, `10+`"
    )
    n: int | None
    suppressed: bool = Field(description=_SUPPRESSED + " Withheld whole when any band is 1–4.")


class ContactMonth(BaseModel):
    city: str
    month: str = Field(description="`YYYY-MM`, in the city's time zone", examples=["2026-12"])
    participants: int | None = Field(
        description="People with at least one recorded group contact; null when 1–4"
    )
    participants_suppressed: bool
    cross_contact_share: Figure = Field(
        description="Share of them with at least one cross-group contact (a host-community "
        "member and a migrant in one group at an event both attended)"
    )
    repeated_cross_pairs: int | None = Field(
        description="Cross-group pairs who met for the second time in the month (at any event "
        "in the city); null when 1–4"
    )
    repeated_suppressed: bool
    distinct_cross_contacts: ContactDistribution
    buddy_pairs_met_three: int | None = Field(
        description="Buddy pairs whose third meeting in a group fell in the month; null when 1–4"
    )
    buddy_suppressed: bool


class ContactsReport(BaseModel):
    """Contact ledger figures per city and month. Aggregates only, kept as rollups that outlive
    the pairs: erasing a person or purging old pairs leaves every figure unchanged."""

    months: list[ContactMonth]
