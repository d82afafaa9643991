"""Reminders go at the right local times, never in quiet hours, exactly once, and follow the
event: a reschedule gets fresh reminders at the new times, a cancellation gets none."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta

import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared import channels
from birge_shared.models import (
    InvitationStatus,
    MessageChannel,
    MessageStatus,
    OutboxEntry,
    Participant,
    Role,
    utcnow,
)
from birge_shared.settings import get_settings
from birge_shared.tasks import SmsSend, TelegramSend
from birge_workers.events import withdraw_open_invitations
from birge_workers.outbound.lifecycle import Outcome
from birge_workers.reminders import send_due_reminders_once
from birge_workers.sending.quiet_hours import in_quiet_hours
from tests.conftest import UserFactory, bearer
from tests.integration.claiming import ClaimedSms, claim_sms
from tests.integration.reminders.conftest import (
    BISHKEK,
    accepted,
    bishkek,
    reminders,
    tick,
)

SETTINGS = get_settings()


def _claim(db: Session, message_id: uuid.UUID) -> ClaimedSms | Outcome:
    return claim_sms(session=db, message_id=message_id, settings=SETTINGS, now=utcnow())


def test_an_evening_event_is_reminded_24_and_2_hours_before(db: Session) -> None:
    with time_machine.travel(bishkek(9, 17, 59), tick=False) as clock:
        invitation = accepted(db, bishkek(10, 18, 0))
        tick(db)
        assert reminders(db, invitation) == []

        clock.move_to(bishkek(9, 18, 0))
        tick(db)
        [first] = reminders(db, invitation)
        assert first.dedupe_key == (
            f"invitation:{invitation.id}:sms:reminder:1440:{int(bishkek(10, 18, 0).timestamp())}"
        )
        # Queued at once through the outbox: nothing waits in the broker.
        payload = SmsSend(message_ids=[first.id]).model_dump(mode="json")
        sends = db.scalars(select(OutboxEntry).where(OutboxEntry.task_name == "sms.send"))
        assert [row.payload for row in sends if row.payload == payload] == [payload]

        clock.move_to(bishkek(10, 15, 59))
        tick(db)
        assert len(reminders(db, invitation)) == 1

        clock.move_to(bishkek(10, 16, 0))
        tick(db)
        _, second = reminders(db, invitation)
        assert second.dedupe_key is not None
        assert ":reminder:120:" in second.dedupe_key

        claimed = _claim(db, second.id)
        assert isinstance(claimed, ClaimedSms)
        assert claimed.body.startswith("Birge: напоминаем: «Футбол вместе», 10 марта, 18:00")
        assert claimed.body.endswith(f"/p/{invitation.token}")

        clock.move_to(bishkek(10, 18, 0))  # started: nothing more
        tick(db)
        assert len(reminders(db, invitation)) == 2


def test_minute_by_minute_a_0930_event_is_reminded_at_0930_and_at_2059_never_at_night(
    db: Session,
) -> None:
    # The 2 h reminder would be at 07:30, inside the quiet hours 21:00–09:00: it goes at the
    # last allowed minute before they begin, 20:59 the evening before.
    start = bishkek(11, 9, 30)
    with time_machine.travel(bishkek(10, 9, 0), tick=False) as clock:
        invitation = accepted(db, start)
        planned_at: dict[str, str] = {}
        moment = bishkek(10, 9, 0)
        while moment <= start:
            clock.move_to(moment)
            tick(db)
            for message in reminders(db, invitation):
                if message.dedupe_key not in planned_at:
                    planned_at[str(message.dedupe_key)] = moment.strftime("%d %H:%M")
                    quiet = in_quiet_hours(
                        moment.astimezone(BISHKEK).time(),
                        start=SETTINGS.quiet_hours_start,
                        end=SETTINGS.quiet_hours_end,
                    )
                    assert not quiet, moment
            moment += timedelta(minutes=1)

    assert sorted(planned_at.values()) == ["10 09:30", "10 20:59"]
    assert all(
        message.status is MessageStatus.PLANNED and message.not_before is None
        for message in reminders(db, invitation)
    )


def test_the_2059_reminder_goes_out_at_once_not_after_the_night(db: Session) -> None:
    with time_machine.travel(bishkek(10, 20, 59), tick=False):
        invitation = accepted(db, bishkek(11, 9, 30), offsets=[120])
        tick(db)
        [reminder] = reminders(db, invitation)
        claimed = _claim(db, reminder.id)
    assert isinstance(claimed, ClaimedSms)
    assert "11 марта, 09:30" in claimed.body


def test_running_twice_or_from_a_second_beat_plans_each_reminder_once(db: Session) -> None:
    with time_machine.travel(bishkek(10, 16, 0), tick=False) as clock:
        invitation = accepted(db, bishkek(10, 18, 0))
        assert tick(db) >= 1
        assert tick(db) == 0  # the task retried: the key is there already
        assert len(reminders(db, invitation)) == 1

        clock.move_to(bishkek(10, 16, 1))
        # Two beats send the same tick: the second finds the minute claimed.
        first = send_due_reminders_once(session=db, now=utcnow())
        second = send_due_reminders_once(session=db, now=utcnow())
        assert first == 0
        assert second is None
        assert len(reminders(db, invitation)) == 1


def test_a_late_acceptance_skips_reminders_whose_time_had_passed(db: Session) -> None:
    with time_machine.travel(bishkek(10, 10, 0), tick=False) as clock:
        # Accepted 8 hours before an 18:00 start: the 24 h reminder's time is long gone.
        invitation = accepted(db, bishkek(10, 18, 0), responded_at=bishkek(10, 10, 0))
        tick(db)
        assert reminders(db, invitation) == []
        clock.move_to(bishkek(10, 16, 0))
        tick(db)
        [only] = reminders(db, invitation)
        assert only.dedupe_key is not None
        assert ":reminder:120:" in only.dedupe_key


def test_a_worker_that_was_down_sends_only_the_latest_due_reminder(db: Session) -> None:
    with time_machine.travel(bishkek(10, 17, 0), tick=False):
        invitation = accepted(db, bishkek(10, 18, 0))
        tick(db)
    [only] = reminders(db, invitation)
    assert only.dedupe_key is not None
    assert ":reminder:120:" in only.dedupe_key


def test_nobody_who_cannot_be_written_to_is_reminded(db: Session) -> None:
    with time_machine.travel(bishkek(10, 16, 0), tick=False):
        opted_out = accepted(db, bishkek(10, 18, 0))
        declined = accepted(db, bishkek(10, 18, 0))
        declined.status = InvitationStatus.DECLINED
        person = db.get(Participant, opted_out.participant_id)
        assert person is not None
        person.opted_out_at = utcnow()
        db.flush()
        tick(db)
    assert reminders(db, opted_out) == []
    assert reminders(db, declined) == []


def test_a_rescheduled_event_gets_fresh_reminders_and_the_stale_one_is_skipped(
    db: Session, client: TestClient, make_user: UserFactory
) -> None:
    with time_machine.travel(bishkek(9, 18, 0), tick=False) as clock:
        admin_headers = bearer(make_user(Role.ADMIN))  # issued at the travelled time
        invitation = accepted(db, bishkek(10, 18, 0))
        tick(db)
        [old] = reminders(db, invitation)

        # The 24 h reminder is still planned (say the provider was down) when the event moves
        # a day later.
        new_start = bishkek(11, 18, 0)
        response = client.patch(
            f"/v1/events/{invitation.event_id}",
            json={
                "starts_at": new_start.isoformat(),
                "ends_at": (new_start + timedelta(hours=2)).isoformat(),
            },
            headers=admin_headers,
        )
        assert response.status_code == 200, response.text

        assert _claim(db, old.id) is Outcome.SKIPPED
        db.refresh(old)
        assert old.status is MessageStatus.SKIPPED
        assert old.error_reason is not None
        assert "another start time" in old.error_reason

        tick(db)  # the old times are gone: nothing new before the new times come
        assert len(reminders(db, invitation)) == 1

        clock.move_to(bishkek(10, 18, 0))
        tick(db)
        _, fresh = reminders(db, invitation)
        assert fresh.dedupe_key is not None
        assert fresh.dedupe_key.endswith(f":reminder:1440:{int(new_start.timestamp())}")
        claimed = _claim(db, fresh.id)
        assert isinstance(claimed, ClaimedSms)
        assert "11 марта, 18:00" in claimed.body

        clock.move_to(bishkek(11, 16, 0))
        tick(db)
        assert len(reminders(db, invitation)) == 3


def test_a_cancelled_event_gets_no_reminders_and_drops_the_planned_ones(
    db: Session, client: TestClient, make_user: UserFactory
) -> None:
    with time_machine.travel(bishkek(9, 18, 0), tick=False) as clock:
        admin_headers = bearer(make_user(Role.ADMIN))
        invitation = accepted(db, bishkek(10, 18, 0))
        tick(db)
        [planned] = reminders(db, invitation)

        response = client.post(f"/v1/events/{invitation.event_id}/cancel", headers=admin_headers)
        assert response.status_code == 200, response.text
        # What the `events.cancelled` task does.
        withdraw_open_invitations(session=db, event_id=invitation.event_id, now=utcnow())

        assert _claim(db, planned.id) is Outcome.SKIPPED
        clock.move_to(bishkek(10, 16, 0))
        tick(db)
        assert reminders(db, invitation) == [planned]


def test_a_reminder_whose_invitation_was_declined_meanwhile_is_skipped(db: Session) -> None:
    with time_machine.travel(bishkek(10, 16, 0), tick=False):
        invitation = accepted(db, bishkek(10, 18, 0))
        tick(db)
        [planned] = reminders(db, invitation)
        invitation.status = InvitationStatus.DECLINED
        db.flush()
        assert _claim(db, planned.id) is Outcome.SKIPPED


def test_reminder_times_are_utc_inside(db: Session) -> None:
    with time_machine.travel(bishkek(10, 16, 0), tick=False):
        invitation = accepted(db, bishkek(10, 18, 0))
        tick(db)
        [reminder] = reminders(db, invitation)
    # 16:00 in Bishkek is 10:00 UTC.
    assert reminder.created_at.astimezone(UTC).hour == 10


def test_a_person_who_linked_telegram_is_reminded_there_once(db: Session) -> None:
    with time_machine.travel(bishkek(9, 18, 0), tick=False):
        invitation = accepted(db, bishkek(10, 18, 0))
        person = db.get(Participant, invitation.participant_id)
        assert person is not None
        channels.link_telegram(session=db, participant=person, chat_id="987654321")
        tick(db)
        tick(db)  # the next minute's run plans nothing again
        [reminder] = reminders(db, invitation)
    assert reminder.channel is MessageChannel.TELEGRAM
    assert reminder.dedupe_key == (
        f"invitation:{invitation.id}:telegram:reminder:1440:{int(bishkek(10, 18, 0).timestamp())}"
    )
    sends = db.scalars(select(OutboxEntry).where(OutboxEntry.task_name == TelegramSend.task_name))
    assert [row.payload for row in sends if str(reminder.id) in row.payload["message_ids"]]
