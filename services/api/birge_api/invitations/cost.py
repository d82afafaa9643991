"""What sending the invitations of a proposal will cost, before anything is sent.

Each person's invitation goes on their first usable messenger (`channels_for`): WhatsApp when
an approved template of their language is registered (counted by the template's category,
which sets what WhatsApp charges), else the next channel; the SMS among them are counted by
language and route (`birge_shared.budget.Recipient`): an operator that does not join SMS parts
gets every text in one segment, shortened or in Latin letters where needed, so its people
cost one segment each and the preview shows the texts they would get.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session

from birge_shared.budget import PLACEHOLDER_TOKEN, Recipient, sms_recipient, sms_segments
from birge_shared.channels import usable_orders
from birge_shared.models import (
    Channel,
    Event,
    Language,
    MessageChannel,
    MessagePurpose,
    Participant,
    TemplateCategory,
)
from birge_shared.outbound.channels import ChannelSpec
from birge_shared.outbound.plan import channels_for
from birge_shared.sms.render import personal_link, render_event_text
from birge_shared.sms.segments import Encoding, count_segments, estimate_price
from birge_shared.whatsapp_templates import approved_templates

__all__ = [
    "PLACEHOLDER_TOKEN",
    "ChannelSplit",
    "SmsCost",
    "SmsSample",
    "invitation_cost",
    "invitation_samples",
    "sms_recipient",
    "split_by_channel",
]


@dataclass
class ChannelSplit:
    """The people of a proposal by the channel their invitation would go on now."""

    #: Those whose invitation goes by SMS: SMS is their first usable messenger, or their
    #: WhatsApp has no approved template in their language and SMS comes next.
    sms: list[Participant] = field(default_factory=list)
    #: WhatsApp messages by the category of the approved template each would go as.
    whatsapp: Counter[TemplateCategory] = field(default_factory=Counter)
    #: Messages on another messenger (Telegram), which cost no SMS.
    other: Counter[MessageChannel] = field(default_factory=Counter)


def _messenger(specs: Sequence[ChannelSpec]) -> ChannelSpec | None:
    return next((spec for spec in specs if spec.messenger), None)


def split_by_channel(
    *,
    session: Session,
    people: Sequence[Participant],
    allowed: Collection[MessageChannel] | None = None,
) -> ChannelSplit:
    """Where each person's invitation would go, as the planner would choose it now, on the
    channels a coordinator chose (`allowed`; None is all)."""
    split = ChannelSplit()
    templates = approved_templates(session)
    orders = usable_orders(session, people)
    purpose = MessagePurpose.INVITATION
    for person in people:
        order = orders[person.id]
        spec = _messenger(
            channels_for(purpose=purpose, participant=person, order=order, allowed=allowed)
        )
        if spec is not None and spec.channel is MessageChannel.WHATSAPP:
            template = templates.get((purpose.value, person.language))
            if template is not None:
                split.whatsapp[template.category] += 1
                continue
            # An unapproved template is never used: the invitation goes on the next channel.
            rest = [channel for channel in order if channel is not Channel.WHATSAPP]
            spec = _messenger(
                channels_for(purpose=purpose, participant=person, order=rest, allowed=allowed)
            )
        if spec is None:
            continue
        if spec.channel is MessageChannel.SMS:
            split.sms.append(person)
        else:
            split.other[spec.channel] += 1
    return split


@dataclass(frozen=True)
class SmsCost:
    messages: int
    segments: int
    price: Decimal
    #: Of these, the messages to operators that do not join parts, and their segments.
    one_segment_messages: int = 0
    one_segment_segments: int = 0


def invitation_cost(
    *,
    event: Event,
    recipients: Iterable[Recipient],
    overrides: Mapping[tuple[str, Language], str],
    public_base_url: str,
    price_per_segment: Decimal,
) -> SmsCost:
    """One invitation SMS per recipient given, rendered as the workers will render it.

    The same estimate the budget uses for refills and change notices (`sms_segments`).
    """
    recipients = list(recipients)
    one_segment = [recipient for recipient in recipients if recipient[1].one_segment]
    segments, one_segment_segments = (
        sms_segments(
            event=event,
            purpose="invitation",
            recipients=group,
            overrides=overrides,
            public_base_url=public_base_url,
        )
        for group in (recipients, one_segment)
    )
    return SmsCost(
        messages=len(recipients),
        segments=segments,
        price=estimate_price(segments, price_per_segment),
        one_segment_messages=len(one_segment),
        one_segment_segments=one_segment_segments,
    )


@dataclass(frozen=True)
class SmsSample:
    """The invitation SMS one language's people on one kind of route get, as sent."""

    language: Language
    text: str
    people: int
    encoding: Encoding
    segments_each: int
    price: Decimal
    #: For an operator that does not join parts: the text must keep to one segment.
    one_segment: bool = False
    #: The usual text did not fit one segment: a shorter wording or a cut title is sent.
    shortened: bool = False
    #: Sent in Latin letters to fit one segment.
    latin: bool = False


def invitation_samples(
    *,
    event: Event,
    recipients: Iterable[Recipient],
    overrides: Mapping[tuple[str, Language], str],
    public_base_url: str,
    price_per_segment: Decimal,
) -> list[SmsSample]:
    """The invitation text for each language and route given, with a stand-in for the link.

    A real link has the stand-in's length, so the segments and price are those billed.
    """
    samples = []
    groups = sorted(
        Counter(recipients).items(),
        key=lambda item: (item[0][1].one_segment, item[0][0].value),
    )
    for (language, route), people in groups:
        rendered = render_event_text(
            purpose="invitation",
            language=language,
            route=route,
            title=event.title,
            venue=event.venue_name,
            starts_at=event.starts_at,
            timezone=event.city.timezone,
            link=personal_link(public_base_url, PLACEHOLDER_TOKEN),
            overrides=overrides,
        )
        count = count_segments(rendered.text)
        samples.append(
            SmsSample(
                language=language,
                text=rendered.text,
                people=people,
                encoding=count.encoding,
                segments_each=count.segments,
                price=estimate_price(count.segments * people, price_per_segment),
                one_segment=route.one_segment,
                shortened=rendered.shortened,
                latin=rendered.latin,
            )
        )
    return samples
