"""The event report of a simulated event equals a hand count, survives erasure, and hides
figures that rest on too few answers."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from scipy import stats
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import Community, InvitationStatus, Participant, SurveyResponse
from tests.factories import make_invitation, make_participant
from tests.integration.reports.expected import expected
from tests.integration.reports.simulation import PLAN, Simulation, simulate

S = InvitationStatus


@pytest.fixture
def simulation(db: Session) -> Simulation:
    return simulate(db)


def _report(client: TestClient, headers: dict[str, str], simulation: Simulation) -> Any:
    response = client.get(f"/v1/reports/events/{simulation.event.id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_report_of_a_simulated_event_equals_a_hand_count(
    client: TestClient, admin_headers: dict[str, str], simulation: Simulation
) -> None:
    assert sum(count for _, _, count in PLAN) == len(simulation.people) == 50
    hand = expected(simulation.people)
    # The simulation is rich enough that nothing is suppressed, and it mixes channels and
    # people who answered only before the event.
    assert min(len(hand.ratings), len(hand.talks), len(hand.changes), hand.respondents) >= 5
    channels = {p.post.channel for p in simulation.people if p.post}
    assert channels == {"page", "sms"}
    assert any(p.pre_answered and p.post is None for p in simulation.people)

    report = _report(client, admin_headers, simulation)

    assert report["invitations"] == {
        "invited": hand.invited,
        "accepted": hand.accepted,
        "declined": hand.declined,
        "attended": hand.attended,
        "no_show": hand.no_show,
        "withheld": False,
    }
    # The plan by hand: 45 invitations reached people, 36 accepted, 30 attended.
    assert (hand.invited, hand.accepted, hand.attended) == (45, 36, 30)
    # The one attendee who declared no community is a cell of one: left out of every figure.
    assert hand.respondents == len([p for p in simulation.people if p.post]) - 1
    assert report["survey"]["response_rate"] == {
        "value": pytest.approx(hand.response_rate),
        "n": hand.respondents,
        "suppressed": False,
    }
    assert report["survey"]["mean_rating"] == {
        "value": pytest.approx(hand.mean_rating),
        "n": len(hand.ratings),
        "suppressed": False,
    }
    assert report["survey"]["cross_group_talk_share"] == {
        "value": pytest.approx(hand.talk_share),
        "n": len(hand.talks),
        "suppressed": False,
    }
    change = report["survey"]["attitude_change"]
    assert change["n"] == len(hand.changes)
    assert change["mean"] == pytest.approx(hand.mean_change)
    assert change["suppressed"] is False
    # Attendance was taken: the mix is of attendees (15 host, 14 migrant, one undeclared).
    assert report["mix"] == {
        "basis": "attended",
        "host_share": pytest.approx(15 / 29),
        "migrant_share": pytest.approx(14 / 29),
        "band_low": 0.4,
        "band_high": pytest.approx(0.6),
        "held": True,
        "suppressed": False,
    }
    assert hand.host_share == pytest.approx(15 / 29)
    assert hand.held is True
    assert report["event_id"] == str(simulation.event.id)
    assert report["city"] == "bishkek"
    assert report["start_date_local"] == "2031-03-14"


def test_the_attitude_change_interval_equals_scipy(
    client: TestClient, viewer_headers: dict[str, str], simulation: Simulation
) -> None:
    changes = expected(simulation.people).changes
    n = len(changes)
    mean = sum(changes) / n
    low, high = stats.t.interval(0.95, n - 1, loc=mean, scale=stats.sem(changes))

    change = _report(client, viewer_headers, simulation)["survey"]["attitude_change"]

    assert change["n"] == n
    assert change["mean"] == pytest.approx(mean, abs=1e-12)
    assert change["low"] == pytest.approx(low, abs=1e-9)
    assert change["high"] == pytest.approx(high, abs=1e-9)
    assert change["low"] < change["mean"] < change["high"]


def _walk_participants(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"include_erased": "true", "limit": 100}
    while True:
        page = client.get("/v1/participants", params=params, headers=headers).json()
        items.extend(page["items"])
        if not page["next_cursor"]:
            return items
        params["cursor"] = page["next_cursor"]


def test_erasing_a_participant_leaves_every_figure_and_no_trace_of_them(
    db: Session,
    client: TestClient,
    admin_headers: dict[str, str],
    viewer_headers: dict[str, str],
    simulation: Simulation,
) -> None:
    person = next(
        p
        for p in simulation.people
        if p.pre is not None and p.post is not None and p.post.attitude is not None
    )
    participant = person.participant
    cipher = get_cipher()
    assert participant.name_encrypted is not None
    assert participant.phone_encrypted is not None
    assert participant.email_encrypted is not None
    name = cipher.decrypt(participant.name_encrypted)
    phone = cipher.decrypt(participant.phone_encrypted)
    email = cipher.decrypt(participant.email_encrypted)
    before = _report(client, viewer_headers, simulation)
    summary_before = client.get(
        "/v1/reports/summary",
        params={"from": "2031-03-14", "to": "2031-03-14"},
        headers=admin_headers,
    ).json()

    erased = client.delete(f"/v1/participants/{participant.id}", headers=admin_headers)
    assert erased.status_code == 204, erased.text

    assert _report(client, viewer_headers, simulation) == before
    summary_after = client.get(
        "/v1/reports/summary",
        params={"from": "2031-03-14", "to": "2031-03-14"},
        headers=admin_headers,
    ).json()
    assert summary_after == summary_before

    # Not findable through the API: not readable, and the list shows an anonymous stub only.
    assert (
        client.get(f"/v1/participants/{participant.id}", headers=admin_headers).status_code == 404
    )
    listed = _walk_participants(client, admin_headers)
    stub = next(item for item in listed if item["id"] == str(participant.id))
    assert (stub["name"], stub["phone_masked"], stub["email_masked"]) == (None, None, None)
    assert all(item["name"] != name for item in listed)

    # Not findable in the database either: no hash matches, no ciphertext opens to them.
    db.expire_all()
    matches = db.scalars(
        select(Participant.id).where(
            or_(
                Participant.phone_hash == cipher.lookup_hash("phone", phone),
                Participant.email_hash == cipher.lookup_hash("email", email),
            )
        )
    ).all()
    assert matches == []
    stored = db.execute(
        select(Participant.name_encrypted, Participant.phone_encrypted, Participant.email_encrypted)
    ).all()
    opened = {cipher.decrypt(token) for row in stored for token in row if token is not None}
    assert not opened & {name, phone, email}
    # The answers stay, under a pseudonym, and none of their text leads back to the person.
    answers = db.scalars(
        select(SurveyResponse).where(SurveyResponse.event_id == simulation.event.id)
    ).all()
    assert len(answers) == sum(p.pre_answered + (p.post is not None) for p in simulation.people)
    texts = {answer.pseudonym for answer in answers} | {
        cipher.decrypt(answer.comment_encrypted) for answer in answers if answer.comment_encrypted
    }
    assert not texts & {name, phone, email, str(participant.id)}


def test_figures_from_fewer_than_five_answers_are_suppressed(
    db: Session,
    client: TestClient,
    viewer_headers: dict[str, str],
    bishkek_headers: dict[str, str],
) -> None:
    # Four attendees, all of whom answered both surveys: too few for any survey figure.
    small = simulate(
        db,
        plan=[(S.ATTENDED, Community.HOST, 2), (S.ATTENDED, Community.MIGRANT, 2)],
        seed=7,
    )
    db.query(SurveyResponse).filter(SurveyResponse.event_id == small.event.id).delete()
    for person in small.people:
        for kind, attitude in (("pre", 2), ("post", 4)):
            db.add(
                SurveyResponse(
                    event_id=small.event.id,
                    pseudonym=f"p-{person.participant.id.hex}",
                    kind=kind,
                    community=person.community,
                    attitude=attitude,
                    rating=5 if kind == "post" else None,
                    cross_group_talk=True if kind == "post" else None,
                    channel="page",
                )
            )
    db.flush()

    report = _report(client, viewer_headers, small)

    suppressed = {"value": None, "n": None, "suppressed": True}
    assert report["survey"]["response_rate"] == suppressed
    assert report["survey"]["mean_rating"] == suppressed
    assert report["survey"]["cross_group_talk_share"] == suppressed
    assert report["survey"]["attitude_change"] == {
        "mean": None,
        "low": None,
        "high": None,
        "n": None,
        "positive_share": None,
        "suppressed": True,
    }
    # A viewer does not see a count of four; the coordinator, who has the list, does.
    assert report["invitations"]["attended"] is None
    assert report["invitations"]["withheld"] is True
    assert _report(client, bishkek_headers, small)["invitations"]["attended"] == 4

    # Three more host attendees make the host cell five: its figures are shown, the two
    # migrants' answers stay out of them.
    for number in range(3):
        extra = make_participant(db, community=Community.HOST, city="bishkek")
        make_invitation(db, event=small.event, participant=extra, status=S.ATTENDED)
        db.add(
            SurveyResponse(
                event_id=small.event.id,
                pseudonym=f"p-extra-{number}",
                kind="post",
                community=Community.HOST,
                attitude=None,
                rating=3,
                cross_group_talk=False,
                channel="sms",
            )
        )
    db.flush()
    report = _report(client, viewer_headers, small)
    assert report["survey"]["response_rate"] == {"value": 1.0, "n": 5, "suppressed": False}
    assert report["survey"]["mean_rating"] == {
        "value": pytest.approx(19 / 5),
        "n": 5,
        "suppressed": False,
    }
    assert report["survey"]["cross_group_talk_share"]["value"] == pytest.approx(2 / 5)
    assert report["survey"]["attitude_change"]["suppressed"] is True  # two host pairs
    # Five host attendees, two migrant ones: the migrant cell is still withheld from a viewer.
    assert report["invitations"]["attended"] == 5
    assert report["invitations"]["withheld"] is True
    assert report["mix"]["suppressed"] is True
    assert report["mix"]["migrant_share"] is None


def test_before_attendance_the_mix_is_of_accepted_seats(
    db: Session, client: TestClient, bishkek_headers: dict[str, str]
) -> None:
    upcoming = simulate(
        db,
        plan=[
            (S.ACCEPTED, Community.HOST, 7),
            (S.ACCEPTED, Community.MIGRANT, 3),
            (S.SENT, Community.MIGRANT, 4),
        ],
        seed=9,
    )
    report = _report(client, bishkek_headers, upcoming)
    assert report["mix"]["basis"] == "accepted"
    assert report["mix"]["host_share"] == pytest.approx(0.7)
    assert report["mix"]["held"] is False
    assert report["invitations"]["invited"] == 14
    assert report["survey"]["response_rate"]["suppressed"] is True
