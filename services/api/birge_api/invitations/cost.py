"""What sending the invitation SMS of a proposal will cost, before anything is sent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from birge_shared.budget import PLACEHOLDER_TOKEN, sms_segments
from birge_shared.models import Event, Language
from birge_shared.sms.render import personal_link, render_event_sms
from birge_shared.sms.segments import count_segments, estimate_price

__all__ = ["PLACEHOLDER_TOKEN", "SmsCost", "SmsSample", "invitation_cost", "invitation_samples"]


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


@dataclass(frozen=True)
class SmsSample:
    """The invitation SMS one language's people get, as the workers will render it."""

    language: Language
    text: str
    people: int
    encoding: str
    segments_each: int
    price: Decimal


def invitation_samples(
    *,
    event: Event,
    languages: Iterable[Language],
    overrides: Mapping[tuple[str, Language], str],
    public_base_url: str,
    price_per_segment: Decimal,
) -> list[SmsSample]:
    """The invitation text in each language given, with a stand-in for the personal link.

    A real link has the stand-in's length, so the segments and price are those billed.
    """
    samples = []
    for language, people in sorted(Counter(languages).items(), key=lambda item: item[0].value):
        text = render_event_sms(
            purpose="invitation",
            language=language,
            title=event.title,
            venue=event.venue_name,
            starts_at=event.starts_at,
            timezone=event.city.timezone,
            link=personal_link(public_base_url, PLACEHOLDER_TOKEN),
            overrides=overrides,
        )
        count = count_segments(text)
        samples.append(
            SmsSample(
                language=language,
                text=text,
                people=people,
                encoding=count.encoding,
                segments_each=count.segments,
                price=estimate_price(count.segments * people, price_per_segment),
            )
        )
    return samples
