"""An event a few hours away: invited once, given a real window, the waitlist moved only while
the person promoted would still have it.

The whole loop runs as in production: the API's send, the fan-out, `sms.send` against the fake
Messages API, and the `invitations.expire_due` job each minute while the clock moves.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.invitations.schemas import InvitationRequest
from birge_api.invitations.service import create_batch
from birge_shared.db import session_scope
from birge_shared.invitations import Answer, RsvpOutcome, respond
from birge_shared.models import (
    AuditEntry,
    Event,
    Invitation,
    InvitationStatus,
    PeriodicRun,
    Role,
    User,
    utcnow,
)
from birge_shared.tasks import INVITATIONS_EXPIRE_DUE
from birge_shared.users import create_user
from birge_workers.sending.fanout import fan_out
from birge_workers.tasks import invitations_expire_due
from tests.integration.sending.conftest import Rows, Sender, any_hour_settings

SENT, WAITLISTED, EXPIRED = (
    InvitationStatus.SENT,
    InvitationStatus.WAITLISTED,
    InvitationStatus.EXPIRED,
)
WINDOW = timedelta(minutes=120)  # MIN_ANSWER_WINDOW_MINUTES' default


@pytest.fixture
def coordinator(rows: Rows) -> Iterator[Actor]:
    """A committed administrator to send as; removed with their audit rows afterwards."""
    user = create_user(
        session=rows.session,
        email=f"short-notice-{uuid.uuid4().hex[:8]}@example.org",
        password="correct horse battery staple",
        role=Role.ADMIN,
    )
    rows.session.commit()
    yield Actor(user_id=user.id, role=Role.ADMIN, cities=None)
    with Session(rows.engine) as session:
        session.execute(delete(AuditEntry).where(AuditEntry.actor_id == user.id))
        session.execute(delete(User).where(User.id == user.id))
        session.execute(delete(PeriodicRun).where(PeriodicRun.task_name == INVITATIONS_EXPIRE_DUE))
        session.commit()


def _invite(rows: Rows, actor: Actor, event: Event, people: int) -> list[str]:
    """Send `people` through the API's service and fan the batch out; return its warnings."""
    chosen = [rows.participant().id for _ in range(people)]
    with session_scope() as session:
        created = create_batch(
            session=session,
            actor=actor,
            settings=any_hour_settings(),
            event_id=event.id,
            request=InvitationRequest(participant_ids=chosen),
        )
    fan_out(batch_id=created.batch.id, chunk_size=50, transaction=session_scope)
    return [warning.code.value for warning in created.batch.warnings]


def _invitations(rows: Rows, event: Event) -> list[Invitation]:
    with Session(rows.engine, expire_on_commit=False) as session:
        return list(session.scalars(select(Invitation).where(Invitation.event_id == event.id)))


def _by_status(rows: Rows, event: Event, status: InvitationStatus) -> list[Invitation]:
    return [i for i in _invitations(rows, event) if i.status is status]


def _answer(invitation: Invitation, answer: Answer) -> RsvpOutcome:
    with session_scope() as session:
        return respond(session=session, invitation_id=invitation.id, answer=answer)


def _minutes_of_expiry_runs(
    clock: time_machine.Traveller, rows: Rows, sender: Sender, minutes: int
) -> None:
    """The expiry job once a minute, and whatever it queued sent, for `minutes` minutes."""
    for _ in range(minutes):
        clock.shift(timedelta(minutes=1))
        invitations_expire_due()
        sender.drain(rows)


def _deadlines(invitations: list[Invitation]) -> list[datetime | None]:
    return [i.expires_at for i in invitations]


def test_an_event_three_hours_away_sends_four_invitations_in_its_first_ten_minutes(
    rows: Rows, sender: Sender, coordinator: Actor
) -> None:
    with time_machine.travel(utcnow(), tick=True) as clock:
        event = rows.event(starts_at=utcnow() + timedelta(hours=3), capacity=4)
        warnings = _invite(rows, coordinator, event, 12)
        sender.drain(rows)

        _minutes_of_expiry_runs(clock, rows, sender, 10)

    assert warnings == ["short_window"]
    assert sender.api.total_creates == 4
    assert len(rows.messages_of(event)) == 4
    sent = _by_status(rows, event, SENT)
    assert len(sent) == 4
    assert len(_by_status(rows, event, WAITLISTED)) == 8
    # Each has the two-hour window, well inside the three hours before the start.
    for invitation in sent:
        assert invitation.sent_at is not None
        assert invitation.expires_at == invitation.sent_at + WINDOW
        assert invitation.expires_at < event.starts_at


def test_a_short_notice_waitlist_moves_only_while_the_window_fits_then_late_yes_is_honoured(
    rows: Rows, sender: Sender, coordinator: Actor
) -> None:
    with time_machine.travel(utcnow(), tick=True) as clock:
        event = rows.event(starts_at=utcnow() + timedelta(hours=3), capacity=4)
        _invite(rows, coordinator, event, 12)
        sender.drain(rows)
        first = _by_status(rows, event, SENT)
        assert len(first) == 4

        # Half an hour in, a decline: 2 h 30 min are left, so the next person is invited.
        clock.shift(timedelta(minutes=30))
        declined = _answer(first[0], Answer.DECLINE)
        assert declined.refill is not None
        [promoted] = declined.refill.invited
        sender.drain(rows)
        assert sender.api.total_creates == 5

        # An hour later, another: 1 h 30 min left is less than the window, the seat stays open.
        clock.shift(timedelta(hours=1))
        again = _answer(first[1], Answer.DECLINE)
        assert again.refill is not None
        assert again.refill.invited == []
        assert again.refill.open_seats == 1
        assert again.refill.reason is not None
        assert "answer window (120 minutes)" in again.refill.reason

        # Through the deadlines of the first (2 h) and the promoted (2 h 30 min) invitations.
        _minutes_of_expiry_runs(clock, rows, sender, 32)
        assert {i.id for i in _by_status(rows, event, EXPIRED)} == {first[2].id, first[3].id}
        _minutes_of_expiry_runs(clock, rows, sender, 30)
        expired = _by_status(rows, event, EXPIRED)
        assert {i.id for i in expired} == {first[2].id, first[3].id, promoted.id}

        # Nobody more was invited, and a late yes takes one of the open seats.
        late = _answer(first[2], Answer.ACCEPT)
        assert late.invitation.status is InvitationStatus.ACCEPTED

    assert sender.api.total_creates == 5
    assert len(rows.messages_of(event)) == 5
    assert len(_by_status(rows, event, WAITLISTED)) == 7
    promoted_row = rows.invitation(promoted.id)
    assert promoted_row.sent_at is not None
    assert promoted_row.expires_at == promoted_row.sent_at + WINDOW
