"""A yes that comes just after the invitation expired takes the seat still open.

Near the start the waitlist no longer moves, so the seat an expiry frees stays open; the
person who answers late, by SMS or on the page, gets it rather than "the event is full".
"""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from birge_api.participant_page.service import csrf_token
from birge_shared.crypto import get_cipher
from birge_shared.invitations import expire_due, held_seats
from birge_shared.models import Event, Invitation, InvitationStatus, Participant, utcnow
from birge_shared.settings import get_settings
from tests.factories import make_event, make_invitation, make_participant
from tests.integration.callbacks.conftest import inbound_callback, outbound, process

EXPIRED, WAITLISTED = InvitationStatus.EXPIRED, InvitationStatus.WAITLISTED


def _expired_near_the_start(db: Session) -> tuple[Event, Participant, Invitation, Invitation]:
    """An event 90 minutes away with one seat; its invitation, sent 2 h ago, just expired."""
    event = make_event(db, capacity=1, min_share=0.0, starts_in=timedelta(minutes=90))
    person = make_participant(db)
    late = make_invitation(db, event=event, participant=person)
    late.sent_at = utcnow() - timedelta(hours=2, minutes=1)
    late.expires_at = utcnow() - timedelta(minutes=1)
    waiting = make_invitation(db, event=event, participant=make_participant(db), status=WAITLISTED)
    db.flush()
    assert expire_due(session=db) == 1
    assert late.status is EXPIRED
    # Too close to the start for anyone promoted to get the answer window: the seat is open.
    assert waiting.status is WAITLISTED
    assert held_seats(db, event.id).total == 0
    return event, person, late, waiting


def test_a_late_yes_by_sms_is_accepted_while_the_seat_is_open(db: Session) -> None:
    event, person, late, waiting = _expired_near_the_start(db)
    before = {message.id for message in outbound(db, person)}

    callback = inbound_callback(db, get_cipher().decrypt(person.phone_encrypted or ""), "Да!")
    process(db, callback)

    db.refresh(late)
    assert late.status is InvitationStatus.ACCEPTED
    replies = [message for message in outbound(db, person) if message.id not in before]
    assert replies[0].purpose == "accepted"
    assert "waitlisted" not in {message.purpose for message in replies}
    assert waiting.status is WAITLISTED
    assert held_seats(db, event.id).total == 1


def test_a_late_yes_on_the_page_is_accepted_while_the_seat_is_open(
    client: TestClient, db: Session
) -> None:
    _, _, late, _ = _expired_near_the_start(db)
    db.commit()
    csrf = csrf_token(
        secret_key=get_settings().secret_key.get_secret_value(), invitation_token=late.token
    )

    response = client.post(
        f"/p/{late.token}/rsvp",
        data={"answer": "accept", "csrf": csrf},
        follow_redirects=False,
    )

    assert response.status_code == 303, response.text
    assert response.headers["location"].endswith("done=accepted")
    db.refresh(late)
    assert late.status is InvitationStatus.ACCEPTED


def test_a_late_yes_waits_when_the_seat_was_taken_meanwhile(db: Session) -> None:
    event, person, late, waiting = _expired_near_the_start(db)
    waiting.status = InvitationStatus.ACCEPTED  # a walk-in given the seat by the coordinator
    db.flush()
    before = {message.id for message in outbound(db, person)}

    process(db, inbound_callback(db, get_cipher().decrypt(person.phone_encrypted or ""), "YES"))

    db.refresh(late)
    assert late.status is WAITLISTED
    assert [m.purpose for m in outbound(db, person) if m.id not in before] == ["waitlisted"]
    assert held_seats(db, event.id).total == 1
