"""Events of Osh and Bishkek in the states the dashboard's to-do list is about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from birge_shared.models import (
    BatchStatus,
    Community,
    Event,
    InvitationBatch,
    InvitationStatus,
    MessageStatus,
    utcnow,
)
from tests.factories import (
    inbound_sms,
    invitation_sms,
    make_event,
    make_invitation,
    make_participant,
)


@dataclass
class Scenario:
    near: Event  # Osh, in two days: few confirmed, only hosts, a failed delivery
    later: Event  # Osh, in a month: in band, a batch held for approval
    tonight: Event  # Osh, in three hours: nobody confirmed, a short answer window
    bishkek: Event  # another city's: never seen by Osh's coordinator


def _invite(db: Session, event: Event, community: Community, status: InvitationStatus) -> None:
    person = make_participant(db, community=community, city=event.city_code, name="Aida Osmonova")
    invitation = make_invitation(db, event=event, participant=person, status=status)
    if status is InvitationStatus.ATTENDED:
        invitation.checked_in_at = utcnow()


def build(db: Session) -> Scenario:
    near = make_event(
        db,
        starts_in=timedelta(days=2),
        title={"en": "Cooking plov", "ru": "Готовим плов", "ky": "Палоо бышырабыз"},
    )
    for status in (InvitationStatus.ACCEPTED, InvitationStatus.ACCEPTED):
        _invite(db, near, Community.HOST, status)
    _invite(db, near, Community.MIGRANT, InvitationStatus.DECLINED)
    _invite(db, near, Community.MIGRANT, InvitationStatus.WAITLISTED)
    failing = make_participant(db, community=Community.MIGRANT, name="Aida Osmonova")
    invitation = make_invitation(
        db, event=near, participant=failing, status=InvitationStatus.FAILED
    )
    db.add(
        invitation_sms(
            invitation,
            status=MessageStatus.UNDELIVERED,
            error_code="30003",
            error_reason="unreachable",
        )
    )
    # The inbox: one text nobody has handled yet.
    db.add(inbound_sms(failing.id))

    later = make_event(
        db,
        capacity=4,
        starts_in=timedelta(days=30),
        title={"en": "Football", "ru": "Футбол", "ky": "Футбол"},
    )
    _invite(db, later, Community.HOST, InvitationStatus.ACCEPTED)
    _invite(db, later, Community.HOST, InvitationStatus.ACCEPTED)
    _invite(db, later, Community.MIGRANT, InvitationStatus.ACCEPTED)
    _invite(db, later, Community.MIGRANT, InvitationStatus.ATTENDED)
    db.add(
        InvitationBatch(
            event_id=later.id,
            request_fingerprint="",
            status=BatchStatus.AWAITING_APPROVAL,
            segments=40,
        )
    )

    tonight = make_event(
        db,
        starts_in=timedelta(hours=3),
        title={"en": "Board games", "ru": "Настольные игры", "ky": "Стол оюндары"},
    )
    bishkek = make_event(
        db,
        city="bishkek",
        starts_in=timedelta(days=1),
        title={"en": "Bishkek walk", "ru": "Прогулка по Бишкеку", "ky": "Бишкек сейил"},
    )
    _invite(db, bishkek, Community.HOST, InvitationStatus.ACCEPTED)
    db.flush()
    return Scenario(near=near, later=later, tonight=tonight, bishkek=bishkek)
