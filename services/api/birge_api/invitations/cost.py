"""What sending the invitation SMS of a proposal will cost, before anything is sent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from birge_shared.models import Event, Language
from birge_shared.sms.render import personal_link, render_event_sms
from birge_shared.sms.segments import count_segments, estimate_price

#: Stands in for a personal-link token: real ones (`secrets.token_urlsafe(32)`) are always 43
#: characters of the URL-safe alphabet, all of them GSM-7, so the stand-in costs the same.
PLACEHOLDER_TOKEN = "x" * 43


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

    Everyone with the same language gets the same text apart from their token, which has a
    fixed length, so each language is rendered once and counted as often as it occurs.
    """
    per_language = Counter(languages)
    link = personal_link(public_base_url, PLACEHOLDER_TOKEN)
    segments = 0
    for language, people in per_language.items():
        text = render_event_sms(
            purpose="invitation",
            language=language,
            title=event.title,
            venue=event.venue_name,
            starts_at=event.starts_at,
            timezone=event.city.timezone,
            link=link,
            overrides=overrides,
        )
        segments += count_segments(text).segments * people
    return SmsCost(
        messages=sum(per_language.values()),
        segments=segments,
        price=estimate_price(segments, price_per_segment),
    )
