"""STOP and erasure give a person's seats to the waitlist and stop what was still to be sent."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.participant_page.service import csrf_token
from birge_shared.crypto import get_cipher
from birge_shared.departure import ERASED_REASON, OPTED_OUT_REASON
from birge_shared.invitations import held_seats
from birge_shared.models import (
    AuditEntry,
    Community,
    Event,
    Invitation,
    InvitationStatus,
    Message,
    MessageChannel,
    MessageDirection,
    MessageStatus,
    Participant,
)
from birge_shared.settings import get_settings
from tests.factories import make_event, make_invitation, make_participant
from tests.integration.callbacks.conftest import (
    inbound_callback,
    outbound,
    process,
    sent_message,
    status_callback,
)


def _planned(db: Session, invitation: Invitation, purpose: str) -> Message:
    """A message waiting for its turn (a reminder, a survey question)."""
    message = Message(
        direction=MessageDirection.OUTBOUND,
        channel=MessageChannel.SMS,
        purpose=purpose,
        dedupe_key=f"test:{uuid.uuid4()}",
        invitation_id=invitation.id,
        participant_id=invitation.participant_id,
        status=MessageStatus.PLANNED,
    )
    db.add(message)
    db.flush()
    return message


class Scene:
    """One event with one seat, the person holding it, and a host waiting for a seat."""

    def __init__(self, db: Session) -> None:
        self.event: Event = make_event(db, capacity=1, min_share=0.0)
        self.person: Participant = make_participant(db, community=Community.MIGRANT)
        self.seat = make_invitation(
            db, event=self.event, participant=self.person, status=InvitationStatus.ACCEPTED
        )
        self.reminder = _planned(db, self.seat, "reminder")
        # A second invitation the person has not answered, and a survey of a past event.
        self.other_event = make_event(db, capacity=5)
        self.unanswered = make_invitation(db, event=self.other_event, participant=self.person)
        past = make_event(db, starts_in=timedelta(days=-2))
        attended = make_invitation(
            db, event=past, participant=self.person, status=InvitationStatus.ATTENDED
        )
        self.survey = _planned(db, attended, "survey_post")
        self.next_person = make_participant(db)
        self.waiting = make_invitation(
            db, event=self.event, participant=self.next_person, status=InvitationStatus.WAITLISTED
        )

    def refresh(self, db: Session) -> None:
        for row in (self.seat, self.unanswered, self.waiting, self.reminder, self.survey):
            db.refresh(row)

    def assert_seats_went_to_the_waitlist(self, db: Session, reason: str) -> None:
        self.refresh(db)
        assert self.seat.status is InvitationStatus.WITHDRAWN
        assert self.seat.closed_reason == reason
        assert self.unanswered.status is InvitationStatus.WITHDRAWN
        # The freed seat went to the next waitlisted person, with an invitation SMS queued.
        assert self.waiting.status is InvitationStatus.PLANNED
        [invited] = outbound(db, self.next_person)
        assert (invited.purpose, invited.invitation_id) == ("invitation", self.waiting.id)
        assert held_seats(db, self.event.id).total == 1
        # Nothing more goes to the person who left.
        for message in (self.reminder, self.survey):
            assert message.status is MessageStatus.SKIPPED
            assert message.error_reason == reason


def _phone(participant: Participant) -> str:
    return get_cipher().decrypt(participant.phone_encrypted or "")


@pytest.mark.parametrize("word", ["STOP", "СТОП", "ТОКТОТ"])
def test_stop_frees_the_seat_for_the_waitlist_and_cancels_reminders_and_surveys(
    db: Session, word: str
) -> None:
    scene = Scene(db)

    callback = inbound_callback(db, _phone(scene.person), word)
    process(db, callback)

    db.refresh(scene.person)
    assert scene.person.opted_out_at is not None
    scene.assert_seats_went_to_the_waitlist(db, OPTED_OUT_REASON)
    # The opt-out confirmation is the one message still planned for the person.
    still_planned = [m for m in outbound(db, scene.person) if m.status is MessageStatus.PLANNED]
    assert [m.purpose for m in still_planned] == ["opted_out"]


def test_a_yes_after_stop_takes_no_seat_back(db: Session) -> None:
    scene = Scene(db)
    process(db, inbound_callback(db, _phone(scene.person), "STOP"))

    process(db, inbound_callback(db, _phone(scene.person), "YES"))

    scene.refresh(db)
    assert scene.seat.status is InvitationStatus.WITHDRAWN
    assert scene.waiting.status is InvitationStatus.PLANNED


def test_unsubscribed_at_the_carrier_frees_the_persons_other_seats(db: Session) -> None:
    scene = Scene(db)
    message = sent_message(db, participant=scene.person, invitation=scene.unanswered)

    process(db, status_callback(db, message.provider_sid or "", "failed", "21610"))

    db.refresh(scene.person)
    assert scene.person.opted_out_at is not None
    scene.refresh(db)
    # The refused invitation failed; the rest left with the opt-out.
    assert scene.unanswered.status is InvitationStatus.FAILED
    assert scene.seat.status is InvitationStatus.WITHDRAWN
    assert scene.waiting.status is InvitationStatus.PLANNED
    assert scene.reminder.status is MessageStatus.SKIPPED


def test_an_accepted_seat_of_an_event_under_way_stays(db: Session) -> None:
    event = make_event(db, starts_in=timedelta(minutes=-30))
    person = make_participant(db)
    seat = make_invitation(db, event=event, participant=person, status=InvitationStatus.ACCEPTED)

    process(db, inbound_callback(db, _phone(person), "STOP"))

    db.refresh(seat)
    assert seat.status is InvitationStatus.ACCEPTED


def _form(invitation: Invitation) -> dict[str, str]:
    secret = get_settings().secret_key.get_secret_value()
    return {"csrf": csrf_token(secret_key=secret, invitation_token=invitation.token), "lang": ""}


def test_erasure_frees_the_seat_and_kills_the_personal_link(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    scene = Scene(db)
    # An event under way, where the person had checked in: its link dies with the rest.
    under_way = make_event(db, starts_in=timedelta(minutes=-10))
    under_way.checkin_code = "ACD347"
    present = make_invitation(
        db, event=under_way, participant=scene.person, status=InvitationStatus.ACCEPTED
    )
    db.commit()
    tokens = [scene.seat.token, scene.unanswered.token, present.token]
    for token in tokens:
        assert client.get(f"/p/{token}").status_code == 200

    response = client.delete(f"/v1/participants/{scene.person.id}", headers=admin_headers)

    assert response.status_code == 204
    scene.assert_seats_went_to_the_waitlist(db, ERASED_REASON)
    # The erased stub holds no seat anywhere.
    assert held_seats(db, scene.other_event.id).total == 0
    for token in tokens:
        assert client.get(f"/p/{token}").status_code == 404
        assert client.get(f"/p/{token}/invite.ics").status_code == 404
    answered = client.post(
        f"/p/{scene.unanswered.token}/rsvp",
        data={"answer": "accept", **_form(scene.unanswered)},
        follow_redirects=False,
    )
    assert answered.status_code == 404
    db.refresh(scene.unanswered)
    assert scene.unanswered.status is InvitationStatus.WITHDRAWN
    checked_in = client.post(
        f"/p/{present.token}/checkin",
        data={"code": "ACD347", **_form(present)},
        follow_redirects=False,
    )
    assert checked_in.status_code == 404
    db.refresh(present)
    assert (present.status, present.checked_in_at) == (InvitationStatus.ACCEPTED, None)
    entry = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "participant.erase",
            AuditEntry.object_id == str(scene.person.id),
        )
    ).one()
    assert entry.details["invitations_withdrawn"] == 2
    assert entry.details["messages_skipped"] == 2


def test_erasure_leaves_a_declined_answer_and_the_waitlist_alone(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    event = make_event(db, capacity=1, min_share=0.0)
    person = make_participant(db)
    declined = make_invitation(
        db, event=event, participant=person, status=InvitationStatus.DECLINED
    )
    waiting = make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.WAITLISTED
    )
    db.commit()

    assert client.delete(f"/v1/participants/{person.id}", headers=admin_headers).status_code == 204

    db.refresh(declined)
    db.refresh(waiting)
    assert declined.status is InvitationStatus.DECLINED
    assert waiting.status is InvitationStatus.WAITLISTED
