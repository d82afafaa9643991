from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from birge_shared.models import Community, InvitationStatus
from tests.factories import make_event, make_invitation, make_participant


def test_seats_show_the_mix_and_why_a_seat_stays_open(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    event = make_event(db, capacity=4, min_share=0.5)
    make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.ACCEPTED
    )
    make_invitation(db, event=event, participant=make_participant(db))
    make_invitation(db, event=event, participant=make_participant(db, community=Community.MIGRANT))
    make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.WAITLISTED
    )
    db.commit()

    response = client.get(f"/v1/events/{event.id}/invitations/seats", headers=admin_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["held"] == {"host": 2, "migrant": 1, "unspecified": 0, "total": 3}
    assert body["accepted"] == 1
    assert body["open"] == 1
    assert body["waiting"] == 1
    assert body["in_band"] is False
    assert body["open_reason"] == "the mix needs a migrant participant and none is waiting"


def test_seats_of_another_city_are_404_and_viewers_403(
    client: TestClient,
    db: Session,
    bishkek_headers: dict[str, str],
    viewer_headers: dict[str, str],
) -> None:
    event = make_event(db, city="osh")
    db.commit()
    url = f"/v1/events/{event.id}/invitations/seats"
    assert client.get(url, headers=bishkek_headers).status_code == 404
    assert client.get(url, headers=viewer_headers).status_code == 403
