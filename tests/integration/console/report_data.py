"""An event with enough people for its report figures to be shown, for the report page tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session

from birge_shared.models import (
    ActivityType,
    Community,
    Event,
    EventStatus,
    InvitationStatus,
    SurveyResponse,
)
from tests.factories import make_event, make_invitation, make_participant, unique_phone

NAME = "Qwertina Reportova"
EMAIL = "qwertina.reportova@example.org"


@dataclass
class ReportedEvent:
    event: Event
    phones: list[str] = field(default_factory=list)


def reported_event(
    db: Session,
    *,
    city: str = "bishkek",
    per_community: int = 5,
    title: str = "Report night",
    activity: ActivityType = ActivityType.COOKING,
) -> ReportedEvent:
    """A past event: `per_community` hosts and migrants attended and answered both surveys.

    Hosts rate 4 and migrants 5; attitudes move from 2 or 3 up to 4, so the change is positive
    with a real interval.
    """
    event = make_event(
        db,
        city=city,
        capacity=2 * per_community,
        min_share=0.4,
        starts_in=-timedelta(days=3),
        title={"en": title, "ru": title, "ky": title},
    )
    event.activity_type = activity
    event.status = EventStatus.COMPLETED
    made = ReportedEvent(event=event)
    for community, rating in ((Community.HOST, 4), (Community.MIGRANT, 5)):
        for number in range(per_community):
            phone = unique_phone()
            person = make_participant(
                db,
                city=city,
                community=community,
                name=NAME,
                email=f"{number}.{EMAIL}",
                phone=phone,
            )
            made.phones.append(phone)
            make_invitation(db, event=event, participant=person, status=InvitationStatus.ATTENDED)
            key = f"p-{person.id.hex}"
            for kind, attitude in (("pre", 2 + number % 2), ("post", 4)):
                db.add(
                    SurveyResponse(
                        event_id=event.id,
                        pseudonym=key,
                        kind=kind,
                        community=community,
                        attitude=attitude,
                        rating=rating if kind == "post" else None,
                        cross_group_talk=True if kind == "post" else None,
                        channel="page",
                    )
                )
    db.flush()
    return made
