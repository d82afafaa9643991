"""The domain tasks, called the way a worker calls them, against committed rows."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from birge_shared.models import EventStatus, Invitation, InvitationStatus
from birge_workers.tasks import event_cancelled
from tests.integration.workers.conftest import Committed

S = InvitationStatus
STATUSES = [S.PLANNED, S.SENT, S.ACCEPTED, S.WAITLISTED, S.DECLINED, S.EXPIRED, S.FAILED]


def _statuses(engine: Engine, invitations: list[Invitation]) -> list[InvitationStatus]:
    with Session(engine) as session:
        by_id = {
            invitation.id: invitation.status
            for invitation in session.scalars(
                select(Invitation).where(Invitation.id.in_([i.id for i in invitations]))
            )
        }
    return [by_id[invitation.id] for invitation in invitations]


def test_a_cancellation_withdraws_open_invitations_only(
    committed: Committed, raw_engine: Engine
) -> None:
    event = committed.event(status=EventStatus.CANCELLED)
    invitations = committed.invitations(event, STATUSES)

    assert event_cancelled(str(event.id)) == 4

    assert _statuses(raw_engine, invitations) == [
        S.WITHDRAWN,
        S.WITHDRAWN,
        S.WITHDRAWN,
        S.WITHDRAWN,
        S.DECLINED,
        S.EXPIRED,
        S.FAILED,
    ]
    # Delivered twice (at least once), the task changes nothing the second time.
    assert event_cancelled(str(event.id)) == 0


def test_an_event_that_is_not_cancelled_keeps_its_invitations(
    committed: Committed, raw_engine: Engine
) -> None:
    event = committed.event(status=EventStatus.SCHEDULED)
    invitations = committed.invitations(event, [S.SENT, S.ACCEPTED])

    assert event_cancelled(str(event.id)) == 0
    assert _statuses(raw_engine, invitations) == [S.SENT, S.ACCEPTED]


def test_an_unknown_event_is_skipped(committed: Committed) -> None:
    assert event_cancelled(str(uuid.uuid4())) == 0
