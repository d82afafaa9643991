"""What sending the invitation SMS of a proposal will cost, before anything is sent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from birge_shared.budget import PLACEHOLDER_TOKEN, sms_segments
from birge_shared.models import Event, Language
from birge_shared.sms.segments import estimate_price

__all__ = ["PLACEHOLDER_TOKEN", "SmsCost", "invitation_cost"]


@dataclass(frozen=True)
class SmsCost:
    messages: int
    segments: int
    price: Decimal


def invitation_cost(
    *,
    event: Event,
    languages: Iterable[Language],
    overrides: Mapping[tuple[str, Language], str],
    public_base_url: str,
    price_per_segment: Decimal,
) -> SmsCost:
    """One invitation SMS per language given, rendered as the workers will render it.

    The same estimate the budget uses for refills and change notices (`sms_segments`).
    """
    languages = list(languages)
    segments = sms_segments(
        event=event,
        purpose="invitation",
        languages=languages,
        overrides=overrides,
        public_base_url=public_base_url,
    )
    return SmsCost(
        messages=len(languages),
        segments=segments,
        price=estimate_price(segments, price_per_segment),
    )
