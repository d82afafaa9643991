"""Rows committed for real (the relay and the workers run outside the test's transaction).

Every row a test commits is recorded and deleted afterwards, so the run's database stays clean
for the tests that follow.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from birge_shared.models import (
    ActivityType,
    Community,
    Event,
    EventStatus,
    Invitation,
    InvitationStatus,
    Language,
    OutboxEntry,
    Participant,
    PeriodicRun,
    utcnow,
)
from birge_shared.outbox import enqueue
from birge_shared.tasks import EventCancelled, TaskPayload


class Committed:
    """Creates committed rows through its own session and deletes them all in `cleanup`."""

    def __init__(self, engine: Engine) -> None:
        self.session = Session(engine, expire_on_commit=False)
        self.event_ids: list[uuid.UUID] = []
        self.participant_ids: list[uuid.UUID] = []
        self.outbox_ids: list[int] = []
        self.periodic_names: set[str] = set()

    def event(
        self,
        *,
        status: EventStatus = EventStatus.SCHEDULED,
        starts_at: datetime | None = None,
        hours: float = 2,
    ) -> Event:
        starts_at = starts_at or utcnow() + timedelta(days=7)
        event = Event(
            city_code="bishkek",
            title={"en": "Football in the park"},
            activity_type=ActivityType.SPORT,
            venue_name="Park",
            venue_address="Chuy Avenue",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=hours),
            capacity=10,
            status=status,
            cancelled_at=utcnow() if status is EventStatus.CANCELLED else None,
        )
        self.session.add(event)
        self.session.commit()
        self.event_ids.append(event.id)
        return event

    def invitations(self, event: Event, statuses: list[InvitationStatus]) -> list[Invitation]:
        invitations = []
        for number, status in enumerate(statuses):
            participant = Participant(
                language=Language.RU,
                city_code=event.city_code,
                community=Community.HOST if number % 2 else Community.MIGRANT,
            )
            self.session.add(participant)
            self.session.flush()
            self.participant_ids.append(participant.id)
            invitation = Invitation(event_id=event.id, participant_id=participant.id, status=status)
            self.session.add(invitation)
            invitations.append(invitation)
        self.session.commit()
        return invitations

    def outbox(self, payload: TaskPayload, *, available_at: datetime | None = None) -> OutboxEntry:
        entry = enqueue(session=self.session, payload=payload, available_at=available_at)
        self.session.commit()
        self.outbox_ids.append(entry.id)
        return entry

    def raw_outbox(self, task_name: str, payload: dict[str, Any]) -> OutboxEntry:
        """A row that bypasses `enqueue`'s checks, as a buggy or older writer might leave it."""
        entry = OutboxEntry(task_name=task_name, payload=payload)
        self.session.add(entry)
        self.session.commit()
        self.outbox_ids.append(entry.id)
        return entry

    def cancellation(self) -> OutboxEntry:
        return self.outbox(EventCancelled(event_id=uuid.uuid4()))

    def cleanup(self) -> None:
        session = self.session
        session.rollback()
        # Invitations go with their event and participant (ON DELETE CASCADE).
        session.execute(delete(Event).where(Event.id.in_(self.event_ids)))
        session.execute(delete(Participant).where(Participant.id.in_(self.participant_ids)))
        session.execute(delete(OutboxEntry).where(OutboxEntry.id.in_(self.outbox_ids)))
        session.execute(delete(PeriodicRun).where(PeriodicRun.task_name.in_(self.periodic_names)))
        session.commit()
        session.close()


@pytest.fixture
def committed(raw_engine: Engine) -> Iterator[Committed]:
    rows = Committed(raw_engine)
    yield rows
    rows.cleanup()
